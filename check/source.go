package check

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// node is a syntax tree node, copied out of tree-sitter's tree so the
// rules are plain Go.
type node struct {
	kind       string
	field      string // its field name in the parent, if any
	start, end int    // byte offsets
	line, col  int    // 1-based
	named      bool
	isError    bool
	kids       []*node
	parent     *node
}

func (n *node) text(src []byte) string { return string(src[n.start:n.end]) }

// child returns the first child in field, or nil.
func (n *node) child(field string) *node {
	for _, k := range n.kids {
		if k.field == field {
			return k
		}
	}
	return nil
}

// namedKids are the named children.
func (n *node) namedKids() []*node {
	var out []*node
	for _, k := range n.kids {
		if k.named {
			out = append(out, k)
		}
	}
	return out
}

// walk visits n and its descendants in source order; visit returns
// false to skip a node's children.
func (n *node) walk(visit func(*node) bool) {
	if n == nil || !visit(n) {
		return
	}
	for _, k := range n.kids {
		k.walk(visit)
	}
}

// isFunction reports whether n is a function of any form.
func isFunction(n *node) bool {
	switch n.kind {
	case "arrow_function", "function_expression", "function_declaration", "function", "method_definition", "generator_function", "generator_function_declaration":
		return true
	}
	return false
}

// enclosingFunction is the nearest function around n, or the program.
func enclosingFunction(n *node) *node {
	for p := n.parent; p != nil; p = p.parent {
		if isFunction(p) {
			return p
		}
		if p.parent == nil {
			return p
		}
	}
	return n
}

// sourceFile is a parsed handler source.
type sourceFile struct {
	rel  string
	src  []byte
	root *node
	// shim is set for a file that defines the streaming runtime's API
	// itself (a streamify shim or a test double): the stream rules do not
	// apply to its internals.
	shim bool
}

var ignoreRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`streamgen-check-ignore\s+([A-Za-z0-9-]+(?:\s*,\s*[A-Za-z0-9-]+)*)(?:\s+(.*?))?\s*(?:\*/)?\s*$`)
})

// parse reads and parses a source file once; problems are SG000
// findings, and nil is returned.
func (c *checker) parse(rel string) *sourceFile {
	if f, ok := c.sources[rel]; ok {
		return f
	}
	c.sources[rel] = nil
	if !parserAvailable {
		c.add(Finding{Rule: "SG000", Severity: Note, File: rel, Message: "this streamgen was built without cgo, which its JavaScript and TypeScript parser needs: the handler's source was not checked"})
		return nil
	}
	src := c.readLimited(rel, maxSourceBytes)
	if src == nil {
		return nil
	}
	if !isText(src) {
		c.add(Finding{Rule: "SG000", File: rel, Message: rel + " is not text (a NUL byte, or not UTF-8): it cannot be a handler's source"})
		return nil
	}
	lang := "js"
	switch path.Ext(rel) {
	case ".ts", ".mts", ".cts":
		lang = "ts"
	case ".tsx":
		lang = "tsx"
	}
	root := parseSource(src, lang)
	if root == nil {
		c.add(Finding{Rule: "SG000", File: rel, Message: rel + " could not be parsed"})
		return nil
	}
	f := &sourceFile{rel: rel, src: src, root: root}
	var firstError *node
	root.walk(func(n *node) bool {
		switch {
		case n.isError && firstError == nil:
			firstError = n
		case n.kind == "comment":
			text := n.text(src)
			if m := ignoreRE().FindStringSubmatch(text); m != nil {
				for _, id := range strings.Split(m[1], ",") {
					c.addIgnore(rel, n.line, strings.TrimSpace(id), m[2])
				}
			} else if strings.Contains(text, "streamgen-check-ignore") {
				c.add(Finding{Rule: "SG020", File: rel, Line: n.line, Column: n.col, Message: "this streamgen-check-ignore comment cannot be read, so it suppresses nothing: write `streamgen-check-ignore ID reason` (IDs may be separated by commas)"})
			}
		case n.kind == "class_declaration" || n.kind == "class":
			if name := n.child("name"); name != nil && name.text(src) == "HttpResponseStream" {
				f.shim = true
			}
		case n.kind == "function_declaration":
			if name := n.child("name"); name != nil && name.text(src) == "streamifyResponse" {
				f.shim = true
			}
		}
		return true
	})
	if firstError != nil {
		c.add(Finding{Rule: "SG000", File: rel, Line: firstError.line, Column: firstError.col, Message: rel + " has a syntax error here: its handler rules may be incomplete"})
	}
	c.sources[rel] = f
	return f
}

func (c *checker) addIgnore(file string, line int, id, reason string) {
	r, ok := LookupRule(id)
	if !ok {
		c.add(Finding{Rule: "SG020", File: file, Line: line, Message: fmt.Sprintf("streamgen-check-ignore names %s, which is no rule", quote(id))})
		return
	}
	if strings.TrimSpace(reason) == "" {
		c.add(Finding{Rule: "SG020", File: file, Line: line, Message: "streamgen-check-ignore " + r.ID + " has no reason; say why the finding does not apply"})
	}
	if c.suppress[file] == nil {
		c.suppress[file] = map[int]map[string]string{}
	}
	if c.suppress[file][line] == nil {
		c.suppress[file][line] = map[string]string{}
	}
	c.suppress[file][line][r.ID] = reason
}

func isText(b []byte) bool { return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b) }

// sourceExtensions are tried, in order, for a handler's module.
var sourceExtensions = []string{".mjs", ".js", ".cjs", ".ts", ".mts", ".cts"}

// resolveModule finds the file a handler module or relative import
// names: as it is, or with a source extension, or its index.
func (c *checker) resolveModule(p string) string {
	p = path.Clean(p)
	if strings.HasPrefix(p, "../") || p == ".." {
		return "" // outside the project
	}
	candidates := []string{}
	if path.Ext(p) != "" {
		candidates = append(candidates, p)
		// TypeScript sources import their .js outputs by name.
		base := strings.TrimSuffix(p, path.Ext(p))
		for _, e := range []string{".ts", ".mts", ".cts"} {
			candidates = append(candidates, base+e)
		}
	}
	for _, e := range sourceExtensions {
		candidates = append(candidates, p+e)
	}
	for _, e := range sourceExtensions {
		candidates = append(candidates, p+"/index"+e)
	}
	for _, cand := range candidates {
		if isRegularFile(c.dir, cand) {
			return cand
		}
	}
	return ""
}

// handlerInfo is what the handler's source says about it.
type handlerInfo struct {
	found       bool // the exported handler was found
	streamified bool
	wrapped     *node // a call around the streamified handler
	// plain is the exported handler when it is a plain function (not a
	// call whose result check cannot know, such as a framework's
	// adapter), with its parameter count and whether it is async.
	plain    *node
	params   int
	async    bool
	setsCORS bool // a prelude sets access-control-allow-origin
	file     *sourceFile
}

// analyzeHandler reads the handler's module and the modules it imports,
// runs the source rules on them, and says what the exported handler is.
func (c *checker) analyzeHandler(entry, export string) handlerInfo {
	f := c.parse(entry)
	if f == nil {
		return handlerInfo{}
	}
	info := handlerInfo{file: f}
	// Every module reached by relative imports, breadth first.
	seen := map[string]bool{entry: true}
	queue := []*sourceFile{f}
	for i := 0; i < len(queue) && len(seen) <= maxSourceFiles && !c.stopped(); i++ {
		for _, imp := range imports(queue[i]) {
			p := c.resolveModule(path.Join(path.Dir(queue[i].rel), imp))
			if p == "" || seen[p] {
				continue
			}
			seen[p] = true
			if g := c.parse(p); g != nil {
				queue = append(queue, g)
			}
		}
	}
	for _, g := range queue {
		if !g.shim {
			if c.fileRules(g) {
				info.setsCORS = true
			}
		}
	}
	// A re-export (`export { handler } from './impl.mjs'`, `module.exports
	// = require('./impl.cjs')`) is followed, a few modules deep.
	value := exportedValue(f, export)
	if value == nil {
		var g *sourceFile
		g, value = c.followExport(f, export, seen, &info, 0)
		if value != nil {
			f, info.file = g, g
		}
	}
	if value == nil {
		return info
	}
	info.found = true
	c.classify(f, value, &info, 0)
	return info
}

// followExport looks for name in the modules f takes it from (see
// reexports), a few modules deep, running the file rules on each module
// it reads; it returns the module that defines name and the value.
func (c *checker) followExport(f *sourceFile, name string, seen map[string]bool, info *handlerInfo, depth int) (*sourceFile, *node) {
	visited := map[binding]bool{}
	return c.followExportFrom(f, name, seen, info, depth, visited)
}

// maxExportVisits bounds the modules one handler's lookup visits.
const maxExportVisits = 200

func (c *checker) followExportFrom(f *sourceFile, name string, seen map[string]bool, info *handlerInfo, depth int, visited map[binding]bool) (*sourceFile, *node) {
	if depth >= 4 || c.stopped() || len(visited) >= maxExportVisits {
		return nil, nil
	}
	for _, from := range reexports(f, name) {
		if !strings.HasPrefix(from.module, "./") && !strings.HasPrefix(from.module, "../") {
			continue // a package's, not the project's
		}
		p := c.resolveModule(path.Join(path.Dir(f.rel), from.module))
		if p == "" || visited[binding{p, from.name}] || len(visited) >= maxExportVisits {
			continue
		}
		visited[binding{p, from.name}] = true
		c.exportVisits++
		g := c.parse(p)
		if g == nil {
			continue
		}
		if !seen[p] {
			seen[p] = true
			if !g.shim && c.fileRules(g) {
				info.setsCORS = true
			}
		}
		if v := exportedValue(g, from.name); v != nil {
			return g, v
		}
		if h, v := c.followExportFrom(g, from.name, seen, info, depth+1, visited); v != nil {
			return h, v
		}
	}
	return nil, nil
}

// binding is a name in another module.
type binding struct{ module, name string }

// reexports lists where a module that does not define name itself may
// take it from, in order: `export { name } from 'm'` (or `export { x as
// name }`), `import { x as name } from 'm'` then `export { name }`,
// `module.exports = require('m')`, `exports.name = require('m').x`, and
// each `export * from 'm'`.
func reexports(f *sourceFile, name string) []binding {
	var out, stars []binding
	for _, k := range f.root.namedKids() {
		switch k.kind {
		case "export_statement":
			local, hasClause := clauseExport(f, k, name)
			src := k.child("source")
			switch {
			case local != nil && src != nil:
				out = append(out, binding{unquote(src.text(f.src)), local.text(f.src)})
			case local != nil:
				if b, ok := imported(f, local.text(f.src)); ok {
					out = append(out, b)
				}
			case src != nil && !hasClause && strings.Contains(k.text(f.src), "*") && !strings.Contains(k.text(f.src), " as "):
				stars = append(stars, binding{unquote(src.text(f.src)), name})
			}
		case "expression_statement":
			a := firstNamed(k)
			if a == nil || a.kind != "assignment_expression" {
				continue
			}
			left, right := a.child("left"), a.child("right")
			if left == nil || right == nil {
				continue
			}
			switch l := left.text(f.src); {
			case l == "module.exports" && requireOf(f, right) != "":
				out = append(out, binding{requireOf(f, right), name})
			case (l == "exports."+name || l == "module.exports."+name) && right.kind == "member_expression":
				if m := requireOf(f, right.child("object")); m != "" {
					if prop := right.child("property"); prop != nil {
						out = append(out, binding{m, prop.text(f.src)})
					}
				}
			}
		}
	}
	return append(out, stars...)
}

// imported finds the import that binds local: `import { x as local } from
// 'm'` gives m and x, `import local from 'm'` m and default.
func imported(f *sourceFile, local string) (binding, bool) {
	for _, k := range f.root.namedKids() {
		if k.kind != "import_statement" || k.child("source") == nil {
			continue
		}
		module := unquote(k.child("source").text(f.src))
		var found *binding
		k.walk(func(n *node) bool {
			switch {
			case found != nil:
				return false
			case n.kind == "import_specifier":
				name, alias := n.child("name"), n.child("alias")
				bound := name
				if alias != nil {
					bound = alias
				}
				if name != nil && bound.text(f.src) == local {
					found = &binding{module, name.text(f.src)}
				}
				return false
			case n.kind == "import_clause":
				for _, id := range n.namedKids() {
					if id.kind == "identifier" && id.text(f.src) == local {
						found = &binding{module, "default"}
					}
				}
			}
			return true
		})
		if found != nil {
			return *found, true
		}
	}
	return binding{}, false
}

// requireOf is the module of a require('m') call, or "".
func requireOf(f *sourceFile, n *node) string {
	if n == nil || n.kind != "call_expression" {
		return ""
	}
	if fn := n.child("function"); fn == nil || fn.text(f.src) != "require" {
		return ""
	}
	if args := callArgs(n); len(args) == 1 && args[0].kind == "string" {
		return unquote(args[0].text(f.src))
	}
	return ""
}

// imports lists the relative modules a file imports or requires.
func imports(f *sourceFile) []string {
	var out []string
	f.root.walk(func(n *node) bool {
		switch n.kind {
		case "import_statement", "export_statement":
			if s := n.child("source"); s != nil {
				out = append(out, unquote(s.text(f.src)))
			}
		case "call_expression":
			fn := n.child("function")
			if fn != nil && (fn.text(f.src) == "require" || fn.kind == "import") {
				if args := n.child("arguments"); args != nil {
					for _, a := range args.namedKids() {
						if a.kind == "string" {
							out = append(out, unquote(a.text(f.src)))
						}
						break
					}
				}
			}
		}
		return true
	})
	var rel []string
	for _, s := range out {
		if strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
			rel = append(rel, s)
		}
	}
	return rel
}

func unquote(s string) string { return strings.Trim(s, "'\"`") }

// exportedValue finds what a module exports under name: the initializer
// or function of `export const name = ...`, `export function name`,
// `export { x as name }`, `exports.name = ...`, `module.exports.name = ...`.
func exportedValue(f *sourceFile, name string) *node {
	var found *node
	f.root.walk(func(n *node) bool {
		if found != nil {
			return false
		}
		switch n.kind {
		case "export_statement":
			if d := n.child("declaration"); d != nil {
				if v := declared(f, d, name); v != nil {
					found = v
				}
			}
			if local, _ := clauseExport(f, n, name); local != nil && n.child("source") == nil {
				found = topLevel(f, local.text(f.src))
			}
			if name == "default" && n.child("value") != nil {
				found = n.child("value")
			}
			return false
		case "assignment_expression":
			left := n.child("left")
			if left != nil {
				t := left.text(f.src)
				if t == "exports."+name || t == "module.exports."+name {
					found = n.child("right")
				}
				if t == "module.exports" {
					if obj := n.child("right"); obj != nil && obj.kind == "object" {
						for _, p := range obj.namedKids() {
							if p.kind == "pair" && unquote(p.child("key").text(f.src)) == name {
								found = p.child("value")
							}
							if p.kind == "shorthand_property_identifier" && p.text(f.src) == name {
								found = topLevel(f, name)
							}
						}
					}
				}
			}
		}
		return true
	})
	return resolve(f, found, 0)
}

// clauseExport finds, in an export statement's `{ x as name }` clause,
// the local name exported as name; hasClause says whether it has one.
func clauseExport(f *sourceFile, stmt *node, name string) (local *node, hasClause bool) {
	for _, k := range stmt.kids {
		if k.kind != "export_clause" {
			continue
		}
		hasClause = true
		for _, spec := range k.namedKids() {
			l, alias := spec.child("name"), spec.child("alias")
			exported := l
			if alias != nil {
				exported = alias
			}
			if l != nil && exported.text(f.src) == name {
				local = l
			}
		}
	}
	return local, hasClause
}

// declared returns the value declaration d gives name, if it declares it.
func declared(f *sourceFile, d *node, name string) *node {
	switch d.kind {
	case "function_declaration", "generator_function_declaration":
		if n := d.child("name"); n != nil && n.text(f.src) == name {
			return d
		}
	case "lexical_declaration", "variable_declaration":
		for _, v := range d.namedKids() {
			if v.kind == "variable_declarator" {
				if n := v.child("name"); n != nil && n.text(f.src) == name {
					return v.child("value")
				}
			}
		}
	}
	return nil
}

// topLevel finds the module-level declaration of name.
func topLevel(f *sourceFile, name string) *node {
	for _, k := range f.root.namedKids() {
		d := k
		if k.kind == "export_statement" {
			if d = k.child("declaration"); d == nil {
				continue
			}
		}
		if v := declared(f, d, name); v != nil {
			return v
		}
	}
	return nil
}

// resolve follows an identifier to its module-level value, a few steps.
func resolve(f *sourceFile, n *node, depth int) *node {
	for n != nil && depth < 5 {
		switch n.kind {
		case "identifier":
			v := topLevel(f, n.text(f.src))
			if v == nil {
				return n
			}
			n, depth = v, depth+1
		case "parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression":
			if k := n.namedKids(); len(k) > 0 {
				n = k[0]
			} else {
				return n
			}
		case "type_assertion": // <Handler>value: the value comes last
			if k := n.namedKids(); len(k) > 0 {
				n = k[len(k)-1]
			} else {
				return n
			}
		default:
			return n
		}
	}
	return n
}

// isStreamify reports whether a call is awslambda.streamifyResponse (or a
// shim's streamifyResponse).
func isStreamify(f *sourceFile, call *node) bool {
	if call == nil || call.kind != "call_expression" {
		return false
	}
	fn := call.child("function")
	if fn == nil {
		return false
	}
	t := fn.text(f.src)
	return t == "streamifyResponse" || strings.HasSuffix(t, ".streamifyResponse")
}

func callArgs(call *node) []*node {
	if a := call.child("arguments"); a != nil {
		return a.namedKids()
	}
	return nil
}

// classify says what the exported value is: streamified, a wrapper
// around a streamified function, or a plain function.
func (c *checker) classify(f *sourceFile, v *node, info *handlerInfo, depth int) {
	v = resolve(f, v, 0)
	if v == nil || depth > 3 {
		return
	}
	switch {
	case isStreamify(f, v):
		info.streamified = true
		if args := callArgs(v); len(args) > 0 {
			if inner := resolve(f, args[0], 0); inner != nil && isFunction(inner) {
				c.checkStreamified(f, inner)
			}
		}
	case v.kind == "call_expression":
		// A call around a streamify call: the wrapper returns an
		// untagged function.
		for _, a := range callArgs(v) {
			if inner := resolve(f, a, 0); inner != nil && isStreamify(f, inner) {
				info.wrapped = v
				return
			}
		}
	case isFunction(v):
		info.plain = v
		if ps := v.child("parameters"); ps != nil {
			info.params = len(ps.namedKids())
		} else if v.child("parameter") != nil {
			info.params = 1
		}
		for _, k := range v.kids {
			if k.kind == "async" {
				info.async = true
			}
		}
	}
}

// checkStreamified applies SG012 to the function given to
// streamifyResponse: async, and returning nothing.
func (c *checker) checkStreamified(f *sourceFile, fn *node) {
	async := false
	for _, k := range fn.kids {
		if k.kind == "async" {
			async = true
		}
	}
	if !async {
		c.add(Finding{Rule: "SG012", File: f.rel, Line: fn.line, Column: fn.col, Message: "the handler given to streamifyResponse is not async: make it `async (event, responseStream, context) => { ... }`, so the runtime waits for its writes"})
	}
	body := fn.child("body")
	if body != nil && body.kind != "statement_block" {
		// An expression body returns its value.
		if body.kind != "await_expression" && body.kind != "call_expression" {
			c.add(Finding{Rule: "SG012", File: f.rel, Line: body.line, Column: body.col, Message: "the streamified handler returns a value, which reaches no caller: write it to the response stream instead"})
		}
		return
	}
	body.walk(func(n *node) bool {
		if n != body && isFunction(n) {
			return false
		}
		if n.kind == "return_statement" && len(n.namedKids()) > 0 {
			arg := n.namedKids()[0]
			if arg.kind != "call_expression" && arg.kind != "await_expression" && arg.kind != "undefined" {
				c.add(Finding{Rule: "SG012", File: f.rel, Line: n.line, Column: n.col, Message: "the streamified handler returns a value, which reaches no caller: write it to the response stream, and `return;`"})
			}
		}
		return true
	})
}

var hopByHop = map[string]bool{"content-length": true, "transfer-encoding": true, "connection": true, "keep-alive": true, "upgrade": true}

// fileRules runs the stream rules (SG013, SG014, SG016, SG017, SG018) on
// a file and reports whether one of its preludes sets
// access-control-allow-origin.
func (c *checker) fileRules(f *sourceFile) (setsCORS bool) {
	src := f.src
	// Streams: the variables HttpResponseStream.from returns, and the
	// second parameter of every function (the response stream, by
	// position).
	f.root.walk(func(n *node) bool {
		if c.stopped() {
			return false
		}
		if n.kind != "call_expression" {
			return true
		}
		callee := n.child("function")
		if callee == nil || callee.kind != "member_expression" || !strings.HasSuffix(callee.text(src), "HttpResponseStream.from") {
			return true
		}
		args := callArgs(n)
		if len(args) > 1 && args[1].kind == "object" {
			if c.preludeRules(f, args[1]) {
				setsCORS = true
			}
		}
		// The stream it returns: `const s = HttpResponseStream.from(...)`,
		// or `responseStream = HttpResponseStream.from(responseStream, ...)`.
		if p := n.parent; p != nil && p.kind == "variable_declarator" {
			if name := p.child("name"); name != nil && name.kind == "identifier" {
				c.endWithoutWrite(f, name.text(src), n)
			}
		} else if p != nil && p.kind == "assignment_expression" && p.child("right") == n {
			if left := p.child("left"); left != nil && left.kind == "identifier" {
				c.endWithoutWrite(f, left.text(src), n)
			}
		}
		if len(args) > 0 && args[0].kind == "identifier" {
			c.latePrelude(f, args[0].text(src), n, "HttpResponseStream.from")
		}
		return true
	})
	f.root.walk(func(n *node) bool {
		if c.stopped() {
			return false
		}
		if n.kind == "call_expression" {
			if callee := n.child("function"); callee != nil && callee.kind == "member_expression" {
				if prop := callee.child("property"); prop != nil && prop.text(src) == "setContentType" {
					if obj := callee.child("object"); obj != nil && obj.kind == "identifier" {
						c.latePrelude(f, obj.text(src), n, obj.text(src)+".setContentType")
					}
				}
			}
		}
		switch n.kind {
		case "for_statement", "for_in_statement", "while_statement", "do_statement":
			c.loopWrites(f, n)
		}
		return true
	})
	return setsCORS
}

// preludeRules checks the headers of a prelude object literal.
func (c *checker) preludeRules(f *sourceFile, obj *node) (setsCORS bool) {
	for _, p := range obj.namedKids() {
		if p.kind != "pair" || unquote(p.child("key").text(f.src)) != "headers" {
			continue
		}
		headers := p.child("value")
		if headers == nil || headers.kind != "object" {
			continue
		}
		cookies := 0
		for _, h := range headers.namedKids() {
			if h.kind != "pair" {
				continue
			}
			key := strings.ToLower(unquote(h.child("key").text(f.src)))
			value := h.child("value")
			switch {
			case key == "set-cookie":
				cookies++
				if value != nil && value.kind == "array" || cookies > 1 {
					c.add(Finding{Rule: "SG017", File: f.rel, Line: h.line, Column: h.col, Message: "several set-cookie values in the prelude's headers reach the caller as one header: put each cookie in the prelude's `cookies` array"})
				}
			case hopByHop[key]:
				c.add(Finding{Rule: "SG018", File: f.rel, Line: h.line, Column: h.col, Message: fmt.Sprintf("the prelude sets %s, which the front end's chunked framing contradicts: leave it out", key)})
			case key == "access-control-allow-origin":
				setsCORS = true
			}
		}
	}
	return setsCORS
}

// uses lists the identifier nodes named name after node after, within
// the function around after, in source order.
func uses(f *sourceFile, name string, after *node) []*node {
	scope := enclosingFunction(after)
	var out []*node
	scope.walk(func(n *node) bool {
		if n.kind == "identifier" && n.start >= after.end && n.text(f.src) == name {
			out = append(out, n)
		}
		return true
	})
	return out
}

// endWithoutWrite applies SG013: the first use of the stream that `from`
// returned is end(), with no argument or with one (which is sent without
// the prelude). A first use inside a callback runs at a time source order
// does not tell, and ends the search.
func (c *checker) endWithoutWrite(f *sourceFile, name string, from *node) {
	scope := enclosingFunction(from)
	for _, u := range uses(f, name, from) {
		if enclosingFunction(u) != scope {
			return
		}
		member := u.parent
		if member == nil || member.kind != "member_expression" || member.child("object") != u {
			return // passed on, piped to, returned: a write may follow
		}
		prop := member.child("property")
		call := member.parent
		if prop == nil || call == nil || call.kind != "call_expression" {
			return
		}
		switch prop.text(f.src) {
		case "end":
			if len(callArgs(call)) == 0 {
				c.add(Finding{Rule: "SG013", File: f.rel, Line: call.line, Column: call.col, Message: fmt.Sprintf("%s.end() with no write after HttpResponseStream.from drops the status and headers: write something first, even %s.write('')", name, name)})
			} else {
				c.add(Finding{Rule: "SG013", File: f.rel, Line: call.line, Column: call.col, Message: fmt.Sprintf("%s.end(chunk) right after HttpResponseStream.from sends the chunk without the status and headers: %s.write(chunk), then %s.end()", name, name, name)})
			}
			return
		case "write", "pipe", "on", "once", "setContentType":
			return
		}
	}
}

// latePrelude applies SG014: stream was written before the call (the
// prelude, or setContentType) that must come first.
func (c *checker) latePrelude(f *sourceFile, stream string, call *node, what string) {
	scope := enclosingFunction(call)
	written := false
	scope.walk(func(n *node) bool {
		if written || n.start >= call.start {
			return false
		}
		if n != scope && isFunction(n) {
			return false // a callback: when it runs is not known
		}
		if n.kind == "call_expression" && inBlockAround(n, call) {
			if callee := n.child("function"); callee != nil && callee.text(f.src) == stream+".write" {
				written = true
			}
		}
		return true
	})
	if written {
		c.add(Finding{Rule: "SG014", File: f.rel, Line: call.line, Column: call.col, Message: fmt.Sprintf("%s comes after %s.write: the status, headers and content type go out with the first write; set them before writing", what, stream)})
	}
}

// inBlockAround reports whether n runs before later whenever later runs:
// n and later are not on different branches of an if, a switch or a
// conditional expression, and n is not in a block that always leaves the
// function (its last statement a return or a throw) before control
// reaches the statements that hold later, as a write on an early-return
// branch does. Blocks ending in break or continue go on after their loop
// or switch, so they count.
func inBlockAround(n, later *node) bool {
	holds := func(a, x *node) bool {
		for p := x; p != nil; p = p.parent {
			if p == a {
				return true
			}
		}
		return false
	}
	var below *node // the child of the common ancestor that holds n
	p := n
	for ; p != nil && !holds(p, later); p = p.parent {
		below = p
		if p.kind != "statement_block" && p.kind != "switch_case" && p.kind != "switch_default" {
			continue
		}
		var last *node
		for _, k := range p.namedKids() {
			if k.kind != "comment" && k.kind != "empty_statement" {
				last = k
			}
		}
		if last != nil && (last.kind == "return_statement" || last.kind == "throw_statement") {
			return false
		}
	}
	if p == nil || below == nil {
		return p != nil
	}
	switch p.kind {
	case "if_statement", "ternary_expression", "switch_body":
		// Different branches, unless n is the condition every branch
		// follows.
		return below == p.child("condition")
	}
	return true
}

var streamNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)stream`) })

// loopWrites applies SG016: a loop that writes to a stream and ignores
// what write returns, with nothing in the loop waiting for 'drain'.
func (c *checker) loopWrites(f *sourceFile, loop *node) {
	body := loop.child("body")
	if body == nil {
		return
	}
	waits := strings.Contains(body.text(f.src), "drain")
	if waits {
		return
	}
	body.walk(func(n *node) bool {
		if isFunction(n) {
			return false
		}
		if n.kind != "expression_statement" {
			return true
		}
		call := firstNamed(n)
		if call == nil || call.kind != "call_expression" {
			return true
		}
		callee := call.child("function")
		if callee == nil || callee.kind != "member_expression" {
			return true
		}
		obj, prop := callee.child("object"), callee.child("property")
		if prop != nil && prop.text(f.src) == "write" && obj != nil && streamNameRE().MatchString(obj.text(f.src)) {
			c.add(Finding{Rule: "SG016", File: f.rel, Line: call.line, Column: call.col,
				Message: fmt.Sprintf("%s.write in a loop ignores backpressure: use pipeline(Readable.from(...), %s), or await once(%s, 'drain') when write returns false", obj.text(f.src), obj.text(f.src), obj.text(f.src))})
		}
		return true
	})
}

func firstNamed(n *node) *node {
	if k := n.namedKids(); len(k) > 0 {
		return k[0]
	}
	return nil
}
