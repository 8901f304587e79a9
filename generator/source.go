package generator

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/streamgen/streamgen/templates"
	"go.yaml.in/yaml/v3"
)

// Source is a set of templates and the files they render. [Builtin] is the
// set embedded in streamgen; [LoadSource] extends it with a custom template
// tree. Set [Options.Source] to render from a source other than the
// built-in one. A Source is immutable and safe for concurrent use.
type Source struct {
	templates []Template
	tree      *tree
	origins   map[string]string // template -> LoadSource origin, when not "builtin"
}

// ManifestFile is the file that declares a custom template: its folder's
// description, defaults, npm dependencies and parameters. See [LoadSource].
const ManifestFile = "streamgen.yaml"

// builtinTree parses the embedded tree once per process.
var builtinTree = sync.OnceValues(func() (*tree, error) {
	t, err := loadTree(templates.FS, "")
	if err != nil {
		return nil, err
	}
	return t, nil
})

var builtin = &Source{templates: builtinTemplates}

// Builtin returns the templates embedded in streamgen.
func Builtin() *Source { return builtin }

// Templates returns the source's templates: the built-in ones first, in the
// order `streamgen list` shows them, then custom ones by name.
func (s *Source) Templates() []Template {
	out := make([]Template, len(s.templates))
	for i, t := range s.templates {
		out[i] = t.clone()
	}
	return out
}

// Names returns the names of the source's templates, in [Source.Templates]
// order.
func (s *Source) Names() []string {
	names := make([]string, len(s.templates))
	for i, t := range s.templates {
		names[i] = t.Name
	}
	return names
}

// Template returns the template called name.
func (s *Source) Template(name string) (Template, bool) {
	for _, t := range s.templates {
		if t.Name == name {
			return t.clone(), true
		}
	}
	return Template{}, false
}

// Origin says where template name comes from: "builtin" for streamgen's
// own, or the origin given to [LoadSource] for a custom template and for a
// built-in one whose files it patched.
func (s *Source) Origin(name string) string {
	if o, ok := s.origins[name]; ok {
		return o
	}
	return "builtin"
}

func (s *Source) files() (*tree, error) {
	if s.tree != nil {
		return s.tree, nil
	}
	return builtinTree()
}

// FileError is a defect in a file streamgen reads: a custom template or a
// values file. It names the file and, where one applies, the line.
type FileError struct {
	File string // the file's path as the user knows it
	Line int    // 1-based; 0 when the error is about the whole file or folder
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadSource returns the built-in templates extended by the tree in fsys,
// whose files are named in errors as origin/PATH (origin is typically the
// directory fsys was opened from). Every top-level folder of fsys is one of
// these:
//
//   - A folder named after a built-in folder (base, sam, cdk, a template or
//     a template variant such as llm-stream-openai) with no streamgen.yaml
//     patches it: each of its files adds to or replaces the built-in file
//     at the same path. This ships a house README or handler without
//     forking the rest.
//   - A folder with a streamgen.yaml is a template of its own: a new one,
//     or a complete replacement of the built-in template of the same name.
//     Its project is built like a built-in one: base/, then sam/ or cdk/,
//     then the folder's files.
//
// Files ending in ".tmpl" are Go text/templates executed with [Data] and
// the template functions; others are copied verbatim. Top-level files are
// ignored. Everything is checked on load: the manifest against its schema,
// every template parsed, and every affected template rendered once for
// each IaC with sample values. Problems come back joined, each a
// *[FileError] naming the file and line.
func LoadSource(fsys fs.FS, origin string) (*Source, error) {
	base, err := builtinTree()
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, &FileError{File: origin, Msg: fmt.Sprintf("cannot read the template directory: %v", err)}
	}
	// Problems in template files and manifests are all reported together.
	var errs []error
	custom, err := loadTree(fsys, origin)
	errs = append(errs, flatten(err)...)
	src := &Source{templates: slices.Clone(builtinTemplates), tree: &tree{layers: maps.Clone(base.layers)}, origins: map[string]string{}}
	var affected []string // templates whose output the custom tree changes
	for _, e := range entries {
		name := e.Name()
		folder := displayPath(origin, name)
		if e.Type()&fs.ModeSymlink != 0 {
			errs = append(errs, &FileError{File: folder, Msg: "a symbolic link; template folders must be real directories (links are not followed)"})
			continue
		}
		if !e.IsDir() {
			continue
		}
		raw, err := readManifest(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if _, ok := base.layers[name]; !ok {
				errs = append(errs, &FileError{File: folder, Msg: fmt.Sprintf("not a built-in folder (%s) and has no %s; add one to declare a new template", strings.Join(slices.Sorted(maps.Keys(base.layers)), ", "), ManifestFile)})
				continue
			}
			src.tree.layers[name] = overlay(base.layers[name], custom.layers[name])
			affected = append(affected, affectedBy(name)...)
		case err != nil:
			errs = append(errs, &FileError{File: folder + "/" + ManifestFile, Msg: err.Error()})
		default:
			if _, layer := base.layers[name]; layer && !slices.ContainsFunc(builtinTemplates, func(b Template) bool { return b.Name == name }) {
				errs = append(errs, &FileError{File: folder + "/" + ManifestFile, Msg: fmt.Sprintf("%s is a built-in folder, not a template; remove %s to patch its files, or give the new template another name", name, ManifestFile)})
				continue
			}
			t, terrs := parseManifest(raw, folder+"/"+ManifestFile, name)
			if len(terrs) > 0 {
				errs = append(errs, terrs...)
				continue
			}
			if i := slices.IndexFunc(src.templates, func(b Template) bool { return b.Name == name }); i >= 0 {
				src.templates[i] = t
			} else {
				src.templates = append(src.templates, t)
			}
			src.tree.layers[name] = custom.layers[name]
			affected = append(affected, name)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	n := len(builtinTemplates)
	slices.SortFunc(src.templates[n:], func(a, b Template) int { return strings.Compare(a.Name, b.Name) })
	if slices.Contains(affected, "*") {
		affected = src.Names()
	}
	slices.Sort(affected)
	for _, name := range slices.Compact(affected) {
		src.origins[name] = origin
		errs = append(errs, src.trialRender(name)...)
	}
	if errs = dedupeErrors(errs); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return src, nil
}

// maxTemplateFileSize bounds what one template, manifest or values file may
// hold, so a wrong path (a device, a huge log) fails fast instead of
// exhausting memory.
const maxTemplateFileSize = 1 << 20

// readManifest reads name/streamgen.yaml, which must be a regular file.
func readManifest(fsys fs.FS, name string) ([]byte, error) {
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() != ManifestFile {
			continue
		}
		if !e.Type().IsRegular() {
			return nil, errors.New("not a regular file (symbolic links are not followed); replace it with the file itself")
		}
		return readLimited(fsys, name+"/"+ManifestFile)
	}
	return nil, fs.ErrNotExist
}

// readLimited reads a file of at most maxTemplateFileSize bytes.
func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxTemplateFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxTemplateFileSize {
		return nil, fmt.Errorf("larger than %d KiB; templates are source files, not data", maxTemplateFileSize>>10)
	}
	return raw, nil
}

// flatten lists the errors inside joined errors, recursively, so each is
// reported on its own.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// affectedBy returns the templates a patch of the built-in folder layer
// changes; "*" stands for every template.
func affectedBy(layer string) []string {
	switch layer {
	case "base", IaCSAM, IaCCDK:
		return []string{"*"}
	}
	for _, t := range builtinTemplates {
		if layer == t.Name || strings.HasPrefix(layer, t.Name+"-") {
			return []string{t.Name}
		}
	}
	return nil
}

// overlay returns the files of base with those of patch added, a patch file
// replacing the base file with the same output path.
func overlay(base, patch []entry) []entry {
	out := slices.Clone(patch)
	for _, e := range base {
		if !slices.ContainsFunc(patch, func(p entry) bool { return p.out == e.out }) {
			out = append(out, e)
		}
	}
	return out
}

// trialRender renders template name for each IaC (and each variant) with
// sample values, so a template that cannot execute is reported on load
// rather than on a user's first run.
func (s *Source) trialRender(name string) []error {
	t, _ := s.Template(name)
	variants := []string{""}
	if p, ok := t.param(t.VariantParam); ok && len(p.Choices) > 0 {
		variants = p.Choices
	}
	var errs []error
	for _, iac := range IaCChoices {
		for _, v := range variants {
			set := map[string]string{}
			for _, p := range t.Params {
				switch {
				case p.Name == t.VariantParam && v != "":
					set[p.Name] = v
				case p.Required && len(p.Choices) > 0:
					set[p.Name] = p.Choices[0]
				case p.Required:
					set[p.Name] = "sample"
				}
			}
			o := Options{Name: "sample-project", Template: name, IaC: iac, Set: set, Source: s}.WithDefaults()
			if _, err := s.render(newData(o)); err != nil {
				errs = append(errs, flatten(err)...)
			}
		}
	}
	return dedupeErrors(errs)
}

// templateErrRE matches text/template's "template: NAME:LINE:[COL:] MSG".
var templateErrRE = regexp.MustCompile(`^template: ([^:]+):(\d+):(?:\d+:)? ?(.*)$`)

// locate turns a text/template error about a custom file into a
// FileError with its file and line (templates are named by their path as
// the user knows it). Other errors are returned as they are.
func locate(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	msg := err.Error()
	if i := strings.Index(msg, "template: "); i >= 0 {
		if m := templateErrRE.FindStringSubmatch(msg[i:]); m != nil {
			line, _ := strconv.Atoi(m[2])
			return &FileError{File: m[1], Line: line, Msg: m[3]}
		}
	}
	return err
}

func dedupeErrors(errs []error) []error {
	var out []error
	seen := map[string]bool{}
	for _, e := range errs {
		if !seen[e.Error()] {
			seen[e.Error()] = true
			out = append(out, e)
		}
	}
	return out
}

// tree is a parsed template tree: the files of every top-level folder,
// with templates parsed once.
type tree struct {
	layers map[string][]entry // top-level folder -> its files
}

type entry struct {
	out  string             // output path within the project
	tmpl *template.Template // nil for a verbatim file
	raw  []byte
	// src is the file's path as the user knows it, set for files of a
	// custom tree, whose problems are reported against it.
	src string
}

func displayPath(origin, p string) string {
	if origin == "" {
		return p
	}
	return strings.TrimSuffix(origin, "/") + "/" + p
}

// loadTree reads every file below a top-level folder of fsys and parses
// the templates. origin prefixes the names templates report errors with;
// every problem is returned, joined, along with the files that loaded.
func loadTree(fsys fs.FS, origin string) (*tree, error) {
	t := &tree{layers: map[string][]entry{}}
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		layer, rel, ok := strings.Cut(p, "/")
		if !ok || rel == ManifestFile {
			return nil // top-level files and manifests are not project files
		}
		name := displayPath(origin, p)
		if !d.Type().IsRegular() {
			errs = append(errs, &FileError{File: name, Msg: "not a regular file (symbolic links are not followed); replace it with the file itself"})
			return nil
		}
		raw, err := readLimited(fsys, p)
		if err != nil {
			if origin == "" {
				return err
			}
			errs = append(errs, &FileError{File: name, Msg: err.Error()})
			return nil
		}
		e := entry{out: rel, raw: raw}
		if origin != "" {
			e.src = name
		}
		if strings.HasSuffix(rel, ".tmpl") {
			e.out = strings.TrimSuffix(rel, ".tmpl")
			e.tmpl, err = template.New(name).Option("missingkey=error").Funcs(funcs).Parse(string(raw))
			if err != nil {
				errs = append(errs, locate(err))
				return nil
			}
		}
		if err := checkRelPath(e.out); err != nil {
			errs = append(errs, &FileError{File: name, Msg: "its output path is not usable: " + err.Error()})
			return nil
		}
		if e.out == ManifestPath {
			errs = append(errs, &FileError{File: name, Msg: "streamgen writes " + ManifestPath + " itself; remove this file"})
			return nil
		}
		t.layers[layer] = append(t.layers[layer], e)
		return nil
	})
	if err != nil {
		if origin == "" {
			return nil, fmt.Errorf("load templates: %w", err)
		}
		errs = append(errs, &FileError{File: origin, Msg: fmt.Sprintf("cannot read the template directory: %v", err)})
	}
	// The tree is returned even with errors, so a caller can go on and
	// report problems in other files too.
	return t, errors.Join(errs...)
}

// render executes the layers base, IaC and template (then the template's
// variant, if any), in that order; a later layer's file replaces an
// earlier one's at the same path.
func (s *Source) render(d Data) (Files, error) {
	tr, err := s.files()
	if err != nil {
		return nil, err
	}
	byPath := map[string]entry{}
	layers := []string{"base", d.IaC, d.Template}
	if d.Variant != "" {
		layers = append(layers, d.Template+"-"+d.Variant)
	}
	for _, layer := range layers {
		files, ok := tr.layers[layer]
		if !ok && layer != d.Template+"-"+d.Variant {
			return nil, fmt.Errorf("template tree has no folder %q", layer)
		}
		for _, e := range files {
			byPath[e.out] = e
		}
	}
	var files Files
	var errs []error
	paths := slices.Sorted(maps.Keys(byPath))
	for i, p := range paths {
		e := byPath[p]
		if i+1 < len(paths) && strings.HasPrefix(paths[i+1], p+"/") {
			culprit := e
			if culprit.src == "" {
				culprit = byPath[paths[i+1]]
			}
			errs = append(errs, culprit.fileError(fmt.Errorf("%s is both a file and a folder of the project (%s)", Quote(p), paths[i+1])))
			continue
		}
		content := e.raw
		if e.tmpl != nil {
			var buf bytes.Buffer
			if err := e.tmpl.Execute(&buf, d); err != nil {
				if e.src != "" {
					errs = append(errs, locate(err))
				} else {
					errs = append(errs, fmt.Errorf("render %s: %w", p, err))
				}
				continue
			}
			content = buf.Bytes()
		}
		f, err := finish(p, content)
		if err != nil {
			errs = append(errs, e.fileError(err))
			continue
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	manifest, err := marshalManifest(d)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: ManifestPath, Content: manifest, Mode: 0o644})
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// fileError reports err against the custom file e came from, if any.
func (e entry) fileError(err error) error {
	if e.src == "" {
		return err
	}
	return &FileError{File: e.src, Msg: err.Error()}
}

// manifestSchema is a custom template's streamgen.yaml.
type manifestSchema struct {
	Description     string            `yaml:"description"`
	Summary         string            `yaml:"summary"`
	Memory          int               `yaml:"memory"`
	Timeout         int               `yaml:"timeout"`
	Bundle          bool              `yaml:"bundle"`
	Dependencies    map[string]string `yaml:"dependencies"`
	DevDependencies map[string]string `yaml:"devDependencies"`
	Params          []paramSchema     `yaml:"params"`
}

type paramSchema struct {
	Name     string            `yaml:"name"`
	Help     string            `yaml:"help"`
	Default  string            `yaml:"default"`
	Choices  []string          `yaml:"choices"`
	Pattern  string            `yaml:"pattern"`
	Required bool              `yaml:"required"`
	Ask      *bool             `yaml:"ask"`
	When     map[string]string `yaml:"when"`
}

var (
	templateNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	paramNameRE    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]{0,39}$`)
	npmVersionRE   = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	npmPackageRE   = regexp.MustCompile(`^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$`)
)

// parseManifest reads a streamgen.yaml. Every problem is a FileError
// with the line of the offending key or value.
func parseManifest(raw []byte, file, name string) (Template, []error) {
	var errs []error
	at := func(n *yaml.Node, format string, args ...any) {
		line := 0
		if n != nil {
			line = n.Line
		}
		errs = append(errs, &FileError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if !templateNameRE.MatchString(name) {
		at(nil, "the folder name %s is not a usable template name: use lowercase letters, digits and hyphens, starting with a letter", Quote(name))
	}
	switch name {
	case "base", IaCSAM, IaCCDK:
		at(nil, "%s is a shared folder, not a template; remove %s to patch its files", name, ManifestFile)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return Template{}, []error{yamlError(file, err)}
	}
	if len(doc.Content) == 0 {
		at(nil, "the manifest is empty; it needs at least a description")
		return Template{}, errs
	}
	root := doc.Content[0]
	checkKeys(root, reflectKeys(manifestSchema{}), at)
	var m manifestSchema
	if err := root.Decode(&m); err != nil {
		return Template{}, []error{yamlError(file, err)}
	}
	t := Template{
		Name:            name,
		Description:     strings.TrimSpace(m.Description),
		Summary:         strings.TrimSpace(cmp.Or(m.Summary, m.Description)),
		Memory:          m.Memory,
		Timeout:         m.Timeout,
		Bundle:          m.Bundle,
		Dependencies:    m.Dependencies,
		DevDependencies: m.DevDependencies,
	}
	if t.Description == "" {
		at(root, "description is missing; add one line saying what the template generates")
	}
	for _, f := range []struct{ key, value string }{{"description", t.Description}, {"summary", t.Summary}} {
		if err := checkText(f.key, f.value); err != nil {
			at(valueNode(root, f.key), "%v", err)
		}
	}
	if m.Memory != 0 && ValidateMemory(m.Memory) != nil {
		at(valueNode(root, "memory"), "memory %d is outside Lambda's %d-%d MB", m.Memory, MinMemory, MaxMemory)
	}
	if m.Timeout != 0 && ValidateTimeout(m.Timeout) != nil {
		at(valueNode(root, "timeout"), "timeout %d is outside Lambda's %d-%d seconds", m.Timeout, MinTimeout, MaxTimeout)
	}
	for _, key := range []string{"dependencies", "devDependencies"} {
		deps := map[string]string(m.Dependencies)
		if key == "devDependencies" {
			deps = m.DevDependencies
		}
		for _, pkg := range slices.Sorted(maps.Keys(deps)) {
			n := valueNode(valueNode(root, key), pkg)
			if !npmPackageRE.MatchString(pkg) {
				at(n, "%s is not an npm package name", Quote(pkg))
			}
			if !npmVersionRE.MatchString(deps[pkg]) {
				at(n, "%s: version %s is not an exact version; pin one such as 1.2.3, so every generated project gets the same code", pkg, Quote(deps[pkg]))
			}
		}
	}
	paramsNode := valueNode(root, "params")
	for i, ps := range m.Params {
		var n *yaml.Node
		if paramsNode != nil && i < len(paramsNode.Content) {
			n = paramsNode.Content[i]
			checkKeys(n, reflectKeys(paramSchema{}), at)
		}
		p := Param{Name: ps.Name, Help: strings.TrimSpace(ps.Help), Default: ps.Default, Choices: ps.Choices, Pattern: ps.Pattern, Required: ps.Required, Ask: ps.Ask == nil || *ps.Ask, When: ps.When}
		switch {
		case !paramNameRE.MatchString(p.Name):
			at(cmp.Or(valueNode(n, "name"), n), "parameter name %s must be letters and digits, starting with a letter (it becomes --set %s=VALUE)", Quote(p.Name), p.Name)
		case slices.ContainsFunc(t.Params, func(q Param) bool { return q.Name == p.Name || q.Flag() == p.Flag() }):
			at(valueNode(n, "name"), "parameter %s is declared twice", p.Name)
		}
		if p.Help == "" {
			at(n, "parameter %s has no help; add one line for `streamgen list` and the wizard", p.Name)
		}
		for _, s := range append([]string{p.Help, p.Default, p.Pattern}, p.Choices...) {
			if err := checkText("parameter "+p.Name, s); err != nil {
				at(n, "%v", err)
			}
		}
		if p.Required && p.Default != "" {
			at(valueNode(n, "required"), "parameter %s is required but has a default; drop one of them", p.Name)
		}
		if p.Pattern != "" {
			if _, err := regexp.Compile(p.Pattern); err != nil {
				at(valueNode(n, "pattern"), "pattern of %s does not compile: %v", p.Name, err)
			} else {
				// Anchored, so the pattern must match the whole value.
				p.Validate = patternValidator(p.Name, p.Pattern, regexp.MustCompile(`^(?:`+p.Pattern+`)$`))
			}
		}
		if p.Default != "" {
			if len(p.Choices) > 0 && !slices.Contains(p.Choices, p.Default) {
				at(valueNode(n, "default"), "default %s of %s is not one of its choices", Quote(p.Default), p.Name)
			}
			if p.Validate != nil {
				if err := p.Validate(p.Default); err != nil {
					at(valueNode(n, "default"), "default of %s does not match its pattern", p.Name)
				}
			}
		}
		t.Params = append(t.Params, p)
	}
	for i, p := range t.Params {
		for k, v := range p.When {
			q, ok := t.param(k)
			var n *yaml.Node
			if paramsNode != nil && i < len(paramsNode.Content) {
				n = valueNode(paramsNode.Content[i], "when")
			}
			switch {
			case !ok || k == p.Name:
				at(n, "parameter %s: when names %s, which is not another parameter of this template", p.Name, Quote(k))
			case len(q.Choices) > 0 && !slices.Contains(q.Choices, v):
				at(n, "parameter %s: when %s=%s can never hold: %s takes %s", p.Name, k, Quote(v), k, strings.Join(q.Choices, ", "))
			}
		}
	}
	return t, errs
}

func patternValidator(name, pattern string, re *regexp.Regexp) func(string) error {
	return func(v string) error {
		if re.MatchString(v) {
			return nil
		}
		return invalid("--set "+name, v, "it does not match the pattern "+Quote(pattern), "see `streamgen list` for what "+name+" takes")
	}
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

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

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
