package generator

//go:generate sh -c "python3 gen_taggable.py > taggable_gen.go && gofmt -w taggable_gen.go"

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// House is an organisation's policy that every project it generates
// follows, whatever the template: platform teams give it with --house, in
// [Options.House], or as house.yaml at the root of a template directory.
//
//	tags:                          # on the stack and every resource that takes tags
//	  team: payments
//	  cost-center: "4711"
//	permissionsBoundary: arn:aws:iam::123456789012:policy/boundary   # on every role
//	logRetentionDays: 90           # every log group (default 30)
//
// .streamgen.json records it, so a project regenerates with the same
// policy.
type House struct {
	Tags                map[string]string `json:"tags,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	LogRetentionDays    int               `json:"logRetentionDays,omitempty"`
}

// IsZero reports whether the policy asks for nothing.
func (h House) IsZero() bool {
	return len(h.Tags) == 0 && h.PermissionsBoundary == "" && h.LogRetentionDays == 0
}

func (h House) clone() House {
	h.Tags = maps.Clone(h.Tags)
	return h
}

// Tag is one house tag.
type Tag struct{ Key, Value string }

// TagList returns the tags sorted by key.
func (h House) TagList() []Tag {
	var out []Tag
	for _, k := range slices.Sorted(maps.Keys(h.Tags)) {
		out = append(out, Tag{k, h.Tags[k]})
	}
	return out
}

type houseSchema struct {
	Tags                yaml.Node `yaml:"tags"`
	PermissionsBoundary string    `yaml:"permissionsBoundary"`
	LogRetentionDays    int       `yaml:"logRetentionDays"`
}

var (
	// tagTextRE is what tag keys and values may hold in every AWS service:
	// letters, digits, spaces and _.:/=+-@ (Unicode letters included).
	tagTextRE = lazyRE(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// boundaryARNRE is a customer or AWS managed policy's ARN.
	boundaryARNRE = lazyRE(`^arn:aws(?:-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f)?:iam::(?:\d{12}|aws):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$`)
)

// maxTags is what most AWS resources take; the SAM transform's own tag
// (lambda:createdBy) counts against a function's 50.
const maxTags = 45

// ParseHouse reads a house policy in YAML or JSON. Every problem is a
// *FileError with its line, joined; file names the file in them.
func ParseHouse(raw []byte, file string) (*House, error) {
	mp := &manifestParser{file: file}
	var hs houseSchema
	root := mp.root(raw, &hs)
	if root == nil {
		return nil, joinFileErrors(mp.errs)
	}
	h := mp.house(root)
	if len(mp.errs) > 0 {
		return nil, joinFileErrors(mp.errs)
	}
	return h, nil
}

// house reads a house policy mapping (the root of a house file, or the
// house key of a values file).
func (mp *manifestParser) house(root *yaml.Node) *House {
	var hs houseSchema
	if !mp.decode(root, &hs) {
		return nil
	}
	h := &House{PermissionsBoundary: hs.PermissionsBoundary, LogRetentionDays: hs.LogRetentionDays}
	if n := valueNode(root, "tags"); n != nil {
		if n.Kind != yaml.MappingNode {
			mp.at(n, "tags must be a mapping of tag keys to values")
		} else {
			h.Tags = map[string]string{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
					mp.at(v, "tag %s: the value must be a string (quote numbers, such as \"4711\")", Quote(k.Value))
					continue
				}
				if _, dup := h.Tags[k.Value]; dup {
					mp.at(k, "tag %s is given twice", Quote(k.Value))
				}
				if err := checkTag(k.Value, v.Value); err != "" {
					mp.at(k, "%s", err)
				}
				h.Tags[k.Value] = v.Value
			}
			if len(h.Tags) > maxTags {
				mp.at(n, "%d tags; at most %d fit beside the tags AWS adds itself", len(h.Tags), maxTags)
			}
		}
	}
	if h.PermissionsBoundary != "" && !boundaryARNRE.MatchString(h.PermissionsBoundary) {
		mp.at(valueNode(root, "permissionsBoundary"), "permissionsBoundary %s is not an IAM managed policy ARN such as arn:aws:iam::123456789012:policy/boundary", Quote(h.PermissionsBoundary))
	}
	if n := valueNode(root, "logRetentionDays"); n != nil {
		if _, ok := cdkRetention()[h.LogRetentionDays]; !ok {
			mp.at(n, "logRetentionDays %s is not one CloudWatch Logs accepts: %s", Quote(n.Value), retentionChoices())
		}
	}
	return h
}

// Validate checks a house policy given in code, as ParseHouse checks a
// file; errors name the policy's keys.
func (h House) Validate() error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(h.Tags)) {
		if err := checkTag(k, h.Tags[k]); err != "" {
			errs = append(errs, invalid("house tag", k, err, ""))
		}
	}
	if len(h.Tags) > maxTags {
		errs = append(errs, invalid("house tags", strconv.Itoa(len(h.Tags)), fmt.Sprintf("at most %d tags fit beside the tags AWS adds itself", maxTags), ""))
	}
	if h.PermissionsBoundary != "" && !boundaryARNRE.MatchString(h.PermissionsBoundary) {
		errs = append(errs, invalid("house permissionsBoundary", h.PermissionsBoundary, "not an IAM managed policy ARN", "e.g. arn:aws:iam::123456789012:policy/boundary"))
	}
	if _, ok := cdkRetention()[h.LogRetentionDays]; h.LogRetentionDays != 0 && !ok {
		errs = append(errs, invalid("house logRetentionDays", strconv.Itoa(h.LogRetentionDays), "not a retention CloudWatch Logs accepts", "one of "+retentionChoices()))
	}
	return joinFileErrors(errs)
}

// checkTag applies the rules AWS has for tags on every service.
func checkTag(key, value string) string {
	switch {
	case key == "":
		return "a tag key is empty"
	case utf8.RuneCountInString(key) > 128:
		return fmt.Sprintf("tag key %s is %d characters; AWS allows at most 128", Quote(key), utf8.RuneCountInString(key))
	case utf8.RuneCountInString(value) > 256:
		return fmt.Sprintf("the value of tag %s is %d characters; AWS allows at most 256", Quote(key), utf8.RuneCountInString(value))
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		return fmt.Sprintf("tag key %s: AWS reserves keys that start with aws:", Quote(key))
	case !tagTextRE.MatchString(key):
		return fmt.Sprintf("tag key %s has characters AWS does not allow in tags (letters, digits, spaces and _.:/=+-@ only)", Quote(key))
	case !tagTextRE.MatchString(value):
		return fmt.Sprintf("the value of tag %s has characters AWS does not allow in tags (letters, digits, spaces and _.:/=+-@ only)", Quote(key))
	}
	return ""
}

func retentionChoices() string {
	var s []string
	for _, d := range slices.Sorted(maps.Keys(cdkRetention())) {
		s = append(s, strconv.Itoa(d))
	}
	return strings.Join(s, ", ")
}

func joinFileErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return joinedErrors(errs)
}

// applyHouseSAM adds house policy to every resource of a rendered SAM
// template that takes it: the tags to each taggable resource (in the
// format its type uses), the permissions boundary to each IAM role and
// user, and to each serverless function and state machine whose role SAM
// creates. It edits the text line by line, so the template keeps its
// layout and comments. A resource's own tags stay beside the house tags
// (its own value wins for a key both set); a boundary of its own is
// replaced, as CDK's PermissionsBoundary.of does. Properties and tags
// written in flow style ({...}, [...]) or as intrinsic functions cannot
// take lines and are refused with their line.
func applyHouseSAM(content []byte, h House) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return content, nil
	}
	resources := valueNode(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return content, nil
	}
	lines := bytes.SplitAfter(content, []byte("\n"))
	e := &lineEdits{inserts: map[int][]string{}, drops: map[int]bool{}}
	var errs []error
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i], resources.Content[i+1]
		if res.Kind != yaml.MappingNode || res.Style&yaml.FlowStyle != 0 || len(res.Content) == 0 {
			continue
		}
		typ := stringValue(valueNode(res, "Type"))
		propsKey, props := mapEntry(res, "Properties")
		refuse := func(n *yaml.Node, what string) {
			errs = append(errs, fmt.Errorf("line %d: resource %s: %s; write it in block style so the house policy can be added", n.Line, name.Value, what))
		}
		var block []string // new properties, each a YAML block at column 0
		if format, ok := taggable()[typ]; ok && len(h.Tags) > 0 {
			tagsKey, own := mapEntry(props, format.property())
			switch {
			case own == nil || own.Tag == "!!null":
				block = append(block, tagBlock(format, h))
				if own != nil {
					e.drop(tagsKey, own)
				}
			case own.Tag != "" && !strings.HasPrefix(own.Tag, "!!"):
				refuse(own, format.property()+" is an intrinsic function ("+own.Tag+")")
			case (own.Kind == yaml.MappingNode || own.Kind == yaml.SequenceNode) && len(own.Content) == 0:
				block = append(block, tagBlock(format, h))
				e.drop(tagsKey, own)
			case own.Style&yaml.FlowStyle != 0:
				refuse(own, format.property()+" is in flow style")
			case format.mapping && own.Kind == yaml.MappingNode:
				item := own.Content[0]
				for _, t := range h.TagList() {
					if valueNode(own, t.Key) == nil {
						e.insert(item.Line-1, indentBlock(yamlString(t.Key)+": "+yamlString(t.Value), item.Column-1))
					}
				}
			case !format.mapping && own.Kind == yaml.SequenceNode:
				item := own.Content[0]
				for _, t := range h.TagList() {
					if !hasTagKey(own, t.Key) {
						e.insert(item.Line-1, indentBlock("- Key: "+yamlString(t.Key)+"\n  Value: "+yamlString(t.Value), item.Column-3))
					}
				}
			default:
				refuse(own, format.property()+" is not a list or mapping of tags")
			}
		}
		if h.PermissionsBoundary != "" && boundaryTypes[typ] && (typ == "AWS::IAM::Role" || typ == "AWS::IAM::User" || valueNode(props, "Role") == nil) {
			key, own := mapEntry(props, "PermissionsBoundary")
			if own != nil {
				e.drop(key, own)
			}
			block = append(block, "PermissionsBoundary: "+yamlString(h.PermissionsBoundary))
		}
		if len(block) == 0 {
			continue
		}
		switch {
		case props != nil && props.Kind == yaml.MappingNode && props.Style&yaml.FlowStyle != 0 && len(props.Content) > 0:
			refuse(props, "Properties is in flow style")
		case props != nil && props.Kind == yaml.MappingNode && len(props.Content) > 0 && !allDropped(e, props):
			first := firstKept(e, props)
			for _, b := range block {
				e.insert(first.Line-1, indentBlock(b, first.Column-1))
			}
		default:
			// No Properties (or empty ones) to add to: new Properties, as
			// the resource's first key.
			if props != nil {
				e.drop(propsKey, props)
			}
			first := res.Content[0]
			indent := first.Column - 1
			text := strings.Repeat(" ", indent) + "Properties:\n"
			for _, b := range block {
				text += indentBlock(b, indent+2)
			}
			e.insert(first.Line-1, text)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out bytes.Buffer
	for i, l := range lines {
		for _, s := range e.inserts[i] {
			out.WriteString(s)
		}
		if !e.drops[i] {
			out.Write(l)
		}
	}
	for _, s := range e.inserts[len(lines)] {
		out.WriteString(s)
	}
	// The result must still parse, with no key given twice.
	if err := checkYAMLKeys(out.Bytes()); err != nil {
		return nil, fmt.Errorf("adding house policy broke the template: %v", err)
	}
	return out.Bytes(), nil
}

// boundaryTypes are the resource types that take a PermissionsBoundary:
// IAM roles and users, and the SAM resources that create a role.
var boundaryTypes = map[string]bool{
	"AWS::IAM::Role": true, "AWS::IAM::User": true,
	"AWS::Serverless::Function": true, "AWS::Serverless::StateMachine": true,
}

// lineEdits collects edits to a text's lines: text to insert before a
// line (0-based), and lines to leave out.
type lineEdits struct {
	inserts map[int][]string
	drops   map[int]bool
}

func (e *lineEdits) insert(line int, text string) { e.inserts[line] = append(e.inserts[line], text) }

// drop leaves out the lines of a mapping entry, key and value; the key
// must start its line.
func (e *lineEdits) drop(key, value *yaml.Node) {
	for l := key.Line - 1; l < endLine(value); l++ {
		e.drops[l] = true
	}
}

// mapEntry returns the key and value nodes of key in mapping m.
func mapEntry(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// firstKept is the first key of m whose line is kept.
func firstKept(e *lineEdits, m *yaml.Node) *yaml.Node {
	for i := 0; i < len(m.Content); i += 2 {
		if !e.drops[m.Content[i].Line-1] {
			return m.Content[i]
		}
	}
	return m.Content[0]
}

func allDropped(e *lineEdits, m *yaml.Node) bool {
	for i := 0; i < len(m.Content); i += 2 {
		if !e.drops[m.Content[i].Line-1] {
			return false
		}
	}
	return true
}

// endLine returns the index (0-based) of the line after the last line of
// n, block scalars included.
func endLine(n *yaml.Node) int {
	last := n.Line
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		end := x.Line
		if x.Kind == yaml.ScalarNode && (x.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(x.Value, "\n")) {
			// A block scalar's lines follow its indicator; a multi-line
			// quoted one spans at least as many lines as its text has.
			end = x.Line + strings.Count(strings.TrimRight(x.Value, "\n"), "\n") + 1
		}
		if end > last {
			last = end
		}
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(n)
	return last
}

// checkYAMLKeys parses YAML text and refuses a mapping that has a key
// twice, which yaml.Node parsing (and CloudFormation's template
// decoders) would otherwise take silently or reject late.
func checkYAMLKeys(content []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return err
	}
	var errs []error
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			seen := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml.ScalarNode && seen[k.Value] {
					errs = append(errs, fmt.Errorf("line %d: the key %s is given twice", k.Line, Quote(k.Value)))
				}
				seen[k.Value] = true
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return errors.Join(errs...)
}

// tagBlock is the tags property for a resource: a mapping or a list of
// Key/Value, as its type takes them.
func tagBlock(format tagFormat, h House) string {
	var b strings.Builder
	b.WriteString(format.property() + ":")
	for _, t := range h.TagList() {
		if format.mapping {
			b.WriteString("\n  " + yamlString(t.Key) + ": " + yamlString(t.Value))
		} else {
			b.WriteString("\n  - Key: " + yamlString(t.Key) + "\n    Value: " + yamlString(t.Value))
		}
	}
	return b.String()
}

// hasTagKey reports whether a list of Key/Value tags has key.
func hasTagKey(list *yaml.Node, key string) bool {
	return slices.ContainsFunc(list.Content, func(n *yaml.Node) bool { return stringValue(valueNode(n, "Key")) == key })
}

// indentBlock indents every line of block by n spaces and ends it with a
// newline.
func indentBlock(block string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(block, "\n", "\n"+pad) + "\n"
}

// tagFormat says how a resource type takes tags.
type tagFormat struct {
	mapping bool   // a mapping of key to value, not a list of Key/Value
	key     string // the property, when not Tags
}

// property is the name of the tags property.
func (f tagFormat) property() string {
	if f.key != "" {
		return f.key
	}
	return "Tags"
}
