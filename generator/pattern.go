package generator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// A pattern is a string from a template's manifest that can refer to the
// project's answers and to the resources the stack creates:
//
//	${param:NAME}   a template parameter's value (its default when not set)
//	${value:NAME}   a value the manifest derives (see values:)
//	${project:name} the project name; ${project:stack} the stack name
//	${Res}          the resource Res the template creates (its Ref)
//	${Res.Attr}     an attribute of it, e.g. ${ProxyBucket.Arn}
//	${AWS::Region}  a CloudFormation pseudo parameter (also AWS::Partition,
//	                AWS::AccountId, AWS::URLSuffix, AWS::StackName)
//
// Answers are substituted when the project renders; references stay
// references, written !Ref, !GetAtt or !Sub in SAM and as expressions in
// CDK. Answers can never add a reference: "${" inside one is written
// "${!", CloudFormation's escape for a literal "${".
type pattern struct {
	raw   string
	parts []patternPart
}

type patternPart struct {
	kind partKind
	text string // partText: literal text; partParam, partValue, partProject: the name
	// partRef: the resource and attribute ("" for its Ref); partPseudo: the
	// pseudo parameter, e.g. "AWS::Region".
	res, attr string
}

type partKind int

const (
	partText partKind = iota
	partParam
	partValue
	partProject
	partRef
	partPseudo
)

// pseudoParams are the CloudFormation pseudo parameters a pattern may use,
// with their aws-cdk-lib spelling.
var pseudoParams = map[string]string{
	"AWS::AccountId": "cdk.Aws.ACCOUNT_ID",
	"AWS::Partition": "cdk.Aws.PARTITION",
	"AWS::Region":    "cdk.Aws.REGION",
	"AWS::StackName": "cdk.Aws.STACK_NAME",
	"AWS::URLSuffix": "cdk.Aws.URL_SUFFIX",
}

var (
	patternVarRE = lazyRE(`\$\{([^}]*)\}`)
	resourceRE   = lazyRE(`^([A-Za-z][A-Za-z0-9]*)(?:\.([A-Za-z][A-Za-z0-9.]*))?$`)
	nameRE       = boundedRE(`^[A-Za-z][A-Za-z0-9]*$`, 1, 40)
)

// parsePattern splits s into literal text and variables, refusing a
// variable it cannot read; it does not check that the names exist (see
// manifest.checkPattern).
func parsePattern(s string) (pattern, error) {
	p := pattern{raw: s}
	last := 0
	for _, m := range patternVarRE.FindAllStringSubmatchIndex(s, -1) {
		if m[0] > last {
			p.parts = append(p.parts, patternPart{kind: partText, text: s[last:m[0]]})
		}
		last = m[1]
		v := s[m[2]:m[3]]
		switch ns, name, ok := strings.Cut(v, ":"); {
		case strings.HasPrefix(v, "!"):
			// CloudFormation's own escape: a literal "${...}".
			p.parts = append(p.parts, patternPart{kind: partText, text: "${" + v[1:] + "}"})
		case pseudoParams[v] != "":
			p.parts = append(p.parts, patternPart{kind: partPseudo, res: v})
		case ok && ns == "param" && nameRE.MatchString(name):
			p.parts = append(p.parts, patternPart{kind: partParam, text: name})
		case ok && ns == "value" && nameRE.MatchString(name):
			p.parts = append(p.parts, patternPart{kind: partValue, text: name})
		case ok && ns == "project" && (name == "name" || name == "stack"):
			p.parts = append(p.parts, patternPart{kind: partProject, text: name})
		case !ok && resourceRE.MatchString(v):
			res, attr, _ := strings.Cut(v, ".")
			p.parts = append(p.parts, patternPart{kind: partRef, res: res, attr: attr})
		default:
			return pattern{}, fmt.Errorf("${%s} is not something a pattern can refer to: use ${param:NAME}, ${value:NAME}, ${project:name}, ${project:stack}, a resource the template creates as ${Name} or ${Name.Attribute}, or one of ${%s}",
				v, strings.Join(slices.Sorted(maps.Keys(pseudoParams)), "}, ${"))
		}
	}
	if last < len(s) {
		p.parts = append(p.parts, patternPart{kind: partText, text: s[last:]})
	}
	if rest := patternVarRE.ReplaceAllString(s, ""); strings.Contains(rest, "${") {
		return pattern{}, fmt.Errorf("%s has an unclosed ${", Quote(s))
	}
	return p, nil
}

// Value is a pattern with the project's answers substituted: literal text,
// references to the stack's resources and pseudo parameters. Templates
// write it with the sam and cdk functions.
type Value struct {
	parts []valuePart
	// wildcard says the pattern itself (not an answer in it) has a "*".
	wildcard bool
}

type valuePart struct {
	text     string // literal text (ref and pseudo are empty)
	ref      *resourceRef
	attr     string // of ref; "" for its Ref
	pseudo   string
	fromUser bool // text that came from an answer
}

// resourceRef is what a Value needs of a resource the template declares.
type resourceRef struct {
	name       string            // logical id in SAM
	cdk        string            // the TypeScript expression of its construct
	cdkID      string            // the construct's id
	attributes map[string]string // "Ref" and attribute names -> TypeScript expressions
}

// literalValue is a Value of plain text.
func literalValue(s string) Value {
	if s == "" {
		return Value{}
	}
	return Value{parts: []valuePart{{text: s}}}
}

// String is the value as an Fn::Sub string: references as ${Res.Attr},
// answers with "${" escaped.
func (v Value) String() string {
	var b strings.Builder
	for _, p := range v.parts {
		switch {
		case p.ref != nil && p.attr == "":
			b.WriteString("${" + p.ref.name + "}")
		case p.ref != nil:
			b.WriteString("${" + p.ref.name + "." + p.attr + "}")
		case p.pseudo != "":
			b.WriteString("${" + p.pseudo + "}")
		default:
			b.WriteString(strings.ReplaceAll(p.text, "${", "${!"))
		}
	}
	return b.String()
}

// CDKSub is the value as an Fn::Sub string that names each resource by
// its CDK construct id rather than its logical id, as a CDK stack's tests
// write them: ${Bucket.Arn} for a bucket made with new s3.Bucket(this,
// "Bucket").
func (v Value) CDKSub() string {
	var b strings.Builder
	for _, p := range v.parts {
		switch {
		case p.ref != nil && p.attr == "":
			b.WriteString("${" + p.ref.cdkID + "}")
		case p.ref != nil:
			b.WriteString("${" + p.ref.cdkID + "." + p.attr + "}")
		case p.pseudo != "":
			b.WriteString("${" + p.pseudo + "}")
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// Text is the value's literal text, when it has no references.
func (v Value) Text() (string, bool) {
	var b strings.Builder
	for _, p := range v.parts {
		if p.ref != nil || p.pseudo != "" {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

// IsEmpty reports whether the value is the empty string.
func (v Value) IsEmpty() bool {
	t, ok := v.Text()
	return ok && t == ""
}

func (v Value) hasRefs() bool {
	return slices.ContainsFunc(v.parts, func(p valuePart) bool { return p.ref != nil })
}

// SAM writes the value for a SAM template: a quoted string, !Ref or
// !GetAtt for a lone reference, else !Sub.
func (v Value) SAM() string {
	if t, ok := v.Text(); ok {
		return yamlString(t)
	}
	if len(v.parts) == 1 && v.parts[0].ref != nil {
		p := v.parts[0]
		if p.attr == "" {
			return "!Ref " + p.ref.name
		}
		return "!GetAtt " + p.ref.name + "." + p.attr
	}
	if len(v.parts) == 1 && v.parts[0].pseudo != "" {
		return "!Ref " + v.parts[0].pseudo
	}
	return "!Sub " + yamlString(v.String())
}

// CDK writes the value as a TypeScript expression for a CDK stack: a
// string literal; the construct's attribute for a lone reference;
// cdk.Fn.sub for text with pseudo parameters; a template literal whose
// placeholders are the constructs' attributes when it refers to resources.
func (v Value) CDK() string {
	if t, ok := v.Text(); ok {
		return jsString(t)
	}
	if len(v.parts) == 1 && v.parts[0].ref != nil {
		return v.parts[0].ref.expr(v.parts[0].attr)
	}
	if !v.hasRefs() {
		return "cdk.Fn.sub(" + jsString(v.String()) + ")"
	}
	var b strings.Builder
	b.WriteByte('`')
	for _, p := range v.parts {
		switch {
		case p.ref != nil:
			b.WriteString("${" + p.ref.expr(p.attr) + "}")
		case p.pseudo != "":
			b.WriteString("${" + pseudoParams[p.pseudo] + "}")
		default:
			b.WriteString(templateLiteralText(p.text))
		}
	}
	b.WriteByte('`')
	return b.String()
}

// NagFinding is the id cdk-nag's AwsSolutions-IAM5 gives a finding about
// this resource, as a TypeScript expression: the value with CloudFormation
// references written <Name> and <Name.Attribute>, in CDK a template
// literal since a resource's logical id is known only at synth.
func (v Value) NagFinding() string {
	const prefix, suffix = "AwsSolutions-IAM5[Resource::", "]"
	if !v.hasRefs() {
		return jsString(prefix + nagName(v.String()) + suffix)
	}
	var b strings.Builder
	b.WriteString("`" + prefix)
	for _, p := range v.parts {
		switch {
		case p.ref != nil:
			b.WriteString("<${this.getLogicalId((" + p.ref.cdk + ".node.defaultChild ?? " + p.ref.cdk + ") as cdk.CfnElement)}")
			if p.attr != "" {
				b.WriteString("." + p.attr)
			}
			b.WriteString(">")
		case p.pseudo != "":
			b.WriteString("<" + p.pseudo + ">")
		default:
			b.WriteString(templateLiteralText(p.text))
		}
	}
	b.WriteString(suffix + "`")
	return b.String()
}

// expr is the TypeScript expression of the resource's attribute.
func (r *resourceRef) expr(attr string) string {
	if attr == "" {
		attr = "Ref"
	}
	return r.attributes[attr]
}

// templateLiteralText escapes s for the inside of a TypeScript template
// literal: backslashes, backticks and "${", and control characters.
func templateLiteralText(s string) string {
	q := jsString(s)
	q = q[1 : len(q)-1] // the escaped inside of a "..." literal
	q = strings.ReplaceAll(q, `\"`, `"`)
	q = strings.ReplaceAll(q, "`", "\\`")
	return strings.ReplaceAll(q, "${", "$\\{")
}

// subVarRE matches a ${Name} or ${Name.Attribute} variable of an Fn::Sub
// string.
var subVarRE = lazyRE(`\$\{([A-Za-z0-9:.]+)\}`)

// nagName writes an Fn::Sub string the way cdk-nag names a finding about
// it: each ${X} reference becomes <X>, as in
// AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::bucket/*].
func nagName(sub string) string {
	return subVarRE.ReplaceAllString(sub, "<$1>")
}

// Condition decides whether part of a template applies, from the values of
// its parameters (defaults included): every parameter it names must match.
// A manifest writes each as `param: value` (equal), or as a mapping with
// one of not (differs), matches or notMatches (an RE2 expression the
// whole value must, or must not, match).
type Condition map[string]Match

// Match is the test of one parameter in a Condition.
type Match struct {
	Equals     *string `json:"equals,omitempty"`
	Not        *string `json:"not,omitempty"`
	Matches    string  `json:"matches,omitempty"`
	NotMatches string  `json:"notMatches,omitempty"`
	re         *regexp.Regexp
}

// MarshalJSON writes the condition as a manifest does: a parameter's
// value for equality, else {"not": ...}, {"matches": ...} or
// {"notMatches": ...}.
func (c Condition) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for k, m := range c {
		if m.Equals != nil {
			out[k] = *m.Equals
		} else {
			out[k] = m
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = Condition{}
	for k, v := range raw {
		var m Match
		var eq string
		if err := json.Unmarshal(v, &eq); err == nil {
			m.Equals = &eq
		} else if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if re := cmp.Or(m.Matches, m.NotMatches); re != "" {
			var err error
			if m.re, err = regexp.Compile(`^(?:` + re + `)$`); err != nil {
				return err
			}
		}
		(*c)[k] = m
	}
	return nil
}

// Holds reports whether every parameter in c matches.
func (c Condition) Holds(params map[string]string) bool {
	for k, m := range c {
		if !m.holds(params[k]) {
			return false
		}
	}
	return true
}

func (m Match) holds(v string) bool {
	switch {
	case m.Equals != nil:
		return v == *m.Equals
	case m.Not != nil:
		return v != *m.Not
	case m.re != nil && m.Matches != "":
		return m.re.MatchString(v)
	case m.re != nil:
		return !m.re.MatchString(v)
	}
	return true
}

// String writes the condition as a person reads it: "provider=openai and
// bucket is set".
func (c Condition) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c)) {
		m := c[k]
		switch {
		case m.Equals != nil && *m.Equals == "":
			parts = append(parts, k+" is not set")
		case m.Equals != nil:
			parts = append(parts, k+"="+*m.Equals)
		case m.Not != nil && *m.Not == "":
			parts = append(parts, k+" is set")
		case m.Not != nil:
			parts = append(parts, k+"!="+*m.Not)
		case m.Matches != "":
			parts = append(parts, k+" matches "+Quote(m.Matches))
		default:
			parts = append(parts, k+" does not match "+Quote(m.NotMatches))
		}
	}
	return strings.Join(parts, " and ")
}

// Equalities returns the parameters the condition requires to equal a
// value, the form `--set K=V` can satisfy.
func (c Condition) Equalities() map[string]string {
	out := map[string]string{}
	for k, m := range c {
		if m.Equals != nil {
			out[k] = *m.Equals
		}
	}
	return out
}
