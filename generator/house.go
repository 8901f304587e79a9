package generator

//go:generate sh -c "python3 gen_taggable.py > taggable_gen.go && gofmt -w taggable_gen.go"

import (
	"bytes"
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
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
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
		if _, ok := cdkRetention[h.LogRetentionDays]; !ok {
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
	if _, ok := cdkRetention[h.LogRetentionDays]; h.LogRetentionDays != 0 && !ok {
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
	for _, d := range slices.Sorted(maps.Keys(cdkRetention)) {
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
// format its type uses), the permissions boundary to each IAM role.
// It inserts lines into the text, so the template keeps its layout and
// comments. A resource that sets either itself keeps its own; the house
// tags are added beside its tags.
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
	// insertions at line index (0-based): text to put before that line.
	inserts := map[int][]string{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i], resources.Content[i+1]
		typ := stringValue(valueNode(res, "Type"))
		props := valueNode(res, "Properties")
		var block []string // new properties, each a YAML block at column 0
		if format, ok := taggable[typ]; ok && len(h.Tags) > 0 {
			if own := valueNode(props, format.property()); own != nil && len(own.Content) > 0 {
				// The resource has tags of its own: the house tags go first
				// among them, unless it sets the same key.
				item := own.Content[0]
				for _, t := range h.TagList() {
					if format.mapping && valueNode(own, t.Key) == nil {
						inserts[item.Line-1] = append(inserts[item.Line-1], indentBlock(yamlString(t.Key)+": "+yamlString(t.Value), item.Column-1))
					} else if !format.mapping && !hasTagKey(own, t.Key) {
						inserts[item.Line-1] = append(inserts[item.Line-1], indentBlock("- Key: "+yamlString(t.Key)+"\n  Value: "+yamlString(t.Value), item.Column-3))
					}
				}
			} else {
				block = append(block, tagBlock(format, h))
			}
		}
		if typ == "AWS::IAM::Role" && h.PermissionsBoundary != "" && valueNode(props, "PermissionsBoundary") == nil {
			block = append(block, "PermissionsBoundary: "+yamlString(h.PermissionsBoundary))
		}
		if len(block) == 0 {
			continue
		}
		if props == nil || props.Kind != yaml.MappingNode || len(props.Content) == 0 {
			// No Properties to add to: add them after the resource.
			indent := name.Column - 1 + 2
			text := strings.Repeat(" ", indent) + "Properties:\n"
			for _, b := range block {
				text += indentBlock(b, indent+2)
			}
			at := lastLine(res)
			inserts[at] = append(inserts[at], text)
			continue
		}
		first := props.Content[0]
		for _, b := range block {
			inserts[first.Line-1] = append(inserts[first.Line-1], indentBlock(b, first.Column-1))
		}
	}
	var out bytes.Buffer
	for i, l := range lines {
		for _, s := range inserts[i] {
			out.WriteString(s)
		}
		out.Write(l)
	}
	for _, s := range inserts[len(lines)] {
		out.WriteString(s)
	}
	// The result must still parse, and as a template of the same resources.
	var check yaml.Node
	if err := yaml.Unmarshal(out.Bytes(), &check); err != nil {
		return nil, fmt.Errorf("adding house policy broke the template: %v", err)
	}
	return out.Bytes(), nil
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

// lastLine returns the index of the line after the last line of n.
func lastLine(n *yaml.Node) int {
	last := n.Line
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		if x.Line > last {
			last = x.Line
		}
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(n)
	return last
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
