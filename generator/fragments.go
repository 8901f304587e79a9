package generator

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"
)

// The blocks through which a template adds the resources it declares to
// the shared infrastructure files: YAML under the SAM template's
// Resources, and TypeScript statements in the CDK stack's constructor.
const (
	SAMResourcesBlock = "sam.resources"
	CDKResourcesBlock = "cdk.resources"
)

// blockSource is where a named block is defined, for errors about what it
// renders.
type blockSource struct {
	file string
	line int // of the block's first line
}

func (b blockSource) at(line int, format string, args ...any) error {
	l := 0
	if line > 0 && b.line > 0 {
		l = b.line + line - 1
	}
	return &FileError{File: b.file, Line: l, Msg: fmt.Sprintf(format, args...)}
}

// checkFragments checks what the resource blocks render for d against
// the resources the manifest declares: the SAM fragment must parse as YAML
// and create exactly the declared resources that apply, each of its
// declared type; the CDK fragment must be lexically sound TypeScript
// (strings, comments, template literals and brackets all closed) and
// define each declared resource's variable.
func checkFragments(set *template.Template, blocks map[string]blockSource, d Data) error {
	switch {
	case d.IsSAM():
		return checkSAMFragment(set, blocks[SAMResourcesBlock], d)
	case d.IsCDK():
		return checkCDKFragment(set, blocks[CDKResourcesBlock], d)
	}
	return nil
}

func checkSAMFragment(set *template.Template, src blockSource, d Data) error {
	out, err := blockOutput(set, SAMResourcesBlock, d)
	if err != nil {
		return err
	}
	declared := map[string]Resource{}
	for _, r := range d.Resources {
		declared[r.Name] = r
	}
	if strings.TrimSpace(out) == "" {
		if len(declared) > 0 {
			return &FileError{File: d.Template, Msg: fmt.Sprintf("the manifest declares %s, but no partial defines the %s block that creates them", strings.Join(slices.Sorted(maps.Keys(declared)), ", "), SAMResourcesBlock)}
		}
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		fe := yamlError(src.file, err)
		var f *FileError
		if e, ok := fe.(*FileError); ok {
			f = e
			return src.at(f.Line, "the %s block does not render valid YAML: %s", SAMResourcesBlock, f.Msg)
		}
		return src.at(0, "the %s block does not render valid YAML: %v", SAMResourcesBlock, err)
	}
	root := &doc
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return src.at(root.Line, "the %s block must render a mapping of resources, indented two spaces as under Resources:", SAMResourcesBlock)
	}
	var errs []error
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Column != 3 {
			// The block lands under Resources: at two spaces; at any other
			// indentation its resources would join another resource, or
			// leave Resources altogether.
			errs = append(errs, src.at(k.Line, "resource %s is indented %d spaces; the %s block's resources must be indented two, as under Resources:", k.Value, k.Column-1, SAMResourcesBlock))
			continue
		}
		r, ok := declared[k.Value]
		seen[k.Value] = true
		if !ok {
			errs = append(errs, src.at(k.Line, "%s creates %s, which the manifest does not declare under infrastructure.resources (or whose when: does not hold here)", SAMResourcesBlock, k.Value))
			continue
		}
		if typ := stringValue(valueNode(v, "Type")); typ != r.Type {
			errs = append(errs, src.at(k.Line, "resource %s has Type %s, but the manifest declares it as %s", k.Value, Quote(typ), r.Type))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		if !seen[name] {
			errs = append(errs, src.at(0, "the manifest declares resource %s, which %s does not create (for these answers)", name, SAMResourcesBlock))
		}
	}
	return joinErrs(errs)
}

func checkCDKFragment(set *template.Template, src blockSource, d Data) error {
	out, err := blockOutput(set, CDKResourcesBlock, d)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "" {
		var names []string
		for _, r := range d.Resources {
			if r.CDK != "" {
				names = append(names, r.Name)
			}
		}
		if len(names) > 0 {
			return &FileError{File: d.Template, Msg: fmt.Sprintf("the manifest declares %s, but no partial defines the %s block that creates them", strings.Join(names, ", "), CDKResourcesBlock)}
		}
		return nil
	}
	if line, msg := lexTypeScript(out); msg != "" {
		return src.at(line, "the %s block does not render TypeScript that parses: %s", CDKResourcesBlock, msg)
	}
	var errs []error
	for _, r := range d.Resources {
		if r.CDK == "" {
			continue
		}
		if !regexp.MustCompile(`(?m)\b(?:const|let)\s+` + regexp.QuoteMeta(r.CDK) + `\b`).MatchString(out) {
			errs = append(errs, src.at(0, "the manifest says the CDK construct of %s is %s, which %s does not define (const %s = ...)", r.Name, r.CDK, CDKResourcesBlock, r.CDK))
		}
		if !regexp.MustCompile(`\(\s*this\s*,\s*"` + regexp.QuoteMeta(r.CDKID) + `"`).MatchString(out) {
			errs = append(errs, src.at(0, "the manifest says the construct of %s has the id %s (cdkId), but %s creates none with it: new ...(this, %q, ...)", r.Name, Quote(r.CDKID), CDKResourcesBlock, r.CDKID))
		}
	}
	return joinErrs(errs)
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("%w", joinedErrors(errs))
}

type joinedErrors []error

func (j joinedErrors) Error() string {
	var parts []string
	for _, e := range j {
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "\n")
}

func (j joinedErrors) Unwrap() []error { return j }

// lexTypeScript checks the lexical structure of TypeScript source: every
// string, template literal, comment, and bracket closes, in order. It
// returns the 1-based line and a message for the first problem, or "" for
// none. Regular expression literals are not told from division, so a
// fragment should not need one.
func lexTypeScript(src string) (int, string) {
	type open = struct {
		ch   byte
		line int
	}
	var stack []open
	line := 1
	closer := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			line++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			start := line
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return start, "a /* comment is never closed"
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 3
		case c == '"' || c == '\'':
			start := line
			i++
			for ; i < len(src) && src[i] != c; i++ {
				if src[i] == '\\' {
					i++
				} else if src[i] == '\n' {
					return start, fmt.Sprintf("a string opened with %c is not closed on its line", c)
				}
			}
			if i >= len(src) {
				return start, fmt.Sprintf("a string opened with %c is never closed", c)
			}
		case c == '`':
			// A template literal; a ${...} inside it nests code, tracked on
			// the stack as '$' so that its } returns to the literal's text.
			stack = append(stack, open{'`', line})
			var msg string
			if i, line, stack, msg = templateText(src, i+1, line, stack); msg != "" {
				return stack[len(stack)-1].line, msg
			}
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, open{c, line})
		case c == ')' || c == ']' || c == '}':
			if c == '}' && len(stack) > 0 && stack[len(stack)-1].ch == '$' {
				// The end of a ${...} in a template literal: back to its text.
				stack = stack[:len(stack)-1]
				var msg string
				if i, line, stack, msg = templateText(src, i+1, line, stack); msg != "" {
					return stack[len(stack)-1].line, msg
				}
				continue
			}
			if len(stack) == 0 || stack[len(stack)-1].ch != closer[c] {
				if len(stack) > 0 {
					return line, fmt.Sprintf("%c closes the %c opened on line %d", c, stack[len(stack)-1].ch, stack[len(stack)-1].line)
				}
				return line, fmt.Sprintf("%c closes nothing", c)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		o := stack[len(stack)-1]
		if o.ch == '$' || o.ch == '`' {
			return o.line, "a template literal (`) is never closed"
		}
		return o.line, fmt.Sprintf("the %c opened here is never closed", o.ch)
	}
	return 0, ""
}

// templateText scans template literal text from i, the literal's '`'
// being on top of stack: at its closing ` it pops that and returns the
// index of the `; at a ${ it pushes '$' and returns the index of the {.
func templateText(src string, i, line int, stack []struct {
	ch   byte
	line int
}) (int, int, []struct {
	ch   byte
	line int
}, string) {
	for ; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '\n':
			line++
		case '`':
			return i, line, stack[:len(stack)-1], ""
		case '$':
			if i+1 < len(src) && src[i+1] == '{' {
				return i + 1, line, append(stack, struct {
					ch   byte
					line int
				}{'$', line}), ""
			}
		}
	}
	return i, line, stack, "a template literal (`) is never closed"
}

var (
	tsImportRE    = lazyRE(`(?m)^import \* as ([A-Za-z_$][\w$]*) from `)
	tsConstRE     = lazyRE(`(?m)^    const ([A-Za-z_$][\w$]*)\b`)
	constructIDRE = lazyRE(`\(\s*this\s*,\s*"([^"\\]*)"`)
)

// checkTSNames refuses a rendered TypeScript file that imports a name
// twice, declares a const twice in the stack's constructor (indented four
// spaces) or gives two constructs of the stack the same id: what happens
// when a template's fragments, imports or outputs reuse a name the layers
// use (role, fn, Logs, FunctionUrl, ...). tsc and CDK would refuse the
// project later, with less to say.
func checkTSNames(file string, content []byte) error {
	var errs []error
	for _, c := range []struct {
		re   interface{ FindAllStringSubmatchIndex(string, int) [][]int }
		what string
	}{{tsImportRE, "imports the name"}, {tsConstRE, "declares the const"}, {constructIDRE, "gives two constructs the id"}} {
		seen := map[string]bool{}
		text := string(content)
		for _, m := range c.re.FindAllStringSubmatchIndex(text, -1) {
			name := text[m[2]:m[3]]
			if seen[name] {
				line := 1 + strings.Count(text[:m[0]], "\n")
				errs = append(errs, fmt.Errorf("%s as rendered (line %d) %s %s twice: a template's cdk.resources, cdkImports, resource cdk names or outputs reuse a name the stack already uses; rename it", file, line, c.what, Quote(name)))
			}
			seen[name] = true
		}
	}
	return errors.Join(errs...)
}
