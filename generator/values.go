package generator

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// ReadValues parses a values file: the answers to generate a project from,
// in YAML or JSON, with the shape of .streamgen.json (see [Manifest]), so
// the .streamgen.json of an existing project regenerates it:
//
//	template: s3-proxy
//	answers:
//	  name: assets
//	  iac: cdk
//	  memory: 512
//	  set:
//	    bucket: my-assets
//
// A house key holds the house policy (see [House]) the project follows, as
// .streamgen.json records it. Every key is optional; what is missing takes
// its default (or comes from
// flags, which override the file). streamgenVersion is accepted and
// ignored. file names the file in errors, which are *[FileError]s with
// the line of the offending key. The returned options are not validated:
// [Render] does that once they are complete.
func ReadValues(raw []byte, file string) (Options, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return Options{}, yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return Options{}, &FileError{File: file, Msg: "the file is empty; write the answers as in a project's .streamgen.json"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return Options{}, &FileError{File: file, Line: root.Line, Msg: "expected a mapping with template and answers, as in a project's .streamgen.json"}
	}
	var errs []error
	at := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &FileError{File: file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
	}
	checkKeys(root, []string{"template", "streamgenVersion", "format", "templateDir", "answers", "house", "files", "conflicts"}, at)
	answers := valueNode(root, "answers")
	answerKeys := []string{"name", "iac", "runtime", "arch", "memory", "timeout", "front", "auth", "stage", "userPoolArn", "set"}
	checkKeys(answers, answerKeys, at)
	if answers != nil && answers.Kind != yaml.MappingNode {
		at(answers, "answers must be a mapping of name, iac, runtime, arch, memory, timeout, front, auth, stage, userPoolArn and set")
	}
	var o Options
	str := func(n *yaml.Node, key string, dst *string) {
		v := valueNode(n, key)
		if v == nil {
			return
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			at(v, "%s must be a string", key)
			return
		}
		if v.Value == "" {
			at(v, "%s is empty; leave the key out to use the default", key)
			return
		}
		*dst = v.Value
	}
	num := func(n *yaml.Node, key string, dst *int) {
		v := valueNode(n, key)
		if v == nil {
			return
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
			at(v, "%s must be a whole number, got %s", key, Quote(v.Value))
			return
		}
		if err := v.Decode(dst); err != nil || *dst == 0 {
			at(v, "%s must be a whole number other than 0, got %s", key, Quote(v.Value))
		}
	}
	str(root, "template", &o.Template)
	str(answers, "name", &o.Name)
	str(answers, "iac", &o.IaC)
	str(answers, "runtime", &o.Runtime)
	str(answers, "arch", &o.Arch)
	str(answers, "auth", &o.Auth)
	str(answers, "front", &o.Front)
	str(answers, "stage", &o.Stage)
	str(answers, "userPoolArn", &o.UserPoolARN)
	num(answers, "memory", &o.Memory)
	num(answers, "timeout", &o.Timeout)
	if set := valueNode(answers, "set"); set != nil {
		if set.Kind != yaml.MappingNode {
			at(set, "set must be a mapping of template parameters to values")
		} else {
			o.Set = map[string]string{}
			for i := 0; i+1 < len(set.Content); i += 2 {
				k, v := set.Content[i], set.Content[i+1]
				if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
					at(v, "set.%s must be a string; quote numbers and booleans, such as \"100\"", k.Value)
					continue
				}
				if _, dup := o.Set[k.Value]; dup {
					at(k, "set.%s is given twice", k.Value)
				}
				o.Set[k.Value] = v.Value
			}
		}
	}
	// Check the options that need no template here, where the line is
	// known; template parameters are checked by Validate, against the
	// template the answers end up with.
	check := func(key string, err error) {
		var ie *InvalidError
		if err != nil && errors.As(err, &ie) {
			at(cmp.Or(valueNode(answers, key), valueNode(root, key), root), "%s %s: %s", key, Quote(ie.Value), ie.Reason+hintSuffix(ie.Hint))
		}
	}
	if o.Name != "" {
		check("name", ValidateName(o.Name))
	}
	for key, c := range map[string]struct {
		v       string
		choices []string
	}{"iac": {o.IaC, IaCChoices}, "runtime": {o.Runtime, RuntimeChoices}, "arch": {o.Arch, ArchChoices}, "auth": {o.Auth, AuthChoices}, "front": {o.Front, FrontChoices}} {
		if c.v != "" {
			check(key, checkChoice(key, c.v, c.choices))
		}
	}
	if o.Template != "" {
		check("template", checkText("template", o.Template))
	}
	if o.Memory != 0 {
		check("memory", ValidateMemory(o.Memory))
	}
	if o.Timeout != 0 {
		check("timeout", ValidateTimeout(o.Timeout))
	}
	for k, v := range o.Set {
		if err := checkText("set key", k); err != nil {
			check("set", err)
		} else {
			check("set", checkText("set."+k, v))
		}
	}
	if n := valueNode(root, "house"); n != nil {
		mp := &manifestParser{file: file}
		o.House = mp.house(n)
		errs = append(errs, mp.errs...)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b error) int { return a.(*FileError).Line - b.(*FileError).Line })
		return Options{}, errors.Join(errs...)
	}
	return o, nil
}

func hintSuffix(hint string) string {
	if hint == "" {
		return ""
	}
	return "; " + hint
}
