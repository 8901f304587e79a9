package devserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lambda's bounds and defaults for a function's settings.
const (
	MinMemory  = 128   // MB
	MaxMemory  = 10240 // MB
	MinTimeout = 1     // seconds
	MaxTimeout = 900   // seconds

	// Lambda's defaults when a template leaves MemorySize or Timeout out.
	defaultMemory  = 128
	defaultTimeout = 3
	// defaultHandler is where streamgen puts the handler, relative to the
	// project directory, for CDK apps and when nothing else says.
	defaultHandler = "src/index.handler"
)

// Project is a function to run locally: where its code is and the settings
// Lambda would give it.
type Project struct {
	Dir      string // the project directory, absolute
	Name     string // the function name (AWS_LAMBDA_FUNCTION_NAME)
	TaskRoot string // the directory the handler is relative to (LAMBDA_TASK_ROOT), absolute
	Handler  string // FILE.EXPORT relative to TaskRoot, e.g. src/index.handler (_HANDLER)
	Runtime  string // e.g. nodejs24.x; empty when unknown
	Memory   int    // MB
	Timeout  int    // seconds
	// Env holds the function's own environment variables from the
	// template, before --env.
	Env map[string]string
	// Front is the front end the function streams through: FrontURL (a
	// Function URL) or FrontRestAPI (an API Gateway REST API, whose stage
	// is Stage). Auth is the project's auth mode (iam, none, api-key or
	// cognito), "" when unknown.
	Front string
	Stage string
	Auth  string
	// CORSMethods and CORSHeaders are the methods and headers a REST API's
	// OPTIONS methods allow in a preflight answer, as the SAM template
	// gives them; "" when unknown (a CDK app), and the requested ones are
	// allowed.
	CORSMethods, CORSHeaders string
	// Source says where the settings came from, for the start-up message,
	// e.g. "template.yaml (StreamFunction)".
	Source string
	// Notes are what the loader could not use (a !Ref environment value, a
	// second function), to show the user.
	Notes []string
}

// Overrides are command-line values; each wins over the project's files when
// set.
type Overrides struct {
	// Handler is FILE.EXPORT relative to the project directory, e.g.
	// src/index.handler. It makes the project directory the task root.
	Handler string
	Timeout int // seconds; 0 means the project's
	Memory  int // MB; 0 means the project's
	// Front and Stage choose the front end to emulate (FrontURL or
	// FrontRestAPI, and the REST API's stage); empty takes the project's.
	Front string
	Stage string
	// SkipHandlerCheck skips checking that the handler's file exists, for a
	// --cmd process that may not load a Node.js handler at all. It also
	// lets a directory without project files run.
	SkipHandlerCheck bool
}

// ProjectError says why a directory cannot run: it is not a project, a
// file in it is malformed, or the handler does not exist. The message names
// the value and says what to pass instead.
type ProjectError struct{ Msg string }

func (e *ProjectError) Error() string { return e.Msg }

func projectErrorf(format string, args ...any) error {
	return &ProjectError{Msg: fmt.Sprintf(format, args...)}
}

// manifest is the part of .streamgen.json (written by `streamgen new`)
// that running a project needs.
type manifest struct {
	Template string `json:"template"`
	Answers  struct {
		Name    string `json:"name"`
		IaC     string `json:"iac"`
		Runtime string `json:"runtime"`
		Memory  int    `json:"memory"`
		Timeout int    `json:"timeout"`
		Front   string `json:"front"`
		Auth    string `json:"auth"`
		Stage   string `json:"stage"`
	} `json:"answers"`
}

// LoadProject reads the project in dir: .streamgen.json (the answers it was
// generated with), then template.yaml (a SAM template: the function's
// Handler, CodeUri, Runtime, MemorySize, Timeout and literal environment
// variables, with Globals.Function as defaults) or a CDK app (cdk.json; its
// handler is src/index.handler and its environment is in TypeScript, which
// is not read: pass --env). Template values win over .streamgen.json, and o
// wins over both.
func LoadProject(dir string, o Overrides) (*Project, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, projectErrorf("--dir %s: %v; pass the project's directory, e.g. --dir ./my-stream", quote(dir), err)
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, projectErrorf("--dir %s: no such directory; pass the directory `streamgen new` created, e.g. --dir ./my-stream", quote(dir))
	case err != nil:
		return nil, projectErrorf("--dir %s: %v; pass a readable project directory", quote(dir), err)
	case !info.IsDir():
		return nil, projectErrorf("--dir %s is a file, not a directory; pass the project's directory, e.g. --dir ./my-stream", quote(dir))
	}

	p := &Project{Dir: abs, TaskRoot: abs, Memory: defaultMemory, Timeout: defaultTimeout}
	var sources []string

	m, hasManifest, err := readManifest(abs)
	if err != nil {
		return nil, err
	}
	if hasManifest {
		sources = append(sources, ".streamgen.json")
		p.Front, p.Stage, p.Auth = m.Answers.Front, m.Answers.Stage, m.Answers.Auth
		p.Name = m.Answers.Name
		p.Runtime = m.Answers.Runtime
		if m.Answers.Memory != 0 {
			p.Memory = m.Answers.Memory
		}
		if m.Answers.Timeout != 0 {
			p.Timeout = m.Answers.Timeout
		}
	}

	templateFile := ""
	for _, name := range []string{"template.yaml", "template.yml"} {
		if fileExists(filepath.Join(abs, name)) {
			templateFile = name
			break
		}
	}
	hasCDK := fileExists(filepath.Join(abs, "cdk.json"))

	handlerFromFiles := ""
	switch {
	case templateFile != "":
		fn, err := readSAM(abs, templateFile)
		if err != nil {
			return nil, err
		}
		sources = append(sources, fmt.Sprintf("%s (%s)", templateFile, fn.logicalID))
		p.Notes = append(p.Notes, fn.notes...)
		if fn.runtime != "" {
			p.Runtime = fn.runtime
		}
		if fn.memory != 0 {
			p.Memory = fn.memory
		}
		if fn.timeout != 0 {
			p.Timeout = fn.timeout
		}
		p.Env = fn.env
		if p.Front == "" && fn.restStage != "" {
			p.Front, p.Stage = FrontRestAPI, fn.restStage
		}
		p.CORSMethods, p.CORSHeaders = fn.corsMethods, fn.corsHeaders
		if fn.codeURI != "" {
			p.TaskRoot = filepath.Join(abs, filepath.FromSlash(fn.codeURI))
			if rel, err := filepath.Rel(abs, p.TaskRoot); err != nil || !(rel == "." || filepath.IsLocal(rel)) {
				return nil, projectErrorf("%s: CodeUri %s of %s is outside the project; streamgen dev runs only code inside --dir", templateFile, quote(fn.codeURI), fn.logicalID)
			}
		}
		handlerFromFiles = fn.handler
		if handlerFromFiles == "" && o.Handler == "" {
			return nil, projectErrorf("%s: function %s has no Handler; add one (e.g. Handler: index.handler) or pass --handler src/index.handler", templateFile, fn.logicalID)
		}
	case hasCDK:
		// The generated stacks bundle entry src/index.mjs, export handler.
		// Reading TypeScript is out of scope: environment values set in
		// lib/*.ts have to be passed with --env.
		sources = append(sources, "cdk.json")
		handlerFromFiles = defaultHandler
		if files := cdkFilesWithEnvironment(abs); len(files) > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("%s sets the function's environment in TypeScript, which is not read; pass the variables with --env KEY=VALUE", strings.Join(files, ", ")))
		}
	case hasManifest:
		handlerFromFiles = defaultHandler
	}

	if deps := packageDependencies(abs); len(deps) > 0 && !fileExists(filepath.Join(abs, "node_modules")) {
		p.Notes = append(p.Notes, fmt.Sprintf("package.json needs %s but there is no node_modules: run `npm install` in %s first, or the function fails to load", strings.Join(deps, ", "), abs))
	}
	if !hasManifest && templateFile == "" && !hasCDK && o.Handler == "" && !o.SkipHandlerCheck {
		return nil, projectErrorf("--dir %s is not a streamgen project: it has no .streamgen.json, template.yaml or cdk.json; pass --dir with the directory `streamgen new` created, or --handler FILE.EXPORT (e.g. --handler src/index.handler) to run a handler in it", quote(dir))
	}

	if p.Name == "" {
		p.Name = filepath.Base(abs)
	}
	if o.Front != "" {
		p.Front = o.Front
	}
	if o.Stage != "" {
		p.Stage = o.Stage
	}
	switch p.Front {
	case "":
		p.Front = FrontURL
	case FrontURL, FrontRestAPI:
	default:
		return nil, projectErrorf("front end %s is not one streamgen dev emulates; pass --front %s or --front %s", quote(p.Front), FrontURL, FrontRestAPI)
	}
	if p.Front == FrontRestAPI && p.Stage == "" {
		p.Stage = defaultStage
	}
	if p.Front != FrontRestAPI {
		p.Stage = ""
	}
	if p.Auth == "iam" {
		p.Notes = append(p.Notes, "the deployed "+frontNoun(p.Front)+" takes only SigV4-signed requests (auth iam); the local one checks no signature, and its events carry no caller identity, so code that reads the caller sees an anonymous one here")
	}
	if p.Auth == "cognito" {
		p.Notes = append(p.Notes, "the deployed REST API takes only Cognito user pool tokens (auth cognito); the local one checks none, and its events carry no requestContext.authorizer.claims")
	}
	p.Handler = handlerFromFiles
	if o.Handler != "" {
		p.Handler = o.Handler
		p.TaskRoot = abs
		sources = append(sources, "--handler")
	}
	if p.Handler == "" {
		p.Handler = defaultHandler
	}
	if o.Memory != 0 {
		p.Memory = o.Memory
	}
	if o.Timeout != 0 {
		p.Timeout = o.Timeout
	}
	if p.Memory < MinMemory || p.Memory > MaxMemory {
		return nil, projectErrorf("memory %d MB (from %s) is outside Lambda's %d-%d MB; fix it there or pass --memory 256", p.Memory, strings.Join(sources, ", "), MinMemory, MaxMemory)
	}
	if p.Timeout < MinTimeout || p.Timeout > MaxTimeout {
		return nil, projectErrorf("timeout %d s (from %s) is outside Lambda's %d-%d s; fix it there or pass --timeout 30", p.Timeout, strings.Join(sources, ", "), MinTimeout, MaxTimeout)
	}
	p.Source = strings.Join(sources, ", ")
	if p.Source == "" {
		p.Source = "defaults"
	}

	flag := "the handler"
	if o.Handler != "" {
		flag = "--handler"
	}
	if err := checkHandler(p.Dir, p.TaskRoot, p.Handler, flag, o.SkipHandlerCheck); err != nil {
		return nil, err
	}
	return p, nil
}

// cdkFilesWithEnvironment lists the lib/*.ts files of a CDK app that look
// like they set a function's environment (an "environment:" property).
func cdkFilesWithEnvironment(dir string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "lib", "*.ts"))
	var out []string
	for _, m := range matches {
		if b, err := os.ReadFile(m); err == nil && strings.Contains(string(b), "environment:") {
			out = append(out, "lib/"+filepath.Base(m))
		}
	}
	return out
}

func readManifest(dir string) (manifest, bool, error) {
	var m manifest
	raw, err := os.ReadFile(filepath.Join(dir, ".streamgen.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, projectErrorf(".streamgen.json: %v", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, false, projectErrorf("%s: not valid JSON (%v); fix it, or regenerate the project with `streamgen new`", filepath.Join(dir, ".streamgen.json"), err)
	}
	return m, true, nil
}

// checkHandler checks a handler string the way the Node.js runtime client
// resolves it: the base name up to its first dot is the module, the rest
// the export (possibly nested, a.b); the module is the first of MODULE,
// MODULE.js, MODULE.mjs and MODULE.cjs that exists; ".." is refused.
func checkHandler(projectDir, taskRoot, handler, flag string, skipFile bool) error {
	const hint = "pass --handler FILE.EXPORT relative to the project directory, e.g. --handler src/index.handler"
	if path.IsAbs(handler) || filepath.IsAbs(handler) {
		return projectErrorf("%s %s is an absolute path; Lambda resolves the handler inside the task root, so give it relative to %s; %s", flag, quote(handler), projectDir, hint)
	}
	if strings.Contains(handler, "..") {
		return projectErrorf("%s %s contains \"..\", which Lambda's Node.js runtime refuses; %s", flag, quote(handler), hint)
	}
	base := path.Base(handler)
	dot := strings.IndexByte(base, '.')
	if dot <= 0 || dot == len(base)-1 {
		return projectErrorf("%s %s is not FILE.EXPORT; %s", flag, quote(handler), hint)
	}
	if skipFile {
		return nil
	}
	moduleRoot := path.Dir(handler)
	module := filepath.FromSlash(path.Join(moduleRoot, base[:dot]))
	if !filepath.IsAbs(module) {
		module = filepath.Join(taskRoot, module)
	}
	for _, ext := range []string{"", ".js", ".mjs", ".cjs"} {
		if info, err := os.Stat(module + ext); err == nil && info.Mode().IsRegular() {
			return nil
		}
	}
	shown := module
	if rel, err := filepath.Rel(projectDir, module); err == nil && filepath.IsLocal(rel) {
		shown = rel
	}
	return projectErrorf("%s %s: no file %s.mjs, .js or .cjs in %s; %s", flag, quote(handler), shown, projectDir, hint)
}

// samFunction is what LoadProject takes from an AWS::Serverless::Function.
type samFunction struct {
	logicalID string
	handler   string // as the runtime will see it, relative to codeURI
	codeURI   string // slash-separated, relative to the template; "" for the template's directory
	runtime   string
	memory    int
	timeout   int
	env       map[string]string
	notes     []string
	// restStage is the stage of the template's REST API (an
	// AWS::ApiGateway::Stage with a literal StageName), "" for none.
	restStage string
	// corsMethods and corsHeaders are what the REST API's OPTIONS method
	// answers a preflight request with, "" when it has none.
	corsMethods, corsHeaders string
}

// readSAM finds the function in a SAM template. CloudFormation tags (!Ref,
// !GetAtt, !Sub...) parse as tagged nodes; values that are not literals are
// skipped with a note. When the function is built with esbuild, the
// handler's source is Metadata.BuildProperties.EntryPoints[0], so the
// handler is rewritten to run that file from source rather than the bundle.
func readSAM(dir, name string) (*samFunction, error) {
	file := filepath.Join(dir, name)
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, projectErrorf("%s: %v", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, projectErrorf("%s: not valid YAML (%v); fix the template or pass --handler", file, err)
	}
	root := documentRoot(&doc)
	resources := mapGet(root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, projectErrorf("%s has no Resources; is it a SAM template? Pass --handler src/index.handler to run a handler without it", file)
	}
	type candidate struct {
		id        string
		node      *yaml.Node
		streaming bool
	}
	var fns []candidate
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resolve(resources.Content[i+1])
		if t, ok := literal(mapGet(res, "Type")); !ok || t != "AWS::Serverless::Function" {
			continue
		}
		mode, _ := literal(mapGet(mapGet(mapGet(res, "Properties"), "FunctionUrlConfig"), "InvokeMode"))
		fns = append(fns, candidate{id: id, node: res, streaming: mode == "RESPONSE_STREAM"})
	}
	if len(fns) == 0 {
		return nil, projectErrorf("%s has no AWS::Serverless::Function resource; pass --handler src/index.handler to run a handler without it", file)
	}
	chosen := fns[0]
	for _, c := range fns {
		if c.streaming {
			chosen = c
			break
		}
	}
	fn := &samFunction{logicalID: chosen.id, env: map[string]string{}}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		res := resolve(resources.Content[i+1])
		if t, _ := literal(mapGet(res, "Type")); t == "AWS::ApiGateway::Stage" {
			if stage, ok := literal(mapGet(mapGet(res, "Properties"), "StageName")); ok && fn.restStage == "" {
				fn.restStage = stage
			}
		}
		if t, _ := literal(mapGet(res, "Type")); t == "AWS::ApiGateway::Method" && fn.corsMethods == "" {
			props := mapGet(res, "Properties")
			if m, _ := literal(mapGet(props, "HttpMethod")); m != "OPTIONS" {
				continue
			}
			// A MOCK integration's response parameters are quoted literals:
			// "'OPTIONS,POST'".
			responses := mapGet(mapGet(props, "Integration"), "IntegrationResponses")
			if responses == nil || responses.Kind != yaml.SequenceNode || len(responses.Content) == 0 {
				continue
			}
			params := mapGet(resolve(responses.Content[0]), "ResponseParameters")
			unquote := func(key string) string {
				v, _ := literal(mapGet(params, "method.response.header."+key))
				if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
					return v[1 : len(v)-1]
				}
				return ""
			}
			fn.corsMethods, fn.corsHeaders = unquote("Access-Control-Allow-Methods"), unquote("Access-Control-Allow-Headers")
		}
	}
	if len(fns) > 1 {
		fn.notes = append(fn.notes, fmt.Sprintf("%s has %d functions; running %s (the first with a streaming Function URL)", name, len(fns), chosen.id))
	}

	globals := mapGet(mapGet(root, "Globals"), "Function")
	props := mapGet(chosen.node, "Properties")
	// Globals first, then the function's own properties over them.
	for _, src := range []*yaml.Node{globals, props} {
		if src == nil {
			continue
		}
		fn.readProps(name, src)
	}

	if method, _ := literal(mapGet(mapGet(chosen.node, "Metadata"), "BuildMethod")); method == "esbuild" {
		entries := mapGet(mapGet(mapGet(chosen.node, "Metadata"), "BuildProperties"), "EntryPoints")
		if entries != nil && entries.Kind == yaml.SequenceNode && len(entries.Content) > 0 {
			if entry, ok := literal(entries.Content[0]); ok && entry != "" {
				fn.handler = sourceHandler(entry, fn.handler)
			}
		}
	}
	return fn, nil
}

// readProps reads the function properties streamgen uses from a
// Properties (or Globals.Function) mapping.
func (fn *samFunction) readProps(file string, props *yaml.Node) {
	str := func(key string) (string, bool) {
		n := mapGet(props, key)
		if n == nil {
			return "", false
		}
		v, ok := literal(n)
		if !ok {
			fn.notes = append(fn.notes, fmt.Sprintf("%s: %s of %s is not a literal value; it is ignored", file, key, fn.logicalID))
		}
		return v, ok
	}
	num := func(key string) int {
		v, ok := str(key)
		if !ok {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			fn.notes = append(fn.notes, fmt.Sprintf("%s: %s %s of %s is not a whole number; it is ignored", file, key, quote(v), fn.logicalID))
			return 0
		}
		return n
	}
	if v, ok := str("Handler"); ok {
		fn.handler = v
	}
	if v, ok := str("CodeUri"); ok {
		fn.codeURI = path.Clean(strings.TrimPrefix(v, "./"))
		if fn.codeURI == "." {
			fn.codeURI = ""
		}
	}
	if v, ok := str("Runtime"); ok {
		fn.runtime = v
	}
	if n := num("MemorySize"); n != 0 {
		fn.memory = n
	}
	if n := num("Timeout"); n != 0 {
		fn.timeout = n
	}
	vars := mapGet(mapGet(props, "Environment"), "Variables")
	if vars == nil || vars.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(vars.Content); i += 2 {
		key := vars.Content[i].Value
		if v, ok := literal(vars.Content[i+1]); ok {
			fn.env[key] = v
		} else {
			delete(fn.env, key)
			fn.notes = append(fn.notes, fmt.Sprintf("%s: environment variable %s is not a literal value (e.g. !Ref); pass --env %s=VALUE", file, key, key))
		}
	}
}

// sourceHandler turns a bundle handler (index.handler) into the handler of
// the esbuild entry point it was built from (src/index.mjs ->
// src/index.handler), keeping the export.
func sourceHandler(entry, handler string) string {
	entry = path.Clean(strings.TrimPrefix(entry, "./"))
	export := "handler"
	base := path.Base(handler)
	if dot := strings.IndexByte(base, '.'); dot >= 0 && dot < len(base)-1 {
		export = base[dot+1:]
	}
	return strings.TrimSuffix(entry, path.Ext(entry)) + "." + export
}

// documentRoot returns the top mapping of a parsed YAML document.
func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return resolve(doc.Content[0])
	}
	return resolve(doc)
}

// resolve follows a YAML alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapGet returns the value under key in a mapping node, or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// literal returns a plain scalar's value. Tagged scalars (!Ref X, !Sub
// ...), mappings (Fn::GetAtt in long form), sequences and nulls are not
// literals.
func literal(n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool":
		return n.Value, true
	}
	return "", false
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// quote renders a value for a message, with control characters escaped.
func quote(s string) string { return strconv.Quote(s) }

// packageDependencies lists the runtime dependencies package.json in dir
// declares, sorted; nothing when there is no readable package.json.
func packageDependencies(dir string) []string {
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if json.Unmarshal(raw, &pkg) != nil {
		return nil
	}
	return slices.Sorted(maps.Keys(pkg.Dependencies))
}

// The front ends streamgen dev emulates, as .streamgen.json names them.
const (
	FrontURL     = "url"
	FrontRestAPI = "rest-api"
	defaultStage = "prod"
)

func frontNoun(front string) string {
	if front == FrontRestAPI {
		return "REST API"
	}
	return "Function URL"
}
