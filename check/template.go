package check

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// function is a Lambda function as the templates describe it, with what
// stands in front of it.
type function struct {
	id      string // logical id, or the Serverless function's name
	file    string // the template, relative to the project
	line    int
	flavour string // "sam", "cloudformation", "cdk" or "serverless"
	// name is the FunctionName the template gives, "" for none.
	name    string
	runtime string
	timeout int // seconds; 0 when not set, unknown when not a literal
	handler string
	// entry is the handler's source file relative to the project, when it
	// can be found; codeDir the folder the handler is relative to.
	entry   string
	codeDir string
	// bundled is set for a CDK asset built by a bundler: its code is not
	// the source, and the source rules skip it.
	bundled bool

	urls         []frontURL
	rest         []restMethod
	buffering    []place // HTTP APIs and load balancers
	samAPIEvents []samAPIEvent
	logRetention bool
	// suppress holds the resource's Metadata suppressions: rule -> reason.
	suppress map[string]string
}

// place is a location in a file.
type place struct {
	file, what string
	line       int
}

type frontURL struct {
	place
	authNone   bool
	invokeMode string // unknown when not a literal
	// wrongKey is a key that looks like the mode's but is not read (a
	// Serverless url's invokeMode), "" for none.
	wrongKey string
	cors     bool
	// needsPermissions: the template must declare the public
	// permissions itself (SAM adds them for its own URLs).
	needsPermissions bool
	id               string
}

// unknown stands for a value given by an intrinsic function check cannot
// resolve: rules about it do not apply.
const unknown = "\x00unknown"

// unknownTimeout is a Timeout that is not a literal.
const unknownTimeout = -1

type restMethod struct {
	place
	transferMode string
	uri          string // the integration URI's text, references written ${X}
}

type samAPIEvent struct {
	place
	invokeMode   bool
	transferMode string
}

// readYAML reads a template or serverless.yml and returns its root node;
// a file that is not text, does not parse, or whose aliases loop or
// explode is an SG000 finding, and nil is returned (nil too for an empty
// document).
func (c *checker) readYAML(rel string) *yaml.Node {
	raw := c.readLimited(rel, maxTemplateBytes)
	if raw == nil {
		return nil
	}
	if !isText(raw) {
		c.add(Finding{Rule: "SG000", File: rel, Message: rel + " is not text"})
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		line := 1
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		c.add(Finding{Rule: "SG000", File: rel, Line: line, Message: fmt.Sprintf("%s does not parse: %v", rel, err)})
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if n, why := aliasTrouble(root); n != nil {
		c.add(Finding{Rule: "SG000", File: rel, Line: n.Line, Message: fmt.Sprintf("%s: a YAML alias here %s; check reads no further", rel, why)})
		return nil
	}
	return root
}

// readTemplate reads a SAM or CloudFormation template (YAML or JSON) and
// returns its functions with their front ends.
func (c *checker) readTemplate(rel string, cdk bool) []*function {
	root := c.readYAML(rel)
	if root == nil {
		return nil
	}
	resources := get(root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil
	}
	globals := get(get(root, "Globals"), "Function")
	// Parameters' defaults stand for their Refs.
	defaults := map[string]string{}
	if params := get(root, "Parameters"); params != nil && params.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(params.Content); i += 2 {
			if d := get(params.Content[i+1], "Default"); d != nil && scalar(d) != "" {
				defaults[params.Content[i].Value] = scalar(d)
			}
		}
	}
	value := func(n *yaml.Node) string { return literalValue(n, defaults) }
	flavour := "cloudformation"
	switch {
	case cdk:
		flavour = "cdk"
	case strings.Contains(text(get(root, "Transform")), "AWS::Serverless"):
		flavour = "sam"
	}

	type res struct {
		id   string
		typ  string
		node *yaml.Node
		line int // the logical id's
	}
	var all []res
	for i := 0; i+1 < len(resources.Content); i += 2 {
		k, v := resources.Content[i], resources.Content[i+1]
		all = append(all, res{k.Value, scalar(get(v, "Type")), v, k.Line})
	}
	byID := map[string]*function{}
	var fns []*function
	for _, r := range all {
		props := get(r.node, "Properties")
		switch r.typ {
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
		default:
			continue
		}
		fn := &function{id: r.id, file: rel, line: r.line, flavour: flavour, name: scalar(get(props, "FunctionName")), suppress: c.metadataSuppress(rel, r.node)}
		prop := func(key string) *yaml.Node {
			if n := get(props, key); n != nil {
				return n
			}
			if r.typ == "AWS::Serverless::Function" {
				return get(globals, key)
			}
			return nil
		}
		fn.runtime = value(prop("Runtime"))
		switch t := value(prop("Timeout")); t {
		case unknown:
			fn.timeout = unknownTimeout
		default:
			fn.timeout, _ = strconv.Atoi(t)
		}
		fn.handler = scalar(prop("Handler"))
		logGroup := get(prop("LoggingConfig"), "LogGroup")
		for _, g := range all {
			if g.typ != "AWS::Logs::LogGroup" || get(get(g.node, "Properties"), "RetentionInDays") == nil {
				continue
			}
			name := scalar(get(get(g.node, "Properties"), "LogGroupName"))
			if slices.Contains(refs(logGroup), g.id) || name != "" && scalar(logGroup) == name {
				fn.logRetention = true
			}
		}
		switch {
		case cdk:
			meta := get(r.node, "Metadata")
			if asset := scalar(get(meta, "aws:asset:path")); asset != "" {
				fn.codeDir = path.Join(path.Dir(rel), asset)
				fn.bundled = scalar(get(meta, "aws:asset:is-bundled")) == "true"
			}
		case r.typ == "AWS::Lambda::Function" && scalar(get(props, "Code")) != "" && !strings.Contains(scalar(get(props, "Code")), "://"):
			// A local path, as `aws cloudformation package` takes it.
			fn.codeDir = path.Join(path.Dir(rel), strings.TrimPrefix(scalar(get(props, "Code")), "./"))
		case r.typ == "AWS::Serverless::Function":
			if uri := scalar(prop("CodeUri")); !strings.Contains(uri, "://") && (prop("CodeUri") == nil || uri != "") {
				// A local folder; code in S3 (s3://, or Bucket and Key)
				// is not here to read.
				fn.codeDir = path.Join(path.Dir(rel), strings.TrimPrefix(uri, "./"))
			}
			if scalar(get(get(r.node, "Metadata"), "BuildMethod")) == "esbuild" {
				if entries := get(get(get(r.node, "Metadata"), "BuildProperties"), "EntryPoints"); entries != nil && len(entries.Content) > 0 {
					fn.entry = path.Join(fn.codeDir, scalar(entries.Content[0]))
				}
			}
		}
		if u := prop("FunctionUrlConfig"); u != nil {
			line := keyLine(props, "FunctionUrlConfig")
			if get(props, "FunctionUrlConfig") == nil {
				line = keyLine(globals, "FunctionUrlConfig")
			}
			if line == 0 { // merged in with <<
				line = r.line
			}
			fn.urls = append(fn.urls, frontURL{place: place{rel, "FunctionUrlConfig of " + r.id, line},
				authNone: value(get(u, "AuthType")) == "NONE", invokeMode: value(get(u, "InvokeMode")), cors: get(u, "Cors") != nil, id: r.id})
		}
		if events := get(props, "Events"); events != nil && events.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(events.Content); i += 2 {
				name, ev := events.Content[i].Value, events.Content[i+1]
				p := place{rel, "event " + name + " of " + r.id, events.Content[i].Line}
				evProps := get(ev, "Properties")
				switch scalar(get(ev, "Type")) {
				case "Api":
					fn.samAPIEvents = append(fn.samAPIEvents, samAPIEvent{place: p, invokeMode: get(evProps, "InvokeMode") != nil, transferMode: scalar(get(evProps, "ResponseTransferMode"))})
				case "HttpApi":
					p.what = "HttpApi " + p.what
					fn.buffering = append(fn.buffering, p)
				}
			}
		}
		byID[r.id] = fn
		fns = append(fns, fn)
	}

	// What stands in front of each function, and its logs.
	for _, r := range all {
		props := get(r.node, "Properties")
		switch r.typ {
		case "AWS::Lambda::Url":
			for _, id := range refs(get(props, "TargetFunctionArn")) {
				if fn := byID[id]; fn != nil {
					fn.urls = append(fn.urls, frontURL{place: place{rel, "AWS::Lambda::Url " + r.id, r.line},
						authNone: value(get(props, "AuthType")) == "NONE", invokeMode: value(get(props, "InvokeMode")),
						cors: get(props, "Cors") != nil, needsPermissions: true, id: r.id})
				}
			}
		case "AWS::ApiGateway::Method":
			integ := get(props, "Integration")
			uri := get(integ, "Uri")
			for _, id := range refs(uri) {
				if fn := byID[id]; fn != nil {
					fn.rest = append(fn.rest, restMethod{place: place{rel, "AWS::ApiGateway::Method " + r.id, r.line},
						transferMode: scalar(get(integ, "ResponseTransferMode")), uri: text(uri)})
				}
			}
		case "AWS::ApiGatewayV2::Integration":
			for _, id := range refs(get(props, "IntegrationUri")) {
				if fn := byID[id]; fn != nil {
					fn.buffering = append(fn.buffering, place{rel, "HTTP API integration " + r.id, r.line})
				}
			}
		case "AWS::ElasticLoadBalancingV2::TargetGroup":
			if scalar(get(props, "TargetType")) != "lambda" {
				continue
			}
			for _, id := range refs(get(props, "Targets")) {
				if fn := byID[id]; fn != nil {
					fn.buffering = append(fn.buffering, place{rel, "load balancer target group " + r.id, r.line})
				}
			}
		case "AWS::Logs::LogGroup", "Custom::LogRetention":
			// A log group of the function's default name with a retention;
			// Custom::LogRetention is what CDK's logRetention synthesizes.
			if get(props, "RetentionInDays") == nil {
				continue
			}
			name := get(props, "LogGroupName")
			if !strings.Contains(text(name), "/aws/lambda/") {
				continue
			}
			for _, id := range refs(name) {
				if fn := byID[id]; fn != nil {
					fn.logRetention = true
				}
			}
			for _, fn := range fns {
				if fn.name != "" && scalar(name) == "/aws/lambda/"+fn.name {
					fn.logRetention = true
				}
			}
		}
	}
	// The public permissions a plain Lambda::Url needs.
	for _, fn := range fns {
		for i := range fn.urls {
			u := &fn.urls[i]
			if !u.needsPermissions || !u.authNone {
				continue
			}
			var viaURL, invoke bool
			for _, r := range all {
				if r.typ != "AWS::Lambda::Permission" {
					continue
				}
				props := get(r.node, "Properties")
				if !namesFunction(get(props, "FunctionName"), fn) {
					continue
				}
				if scalar(get(props, "Principal")) != "*" {
					continue
				}
				switch scalar(get(props, "Action")) {
				case "lambda:InvokeFunctionUrl":
					viaURL = viaURL || scalar(get(props, "FunctionUrlAuthType")) == "NONE"
				case "lambda:InvokeFunction":
					invoke = invoke || strings.EqualFold(scalar(get(props, "InvokedViaFunctionUrl")), "true")
				}
			}
			if !viaURL || !invoke {
				missing := []string{}
				if !viaURL {
					missing = append(missing, "lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE)")
				}
				if !invoke {
					missing = append(missing, "lambda:InvokeFunction (InvokedViaFunctionUrl true)")
				}
				c.addFor(fn, Finding{Rule: "SG007", File: u.file, Line: u.line,
					Message: fmt.Sprintf("the public %s has no Principal * permission %s; add an AWS::Lambda::Permission for each, or every request gets 403", u.what, strings.Join(missing, " and "))})
			}
		}
	}
	return fns
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })

// metadataSuppress reads a resource's Metadata.streamgen-check-ignore: a
// mapping of rule to reason, or a list of "RULE reason" strings.
func (c *checker) metadataSuppress(file string, res *yaml.Node) map[string]string {
	n := get(get(res, "Metadata"), "streamgen-check-ignore")
	if n == nil {
		return nil
	}
	out := map[string]string{}
	add := func(id, reason string, line int) {
		r, ok := LookupRule(id)
		if !ok {
			c.add(Finding{Rule: "SG020", File: file, Line: line, Message: fmt.Sprintf("streamgen-check-ignore names %s, which is no rule", quote(id))})
			return
		}
		if strings.TrimSpace(reason) == "" {
			c.add(Finding{Rule: "SG020", File: file, Line: line, Message: "streamgen-check-ignore " + r.ID + " has no reason; say why the finding does not apply"})
		}
		out[r.ID] = reason
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			add(n.Content[i].Value, scalar(n.Content[i+1]), n.Content[i].Line)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			id, reason, _ := strings.Cut(strings.TrimSpace(scalar(item)), " ")
			add(id, reason, item.Line)
		}
	case yaml.ScalarNode:
		id, reason, _ := strings.Cut(strings.TrimSpace(n.Value), " ")
		add(id, reason, n.Line)
	}
	return out
}

// addFor records a finding about fn unless its resource suppresses it.
func (c *checker) addFor(fn *function, f Finding) {
	if _, ok := fn.suppress[f.Rule]; ok {
		return
	}
	c.add(f)
}

// namesFunction reports whether a permission's FunctionName names fn: a
// reference to it, its logical id, its FunctionName, or an ARN ending in
// that name.
func namesFunction(n *yaml.Node, fn *function) bool {
	if slices.Contains(refs(n), fn.id) {
		return true
	}
	v := scalar(n)
	return v != "" && (v == fn.id || fn.name != "" && (v == fn.name || strings.HasSuffix(v, ":function:"+fn.name)))
}

// literalValue is n's value: a literal, or a Ref to a parameter with a
// default; unknown for any other intrinsic function; "" for nothing.
func literalValue(n *yaml.Node, defaults map[string]string) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v := scalar(n); v != "" || n.Kind == yaml.ScalarNode && (n.Tag == "" || strings.HasPrefix(n.Tag, "!!")) {
		return v
	}
	ref := ""
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!Ref":
		ref = n.Value
	case n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Ref":
		ref = scalar(n.Content[1])
	}
	if d, ok := defaults[ref]; ok {
		return d
	}
	return unknown
}

// maxAliasNodes bounds how many nodes YAML aliases may add to a template
// when expanded: beyond it (an alias "bomb") check reads no further.
const maxAliasNodes = 1 << 16

// aliasTrouble finds an alias that refers to itself, or one whose
// expansion takes the document over maxAliasNodes more nodes than it
// has, and says what is wrong with it; nil when the aliases are sound.
func aliasTrouble(root *yaml.Node) (*yaml.Node, string) {
	size := map[*yaml.Node]int{}
	open := map[*yaml.Node]bool{}
	var bad *yaml.Node
	var why string
	var walk func(x *yaml.Node) int
	walk = func(x *yaml.Node) int {
		if bad != nil {
			return 0
		}
		if s, ok := size[x]; ok {
			return s
		}
		if open[x] {
			bad, why = x, "refers to a node that contains it"
			return 0
		}
		open[x] = true
		total := 1
		if x.Kind == yaml.AliasNode && x.Alias != nil {
			total += walk(x.Alias)
		}
		for _, k := range x.Content {
			total = min(total+walk(k), 1<<40)
		}
		delete(open, x)
		size[x] = total
		return total
	}
	total := walk(root)
	if bad == nil && total > len(size)+maxAliasNodes {
		// The first alias whose expansion is too large.
		var find func(x *yaml.Node) *yaml.Node
		find = func(x *yaml.Node) *yaml.Node {
			if x.Kind == yaml.AliasNode && size[x] > maxAliasNodes {
				return x
			}
			for _, k := range x.Content {
				if f := find(k); f != nil {
					return f
				}
			}
			return nil
		}
		bad = cmp.Or(find(root), root)
		why = fmt.Sprintf("expands the document to over %d nodes", len(size)+maxAliasNodes)
	}
	return bad, why
}

// get returns the value of key in mapping n, or nil; keys merged in with
// YAML's << count too.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			return v
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "") {
			m := n.Content[i+1]
			if m.Kind == yaml.AliasNode {
				m = m.Alias
			}
			merged := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				merged = m.Content
			}
			for _, src := range merged {
				if v := get(src, key); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

// scalar is n's value when it is a plain scalar (not an intrinsic
// function), else "".
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "" && !strings.HasPrefix(n.Tag, "!!")) {
		return ""
	}
	return n.Value
}

var subRefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}`) })

// refs lists the logical ids n refers to, in any form: Ref, Fn::GetAtt,
// ${Id} in Fn::Sub, YAML short tags included, at any depth.
func refs(n *yaml.Node) []string {
	var out []string
	var walk func(*yaml.Node, string)
	walk = func(x *yaml.Node, fn string) {
		if x == nil {
			return
		}
		if x.Kind == yaml.AliasNode {
			x = x.Alias
		}
		tag := fn
		if x.Tag != "" && !strings.HasPrefix(x.Tag, "!!") {
			tag = x.Tag
		}
		switch x.Kind {
		case yaml.ScalarNode:
			switch tag {
			case "!Ref", "Ref":
				out = append(out, x.Value)
			case "!GetAtt", "Fn::GetAtt":
				id, _, _ := strings.Cut(x.Value, ".")
				out = append(out, id)
			case "!Sub", "Fn::Sub":
				for _, m := range subRefRE().FindAllStringSubmatch(x.Value, -1) {
					out = append(out, m[1])
				}
			}
		case yaml.SequenceNode:
			for i, item := range x.Content {
				if (tag == "!GetAtt" || tag == "Fn::GetAtt") && i == 0 {
					out = append(out, item.Value)
					continue
				}
				walk(item, tag)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(x.Content); i += 2 {
				walk(x.Content[i+1], x.Content[i].Value)
			}
		}
	}
	walk(n, "")
	return out
}

// text writes n as a string, references as ${Id}: enough to read an
// integration URI's shape.
func text(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!Ref" || n.Tag == "!GetAtt" {
			return "${" + n.Value + "}"
		}
		return n.Value
	}
	var parts []string
	for _, c := range n.Content {
		parts = append(parts, text(c))
	}
	return strings.Join(parts, "")
}

// keyLine is the line of key in mapping n.
func keyLine(n *yaml.Node, key string) int {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	return 0
}
