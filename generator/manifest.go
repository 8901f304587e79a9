package generator

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the file that makes a folder a template: its
// description, defaults, npm dependencies, parameters and the
// infrastructure it declares. The README's "Custom templates" section
// documents every key.
const ManifestFile = "streamgen.yaml"

// VariantManifestFile is the optional manifest of a variant folder
// (variants/VALUE/): what the variant adds to the template's dependencies,
// values and infrastructure.
const VariantManifestFile = "variant.yaml"

// The manifest's schema. Every struct lists the keys its YAML mapping may
// have; checkKeys reports any other with its line.
type manifestSchema struct {
	Description     string            `yaml:"description"`
	Summary         string            `yaml:"summary"`
	Memory          int               `yaml:"memory"`
	Timeout         int               `yaml:"timeout"`
	Bundle          bool              `yaml:"bundle"`
	Dependencies    map[string]string `yaml:"dependencies"`
	DevDependencies map[string]string `yaml:"devDependencies"`
	Params          []yaml.Node       `yaml:"params"`
	Checks          []yaml.Node       `yaml:"checks"`
	Values          []yaml.Node       `yaml:"values"`
	Variants        yaml.Node         `yaml:"variants"`
	Infrastructure  yaml.Node         `yaml:"infrastructure"`
	Sample          yaml.Node         `yaml:"sample"`
}

type variantManifestSchema struct {
	Dependencies    map[string]string `yaml:"dependencies"`
	DevDependencies map[string]string `yaml:"devDependencies"`
	Values          []yaml.Node       `yaml:"values"`
	Infrastructure  yaml.Node         `yaml:"infrastructure"`
}

type paramSchema struct {
	Name     string    `yaml:"name"`
	Help     string    `yaml:"help"`
	Default  string    `yaml:"default"`
	Choices  []string  `yaml:"choices"`
	Pattern  string    `yaml:"pattern"`
	Validate string    `yaml:"validate"`
	Required bool      `yaml:"required"`
	Ask      *bool     `yaml:"ask"`
	When     yaml.Node `yaml:"when"`
}

type checkSchema struct {
	Param    string    `yaml:"param"`
	Validate string    `yaml:"validate"`
	Pattern  string    `yaml:"pattern"`
	Message  string    `yaml:"message"`
	When     yaml.Node `yaml:"when"`
}

type valueSchema struct {
	Name    string    `yaml:"name"`
	Value   string    `yaml:"value"`
	Replace yaml.Node `yaml:"replace"`
	When    yaml.Node `yaml:"when"`
}

type replaceSchema struct {
	Pattern string `yaml:"pattern"`
	With    string `yaml:"with"`
}

type variantsSchema struct {
	Param string `yaml:"param"`
}

type infraSchema struct {
	Environment []yaml.Node `yaml:"environment"`
	Policies    []yaml.Node `yaml:"policies"`
	Resources   []yaml.Node `yaml:"resources"`
	Outputs     []yaml.Node `yaml:"outputs"`
	CORS        yaml.Node   `yaml:"cors"`
}

type envSchema struct {
	Name    string    `yaml:"name"`
	Value   string    `yaml:"value"`
	Comment string    `yaml:"comment"`
	When    yaml.Node `yaml:"when"`
}

type policySchema struct {
	Name       string      `yaml:"name"`
	Comment    string      `yaml:"comment"`
	When       yaml.Node   `yaml:"when"`
	Statements []yaml.Node `yaml:"statements"`
}

type statementSchema struct {
	Comment        string                       `yaml:"comment"`
	Actions        []string                     `yaml:"actions"`
	Resources      []string                     `yaml:"resources"`
	Condition      map[string]map[string]string `yaml:"condition"`
	WildcardReason string                       `yaml:"wildcardReason"`
}

type resourceSchema struct {
	Name       string            `yaml:"name"`
	Type       string            `yaml:"type"`
	CDK        string            `yaml:"cdk"`
	CDKID      string            `yaml:"cdkId"`
	Attributes map[string]string `yaml:"attributes"`
	CDKImports map[string]string `yaml:"cdkImports"`
	When       yaml.Node         `yaml:"when"`
}

type outputSchema struct {
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Value       string    `yaml:"value"`
	When        yaml.Node `yaml:"when"`
}

type corsSchema struct {
	Origins string   `yaml:"origins"`
	Methods []string `yaml:"methods"`
	Headers []string `yaml:"headers"`
}

// declared are the parts of a manifest that can depend on the answers: the
// template's, and each variant's, merged when a project renders.
type declared struct {
	values       []valueDecl
	environment  []envDecl
	policies     []policyDecl
	resources    []resourceDecl
	outputs      []outputDecl
	cors         *corsDecl
	dependencies map[string]string
	devDeps      map[string]string
}

type valueDecl struct {
	name    string
	value   pattern
	replace *regexp.Regexp
	with    string
	when    Condition
	line    int
}

type envDecl struct {
	name, comment string
	value         pattern
	when          Condition
}

type policyDecl struct {
	name, comment string
	when          Condition
	statements    []statementDecl
}

type statementDecl struct {
	comment        string
	actions        []string
	resources      []pattern
	condition      map[string]map[string]pattern
	wildcardReason string
}

type resourceDecl struct {
	name, typ, cdk string
	cdkID          string // the construct's id in CDK
	attributes     map[string]string
	imports        map[string]string
	when           Condition
}

type outputDecl struct {
	name, description string
	value             pattern
	when              Condition
}

type corsDecl struct {
	origins          pattern
	methods, headers []string
}

// checkDecl is a rule across parameters: a validator or pattern applied to
// one parameter when the condition holds and the parameter has a value.
type checkDecl struct {
	param    string
	validate func(field, value string) error
	schema   map[string]any // what `streamgen schema` says of it
	when     Condition
}

var (
	templateNameRE = boundedRE(`^[a-z][a-z0-9-]*$`, 1, 40)
	paramNameRE    = boundedRE(`^[a-zA-Z][a-zA-Z0-9]*$`, 1, 40)
	npmVersionRE   = lazyRE(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	npmPackageRE   = lazyRE(`^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$`)
	envNameRE      = boundedRE(`^[A-Z_][A-Z0-9_]*$`, 1, 128)
	logicalIDRE    = boundedRE(`^[A-Za-z][A-Za-z0-9]*$`, 1, 255)
	policyNameRE   = boundedRE(`^[A-Za-z0-9+=,.@_-]+$`, 1, 128)
	actionRE       = lazyRE(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)
	tsIdentRE      = lazyRE(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
	tsExprRE       = lazyRE(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)
	cfnTypeRE      = lazyRE(`^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$`)
	importPathRE   = lazyRE(`^(@[a-z0-9-]+/)?[a-z0-9-]+(/[a-z0-9-]+)*$`)
	httpMethods    = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"}
)

// manifestParser reads one manifest and collects every problem, each a
// FileError with the line of the key or value at fault.
type manifestParser struct {
	file string
	errs []error
}

func (mp *manifestParser) at(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	mp.errs = append(mp.errs, &FileError{File: mp.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// root parses raw as a YAML mapping, reporting unknown and repeated keys
// against schema.
func (mp *manifestParser) root(raw []byte, schema any) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		mp.errs = append(mp.errs, flatten(yamlError(mp.file, err))...)
		return nil
	}
	if len(doc.Content) == 0 {
		mp.at(nil, "the manifest is empty")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		mp.at(root, "the manifest must be a mapping of keys, such as description: and params:")
		return nil
	}
	mp.decode(root, schema)
	return root
}

// decode checks n's keys against the struct v points to and decodes it;
// a type error is reported with its line.
func (mp *manifestParser) decode(n *yaml.Node, v any) bool {
	if n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		mp.at(n, "expected a mapping with the keys %s", strings.Join(reflectKeys(reflect.ValueOf(v).Elem().Interface()), ", "))
		return false
	}
	checkKeys(n, reflectKeys(reflect.ValueOf(v).Elem().Interface()), mp.at)
	if err := n.Decode(v); err != nil {
		mp.errs = append(mp.errs, flatten(yamlError(mp.file, err))...)
		return false
	}
	return true
}

// text checks a one-line or multi-line text value for control characters.
func (mp *manifestParser) text(n *yaml.Node, key, value string) {
	for _, line := range strings.Split(value, "\n") {
		if err := checkText(key, line); err != nil {
			mp.at(cmp.Or(valueNode(n, key), n), "%v", err)
			return
		}
	}
}

// parseManifest reads a template's streamgen.yaml: at once what the
// command line and the schema show (the description, defaults and
// parameters), and in the function it returns what only rendering needs (the
// declared values and infrastructure, the sample request), whose problems
// that function reports.
func parseManifest(raw []byte, file, name string) (*Template, func() []error, []error) {
	mp := &manifestParser{file: file}
	if !templateNameRE.MatchString(name) {
		mp.at(nil, "the folder name %s is not a usable template name: use lowercase letters, digits and hyphens, starting with a letter", Quote(name))
	}
	var m manifestSchema
	root := mp.root(raw, &m)
	if root == nil {
		return nil, nil, mp.errs
	}
	t := &Template{
		Name:            name,
		Description:     strings.TrimSpace(m.Description),
		Summary:         strings.TrimSpace(cmp.Or(m.Summary, m.Description)),
		Memory:          m.Memory,
		Timeout:         m.Timeout,
		Bundle:          m.Bundle,
		Dependencies:    m.Dependencies,
		DevDependencies: m.DevDependencies,
		pack:            &pack{},
	}
	if t.Description == "" {
		mp.at(root, "description is missing; add one line saying what the template generates")
	}
	for _, f := range []struct{ key, value string }{{"description", t.Description}, {"summary", t.Summary}} {
		if err := checkText(f.key, f.value); err != nil {
			mp.at(valueNode(root, f.key), "%v", err)
		}
	}
	if m.Memory != 0 && ValidateMemory(m.Memory) != nil {
		mp.at(valueNode(root, "memory"), "memory %d is outside Lambda's %d-%d MB", m.Memory, MinMemory, MaxMemory)
	}
	if m.Timeout != 0 && ValidateTimeout(m.Timeout) != nil {
		mp.at(valueNode(root, "timeout"), "timeout %d is outside Lambda's %d-%d seconds", m.Timeout, MinTimeout, MaxTimeout)
	}
	mp.deps(root, "dependencies", m.Dependencies)
	mp.deps(root, "devDependencies", m.DevDependencies)
	for i := range m.Params {
		if p, ok := mp.param(&m.Params[i], t); ok {
			t.Params = append(t.Params, p)
		}
	}
	names := t.ParamNames()
	for i := range m.Params {
		n := &m.Params[i]
		name := stringValue(valueNode(n, "name"))
		if j := slices.IndexFunc(t.Params, func(p Param) bool { return p.Name == name }); j >= 0 {
			t.Params[j].When = mp.condition(valueNode(n, "when"), names, name, t)
		}
	}
	for i := range m.Checks {
		if c, ok := mp.check(&m.Checks[i], t, names); ok {
			t.pack.checks = append(t.pack.checks, c)
		}
	}
	if m.Variants.Kind != 0 {
		var vs variantsSchema
		if mp.decode(&m.Variants, &vs) {
			p, ok := t.param(vs.Param)
			switch {
			case !ok:
				mp.at(cmp.Or(valueNode(&m.Variants, "param"), &m.Variants), "variants.param names %s, which is not a parameter of this template", Quote(vs.Param))
			case len(p.Choices) == 0:
				mp.at(valueNode(&m.Variants, "param"), "variants.param %s must have choices: each choice may have a folder variants/CHOICE", vs.Param)
			default:
				t.pack.variantParam = vs.Param
			}
		}
	}
	rest := func() []error {
		mp := &manifestParser{file: file}
		t.pack.declared = mp.declared(root, t, nil)
		t.pack.sample = mp.sample(valueNode(root, "sample"))
		return mp.errs
	}
	return t, rest, mp.errs
}

// parseVariantManifest reads variants/VALUE/variant.yaml.
func parseVariantManifest(raw []byte, file string, t *Template) (declared, []error) {
	mp := &manifestParser{file: file}
	var m variantManifestSchema
	root := mp.root(raw, &m)
	if root == nil {
		return declared{}, mp.errs
	}
	mp.deps(root, "dependencies", m.Dependencies)
	mp.deps(root, "devDependencies", m.DevDependencies)
	d := mp.declared(root, t, &t.pack.declared)
	d.dependencies, d.devDeps = m.Dependencies, m.DevDependencies
	return d, mp.errs
}

func (mp *manifestParser) deps(root *yaml.Node, key string, deps map[string]string) {
	for _, pkg := range slices.Sorted(maps.Keys(deps)) {
		n := valueNode(valueNode(root, key), pkg)
		if !npmPackageRE.MatchString(pkg) {
			mp.at(n, "%s is not an npm package name", Quote(pkg))
		}
		if !npmVersionRE.MatchString(deps[pkg]) {
			mp.at(n, "%s: version %s is not an exact version; pin one such as 1.2.3, so every generated project gets the same code", pkg, Quote(deps[pkg]))
		}
	}
}

func (mp *manifestParser) param(n *yaml.Node, t *Template) (Param, bool) {
	var ps paramSchema
	if !mp.decode(n, &ps) {
		return Param{}, false
	}
	p := Param{Name: ps.Name, Help: strings.TrimSpace(ps.Help), Default: ps.Default, Choices: ps.Choices,
		Pattern: ps.Pattern, Validator: ps.Validate, Required: ps.Required, Ask: ps.Ask == nil || *ps.Ask}
	ok := true
	switch {
	case !paramNameRE.MatchString(p.Name):
		mp.at(cmp.Or(valueNode(n, "name"), n), "parameter name %s must be letters and digits, starting with a letter (it becomes --set %s=VALUE)", Quote(p.Name), p.Name)
		ok = false
	case slices.ContainsFunc(t.Params, func(q Param) bool { return q.Name == p.Name || q.Flag() == p.Flag() }):
		mp.at(valueNode(n, "name"), "parameter %s is declared twice", p.Name)
		ok = false
	}
	if p.Help == "" {
		mp.at(n, "parameter %s has no help; add one line for `streamgen list` and the wizard", p.Name)
	}
	for _, s := range append([]string{p.Help, p.Default, p.Pattern}, p.Choices...) {
		if err := checkText("parameter "+p.Name, s); err != nil {
			mp.at(n, "%v", err)
		}
	}
	if p.Required && p.Default != "" {
		mp.at(valueNode(n, "required"), "parameter %s is required but has a default; drop one of them", p.Name)
	}
	var checks []func(field, value string) error
	if p.Validator != "" {
		v, found := validators()[p.Validator]
		if !found {
			mp.at(valueNode(n, "validate"), "there is no validator %s; the validators are %s", Quote(p.Validator), validatorNames())
		} else {
			checks = append(checks, v.Check)
		}
	}
	if p.Pattern != "" {
		if _, err := regexp.Compile(p.Pattern); err != nil {
			mp.at(valueNode(n, "pattern"), "pattern of %s does not compile: %v", p.Name, err)
		} else {
			re := regexp.MustCompile(`^(?:` + p.Pattern + `)$`)
			checks = append(checks, patternCheck(re, "it does not match the pattern "+Quote(p.Pattern), "see `streamgen list` for what "+p.Name+" takes"))
		}
	}
	switch len(checks) {
	case 1:
		p.Validate = checks[0]
	case 2:
		p.Validate = func(field, value string) error { return cmp.Or(checks[0](field, value), checks[1](field, value)) }
	}
	if p.Default != "" {
		if len(p.Choices) > 0 && !slices.Contains(p.Choices, p.Default) {
			mp.at(valueNode(n, "default"), "default %s of %s is not one of its choices", Quote(p.Default), p.Name)
		}
		if p.Validate != nil {
			if err := p.Validate("default of "+p.Name, p.Default); err != nil {
				mp.at(valueNode(n, "default"), "%v", err)
			}
		}
	}
	return p, ok
}

func (mp *manifestParser) check(n *yaml.Node, t *Template, names []string) (checkDecl, bool) {
	var cs checkSchema
	if !mp.decode(n, &cs) {
		return checkDecl{}, false
	}
	c := checkDecl{param: cs.Param, when: mp.condition(valueNode(n, "when"), names, "", t)}
	if !slices.Contains(names, cs.Param) {
		mp.at(cmp.Or(valueNode(n, "param"), n), "checks: %s is not a parameter of this template", Quote(cs.Param))
		return c, false
	}
	switch {
	case cs.Validate != "" && cs.Pattern != "":
		mp.at(n, "a check takes validate or pattern, not both")
	case cs.Validate != "":
		v, ok := validators()[cs.Validate]
		if !ok {
			mp.at(valueNode(n, "validate"), "there is no validator %s; the validators are %s", Quote(cs.Validate), validatorNames())
			return c, false
		}
		c.validate, c.schema = v.Check, v.Schema
	case cs.Pattern != "":
		re, err := regexp.Compile(`^(?:` + cs.Pattern + `)$`)
		if err != nil {
			mp.at(valueNode(n, "pattern"), "pattern does not compile: %v", err)
			return c, false
		}
		reason := cmp.Or(cs.Message, "it does not match the pattern "+Quote(cs.Pattern))
		c.validate = patternCheck(re, reason, "")
		c.schema = map[string]any{"pattern": `^(?:` + cs.Pattern + `)$`}
	default:
		mp.at(n, "a check needs validate (a named validator) or pattern")
		return c, false
	}
	return c, true
}

// condition reads a when: mapping. self is the parameter it belongs to
// (which it may not name), or "".
func (mp *manifestParser) condition(n *yaml.Node, names []string, self string, t *Template) Condition {
	if n == nil || n.Kind == 0 {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		mp.at(n, "when must be a mapping of parameters to the values they must have")
		return nil
	}
	c := Condition{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(names, k.Value) || k.Value == self {
			who := ""
			if self != "" {
				who = "parameter " + self + ": "
			}
			mp.at(k, "%swhen names %s, which is not another parameter of this template", who, Quote(k.Value))
			continue
		}
		var m Match
		switch v.Kind {
		case yaml.ScalarNode:
			s := v.Value
			m.Equals = &s
			if q, _ := t.param(k.Value); len(q.Choices) > 0 && !slices.Contains(q.Choices, s) {
				who := ""
				if self != "" {
					who = "parameter " + self + ": "
				}
				mp.at(v, "%swhen %s=%s can never hold: %s takes %s", who, k.Value, Quote(s), k.Value, strings.Join(q.Choices, ", "))
			}
		case yaml.MappingNode:
			var ms struct {
				Not        *string `yaml:"not"`
				Matches    string  `yaml:"matches"`
				NotMatches string  `yaml:"notMatches"`
			}
			if !mp.decode(v, &ms) {
				continue
			}
			m.Not, m.Matches, m.NotMatches = ms.Not, ms.Matches, ms.NotMatches
			set := 0
			for _, b := range []bool{ms.Not != nil, ms.Matches != "", ms.NotMatches != ""} {
				if b {
					set++
				}
			}
			if set != 1 {
				mp.at(v, "give one of not, matches or notMatches")
				continue
			}
			if re := cmp.Or(ms.Matches, ms.NotMatches); re != "" {
				var err error
				if m.re, err = regexp.Compile(`^(?:` + re + `)$`); err != nil {
					mp.at(v, "the expression does not compile: %v", err)
					continue
				}
			}
		default:
			mp.at(v, "expected a value, or a mapping with not, matches or notMatches")
			continue
		}
		c[k.Value] = m
	}
	return c
}

// declared reads the values and infrastructure of a manifest; base holds
// the template's own when n is a variant's, so references can reach them.
func (mp *manifestParser) declared(root *yaml.Node, t *Template, base *declared) declared {
	var d declared
	names := t.ParamNames()
	valueNames := map[string]bool{}
	if base != nil {
		for _, v := range base.values {
			valueNames[v.name] = true
		}
	}
	for _, n := range nodeList(valueNode(root, "values")) {
		var vs valueSchema
		if !mp.decode(n, &vs) {
			continue
		}
		if !nameRE.MatchString(vs.Name) {
			mp.at(cmp.Or(valueNode(n, "name"), n), "value name %s must be letters and digits, starting with a letter", Quote(vs.Name))
			continue
		}
		v := valueDecl{name: vs.Name, when: mp.condition(valueNode(n, "when"), names, "", t), line: n.Line}
		v.value = mp.pattern(valueNode(n, "value"), vs.Value)
		if r := valueNode(n, "replace"); r != nil {
			var rs replaceSchema
			if mp.decode(r, &rs) {
				re, err := regexp.Compile(rs.Pattern)
				if err != nil || rs.Pattern == "" {
					mp.at(valueNode(r, "pattern"), "replace.pattern must be an RE2 expression: %v", err)
				}
				v.replace, v.with = re, rs.With
			}
		}
		d.values = append(d.values, v)
		valueNames[v.name] = true
	}
	infra := valueNode(root, "infrastructure")
	if infra == nil {
		return d
	}
	var is infraSchema
	if !mp.decode(infra, &is) {
		return d
	}
	resources := map[string]resourceDecl{}
	if base != nil {
		for _, r := range base.resources {
			resources[r.name] = r
		}
	}
	for _, n := range nodeList(valueNode(infra, "resources")) {
		var rs resourceSchema
		if !mp.decode(n, &rs) {
			continue
		}
		r := resourceDecl{name: rs.Name, typ: rs.Type, cdk: rs.CDK, cdkID: cmp.Or(rs.CDKID, rs.Name), attributes: rs.Attributes, imports: rs.CDKImports,
			when: mp.condition(valueNode(n, "when"), names, "", t)}
		switch {
		case !logicalIDRE.MatchString(r.name):
			mp.at(cmp.Or(valueNode(n, "name"), n), "resource name %s must be a CloudFormation logical id: letters and digits, starting with a letter", Quote(r.name))
			continue
		case resources[r.name].name != "":
			mp.at(valueNode(n, "name"), "resource %s is declared twice", r.name)
			continue
		}
		if !cfnTypeRE.MatchString(r.typ) {
			mp.at(cmp.Or(valueNode(n, "type"), n), "resource %s: type %s is not a CloudFormation type such as AWS::S3::Bucket", r.name, Quote(r.typ))
		}
		switch {
		case r.cdk != "" && !tsIdentRE.MatchString(r.cdk):
			mp.at(valueNode(n, "cdk"), "resource %s: cdk must name the TypeScript variable the CDK fragment defines for it", r.name)
		case r.cdk == "" && (len(r.attributes) > 0 || len(r.imports) > 0):
			mp.at(n, "resource %s has attributes or cdkImports but no cdk: name the TypeScript variable the CDK fragment defines for it", r.name)
		}
		if !logicalIDRE.MatchString(r.cdkID) {
			mp.at(valueNode(n, "cdkId"), "resource %s: cdkId %s must be letters and digits, starting with a letter", r.name, Quote(r.cdkID))
		}
		if r.attributes == nil {
			r.attributes = map[string]string{}
		}
		for _, a := range slices.Sorted(maps.Keys(r.attributes)) {
			if !tsExprRE.MatchString(r.attributes[a]) || !resourceRE.MatchString("X."+a) && a != "Ref" {
				mp.at(valueNode(valueNode(n, "attributes"), a), "resource %s: attribute %s must map to a TypeScript property such as %s.bucketArn", r.name, Quote(a), cmp.Or(r.cdk, "bucket"))
			}
		}
		for alias, path := range r.imports {
			if !tsIdentRE.MatchString(alias) || !importPathRE.MatchString(path) {
				mp.at(valueNode(valueNode(n, "cdkImports"), alias), "resource %s: cdkImports maps a name to a module, such as s3: aws-cdk-lib/aws-s3", r.name)
			}
		}
		resources[r.name] = r
		d.resources = append(d.resources, r)
	}
	refs := func(n *yaml.Node, p pattern) {
		for _, part := range p.parts {
			switch part.kind {
			case partParam:
				if !slices.Contains(names, part.text) {
					mp.at(n, "%s refers to ${param:%s}, which is not a parameter of this template", Quote(p.raw), part.text)
				}
			case partValue:
				if !valueNames[part.text] {
					mp.at(n, "%s refers to ${value:%s}, which no values: entry declares", Quote(p.raw), part.text)
				}
			case partRef:
				r, ok := resources[part.res]
				switch {
				case !ok:
					mp.at(n, "%s refers to ${%s}, which is not a resource this template declares under infrastructure.resources", Quote(p.raw), part.res)
				case r.attributes[cmp.Or(part.attr, "Ref")] == "":
					mp.at(n, "%s refers to ${%s}, but resource %s maps no attribute %s for CDK; add it under attributes", Quote(p.raw), strings.TrimSuffix(part.res+"."+part.attr, "."), part.res, cmp.Or(part.attr, "Ref"))
				}
			}
		}
	}
	for _, v := range d.values {
		refs(&yaml.Node{Line: v.line}, v.value)
	}
	for _, n := range nodeList(valueNode(infra, "environment")) {
		var es envSchema
		if !mp.decode(n, &es) {
			continue
		}
		if !envNameRE.MatchString(es.Name) || strings.HasPrefix(es.Name, "AWS_") || strings.HasPrefix(es.Name, "LAMBDA_") {
			mp.at(cmp.Or(valueNode(n, "name"), n), "environment variable %s must be upper case letters, digits and _, and not one Lambda reserves (AWS_*, LAMBDA_*)", Quote(es.Name))
		}
		mp.text(n, "comment", es.Comment)
		e := envDecl{name: es.Name, comment: strings.TrimSpace(es.Comment), value: mp.pattern(valueNode(n, "value"), es.Value), when: mp.condition(valueNode(n, "when"), names, "", t)}
		refs(valueNode(n, "value"), e.value)
		d.environment = append(d.environment, e)
	}
	for _, n := range nodeList(valueNode(infra, "policies")) {
		var ps policySchema
		if !mp.decode(n, &ps) {
			continue
		}
		if !policyNameRE.MatchString(ps.Name) {
			mp.at(cmp.Or(valueNode(n, "name"), n), "policy name %s must be 1-128 letters, digits and +=,.@_-", Quote(ps.Name))
		}
		mp.text(n, "comment", ps.Comment)
		p := policyDecl{name: ps.Name, comment: strings.TrimSpace(ps.Comment), when: mp.condition(valueNode(n, "when"), names, "", t)}
		if len(ps.Statements) == 0 {
			mp.at(n, "policy %s has no statements", ps.Name)
		}
		for _, sn := range nodeList(valueNode(n, "statements")) {
			var ss statementSchema
			if !mp.decode(sn, &ss) {
				continue
			}
			mp.text(sn, "comment", ss.Comment)
			s := statementDecl{comment: strings.TrimSpace(ss.Comment), actions: ss.Actions, wildcardReason: strings.TrimSpace(ss.WildcardReason)}
			if len(ss.Actions) == 0 {
				mp.at(sn, "the statement allows no actions")
			}
			for i, a := range ss.Actions {
				an := nodeAt(valueNode(sn, "actions"), i)
				switch {
				case strings.Contains(a, "*"):
					mp.at(an, "action %s has a wildcard; list the actions the function needs (a wildcard grants every present and future action)", Quote(a))
				case !actionRE.MatchString(a):
					mp.at(an, "%s is not an IAM action such as s3:GetObject", Quote(a))
				}
			}
			if len(ss.Resources) == 0 {
				mp.at(sn, "the statement names no resources")
			}
			wild := false
			for i, r := range ss.Resources {
				rn := nodeAt(valueNode(sn, "resources"), i)
				if r == "*" {
					mp.at(rn, "resource \"*\" allows the actions on every resource; name the resources the function needs")
					continue
				}
				p := mp.pattern(rn, r)
				refs(rn, p)
				wild = wild || strings.Contains(r, "*")
				s.resources = append(s.resources, p)
			}
			if wild && s.wildcardReason == "" {
				mp.at(sn, "a resource has a wildcard: give wildcardReason, one line that says what it stands for (cdk-nag's AwsSolutions-IAM5 asks for it)")
			}
			if len(ss.Condition) > 0 {
				s.condition = map[string]map[string]pattern{}
				cn := valueNode(sn, "condition")
				for op, kv := range ss.Condition {
					s.condition[op] = map[string]pattern{}
					for k, v := range kv {
						vn := valueNode(valueNode(cn, op), k)
						p := mp.pattern(vn, v)
						refs(vn, p)
						s.condition[op][k] = p
					}
				}
			}
			p.statements = append(p.statements, s)
		}
		d.policies = append(d.policies, p)
	}
	for _, n := range nodeList(valueNode(infra, "outputs")) {
		var os outputSchema
		if !mp.decode(n, &os) {
			continue
		}
		if !logicalIDRE.MatchString(os.Name) {
			mp.at(cmp.Or(valueNode(n, "name"), n), "output name %s must be letters and digits, starting with a letter", Quote(os.Name))
		}
		mp.text(n, "description", os.Description)
		o := outputDecl{name: os.Name, description: strings.TrimSpace(os.Description), value: mp.pattern(valueNode(n, "value"), os.Value), when: mp.condition(valueNode(n, "when"), names, "", t)}
		refs(valueNode(n, "value"), o.value)
		d.outputs = append(d.outputs, o)
	}
	if n := valueNode(infra, "cors"); n != nil {
		var cs corsSchema
		if mp.decode(n, &cs) {
			c := &corsDecl{origins: mp.pattern(valueNode(n, "origins"), cs.Origins), methods: cs.Methods, headers: cs.Headers}
			refs(valueNode(n, "origins"), c.origins)
			for i, m := range cs.Methods {
				if !slices.Contains(httpMethods, m) {
					mp.at(nodeAt(valueNode(n, "methods"), i), "%s is not an HTTP method (%s)", Quote(m), strings.Join(httpMethods, ", "))
				}
			}
			for i, h := range cs.Headers {
				if !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(h) {
					mp.at(nodeAt(valueNode(n, "headers"), i), "%s is not a lowercase header name", Quote(h))
				}
			}
			if len(cs.Methods) == 0 {
				mp.at(n, "cors needs the methods browsers may use")
			}
			d.cors = c
		}
	}
	return d
}

// pattern parses a pattern value, reporting a bad one at n.
func (mp *manifestParser) pattern(n *yaml.Node, s string) pattern {
	if err := checkText("value", s); err != nil {
		mp.at(n, "%v", err)
		return pattern{}
	}
	p, err := parsePattern(s)
	if err != nil {
		mp.at(n, "%v", err)
	}
	return p
}

// nodeList returns the items of a sequence node.
func nodeList(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func nodeAt(n *yaml.Node, i int) *yaml.Node {
	if n == nil || i >= len(n.Content) {
		return n
	}
	return n.Content[i]
}

func stringValue(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// yamlError converts a yaml.v3 error ("yaml: line 3: ...") into a
// FileError with that line; a decoding error with several problems
// becomes one FileError each.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, msg := range te.Errors {
			errs = append(errs, lineError(file, msg))
		}
		return errors.Join(errs...)
	}
	return lineError(file, strings.TrimPrefix(err.Error(), "yaml: "))
}

var yamlLineRE = lazyRE(`^line (\d+): (.*)$`)

func lineError(file, msg string) error {
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FileError{File: file, Line: line, Msg: m[2]}
	}
	return &FileError{File: file, Msg: msg}
}

// checkKeys reports keys of a mapping node that the schema does not know,
// with their lines, so a typo such as "dependancies" is not ignored.
func checkKeys(n *yaml.Node, known []string, at func(*yaml.Node, string, ...any)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			at(k, "unknown key %s; the keys are %s", Quote(k.Value), strings.Join(known, ", "))
		}
		if first, dup := seen[k.Value]; dup {
			at(k, "%s is given twice (first on line %d); give it once", Quote(k.Value), first)
		}
		seen[k.Value] = k.Line
	}
}

// reflectKeys lists the yaml keys of a schema struct.
func reflectKeys(v any) []string {
	t := reflect.TypeOf(v)
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
	}
	return keys
}

// valueNode returns the value node of key in mapping n, or nil.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
