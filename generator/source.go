package generator

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/streamgen/streamgen/templates"
)

// Source is a set of templates and the shared layers their projects are
// built on. [Builtin] is the set embedded in streamgen; [LoadSource]
// extends it with a custom template tree. Set [Options.Source] to render
// from a source other than the built-in one. A Source is immutable and
// safe for concurrent use.
type Source struct {
	// templates holds an embedded template as a stub (its Name and
	// pack.load) until it is first asked for; see [Source.at].
	templates []Template
	layers    map[string]*layer // base, sam, cdk
	origins   map[string]string // template -> LoadSource origin, when not "builtin"
	// house is the policy of a --template-dir's house.yaml, if any.
	house *House
}

// The shared layers, in the order a project is built: base, then its
// IaC's. Templates fill the slots they define (see the README).
const (
	layersDir = "layers"
	packsDir  = "packs"
)

// builtin lists the embedded tree once per process, when first asked. Each
// template's folder is read when that template is first asked for, and
// its declarations and files are parsed when it first renders.
var builtin = sync.OnceValues(func() (*Source, error) {
	return loadEmbedded(templates.FS)
})

// Builtin returns the templates embedded in streamgen. It panics if the
// embedded tree's layout is broken, and so does reading a built-in
// template whose manifest does not load; a built-in template's broken
// declarations are an error of the projects it renders. The generator's
// and the golden tests rule all of these out before a release.
func Builtin() *Source {
	s, err := builtin()
	if err != nil {
		panic("streamgen: the embedded templates do not load: " + err.Error())
	}
	return s
}

// loadEmbedded reads a tree laid out as templates/: layers/NAME and
// packs/NAME.
func loadEmbedded(fsys fs.FS) (*Source, error) {
	s := &Source{layers: map[string]*layer{}, origins: map[string]string{}}
	var errs []error
	layerDirs, err := fs.ReadDir(fsys, layersDir)
	if err != nil {
		return nil, err
	}
	for _, e := range layerDirs {
		l, lerrs := loadLayer(fsys, layersDir+"/"+e.Name(), e.Name(), "")
		errs = append(errs, lerrs...)
		s.layers[e.Name()] = l
	}
	packDirs, err := fs.ReadDir(fsys, packsDir)
	if err != nil {
		return nil, err
	}
	// A template's folder is read when the template is first asked for,
	// so that a run reads only the manifests it uses.
	for _, e := range packDirs {
		name := e.Name()
		load := sync.OnceValues(func() (Template, error) {
			t, errs := loadPack(fsys, packsDir+"/"+name, name, "")
			if len(errs) > 0 || t == nil {
				return Template{}, cmp.Or(errors.Join(errs...), errors.New("no manifest"))
			}
			return *t, nil
		})
		s.templates = append(s.templates, Template{Name: name, pack: &pack{load: load}})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// at returns template i, loading it first if it is an embedded one not yet
// read. The embedded tree's templates are checked by the golden tests, so
// one that does not load is a defect of the build, as in [Builtin].
func (s *Source) at(i int) Template {
	t := s.templates[i]
	if t.pack == nil || t.pack.load == nil {
		return t
	}
	loaded, err := t.pack.load()
	if err != nil {
		panic("streamgen: the embedded template " + t.Name + " does not load: " + err.Error())
	}
	return loaded
}

// Templates returns the source's templates: the built-in ones first, by
// name, then custom ones by name.
func (s *Source) Templates() []Template {
	out := make([]Template, len(s.templates))
	for i := range s.templates {
		out[i] = s.at(i).clone()
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
	for i, t := range s.templates {
		if t.Name == name {
			return s.at(i).clone(), true
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

// House returns the house policy of the template directory the source was
// loaded from (its house.yaml), or nil.
func (s *Source) House() *House {
	if s.house == nil {
		return nil
	}
	h := s.house.clone()
	return &h
}

// FileError is a defect in a file streamgen reads: a custom template, a
// house policy or a values file. It names the file and, where one applies,
// the line.
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

// HouseFile is the house policy a template directory may carry at its
// root, applied to every project generated from it.
const HouseFile = "house.yaml"

// LoadSource returns the built-in templates extended by the tree in fsys,
// whose files are named in errors as origin/PATH (origin is typically the
// directory fsys was opened from). Every top-level folder of fsys is one of
// these:
//
//   - A folder with a streamgen.yaml is a template: a new one, or a
//     complete replacement of the built-in template of the same name. It
//     is read exactly as the built-in templates are.
//   - A folder named after a built-in layer (base, sam, cdk) or template,
//     with no streamgen.yaml, patches it: each of its files adds to or
//     replaces the built-in file at the same path, partials and variants
//     included. This ships a house README or handler without forking the
//     rest.
//
// A house.yaml at the top holds the house policy every project from the
// tree follows (see [House]); other top-level files are ignored.
// Everything is checked on load: manifests and house policy against their
// schemas, every template parsed, and every affected template rendered
// once for each IaC and variant with sample values. Problems come back
// joined, each a *[FileError] naming the file and line.
func LoadSource(fsys fs.FS, origin string) (*Source, error) {
	base, err := builtin()
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, &FileError{File: origin, Msg: fmt.Sprintf("cannot read the template directory: %v", err)}
	}
	src := &Source{templates: slices.Clone(base.templates), layers: maps.Clone(base.layers), origins: map[string]string{}}
	var errs []error
	var affected []string // templates whose output the custom tree changes
	for _, e := range entries {
		name := e.Name()
		shown := displayPath(origin, name)
		if e.Type()&fs.ModeSymlink != 0 {
			errs = append(errs, &FileError{File: shown, Msg: "a symbolic link; template folders and house.yaml must be real files (links are not followed)"})
			continue
		}
		if !e.IsDir() {
			if name == HouseFile {
				raw, err := readLimited(fsys, name)
				if err != nil {
					errs = append(errs, &FileError{File: shown, Msg: err.Error()})
					continue
				}
				h, herrs := ParseHouse(raw, shown)
				errs = append(errs, flatten(herrs)...)
				src.house = h
				affected = append(affected, "*")
			}
			continue
		}
		raw, err := readManifest(fsys, name)
		_, isLayer := base.layers[name]
		builtinIdx := slices.IndexFunc(base.templates, func(b Template) bool { return b.Name == name })
		switch {
		case errors.Is(err, fs.ErrNotExist) && isLayer:
			patch, perrs := loadLayer(fsys, name, name, origin)
			errs = append(errs, perrs...)
			src.layers[name] = base.layers[name].overlay(patch)
			affected = append(affected, "*")
		case errors.Is(err, fs.ErrNotExist) && builtinIdx >= 0:
			t, perrs := patchPack(fsys, name, origin, base.at(builtinIdx))
			errs = append(errs, perrs...)
			src.templates[slices.IndexFunc(src.templates, func(b Template) bool { return b.Name == name })] = t
			affected = append(affected, name)
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, &FileError{File: shown, Msg: fmt.Sprintf("has no %s, and is not a built-in layer or template (%s) to patch; add a %s to declare a new template",
				ManifestFile, strings.Join(slices.Concat(slices.Sorted(maps.Keys(base.layers)), base.Names()), ", "), ManifestFile)})
		case err != nil:
			errs = append(errs, &FileError{File: shown + "/" + ManifestFile, Msg: err.Error()})
		case isLayer:
			errs = append(errs, &FileError{File: shown + "/" + ManifestFile, Msg: fmt.Sprintf("%s is a built-in layer, not a template; remove %s to patch its files, or give the new template another name", name, ManifestFile)})
		default:
			_ = raw
			t, terrs := loadPack(fsys, name, name, origin)
			errs = append(errs, terrs...)
			if t == nil {
				continue
			}
			if i := slices.IndexFunc(src.templates, func(b Template) bool { return b.Name == name }); i >= 0 {
				src.templates[i] = *t
			} else {
				src.templates = append(src.templates, *t)
			}
			affected = append(affected, name)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(dedupeErrors(errs)...)
	}
	n := len(base.templates)
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

// readManifest reads dir/streamgen.yaml, which must be a regular file.
func readManifest(fsys fs.FS, dir string) ([]byte, error) {
	return readNamed(fsys, dir, ManifestFile)
}

// readNamed reads dir/name, which must be a regular file;
// fs.ErrNotExist when there is none.
func readNamed(fsys fs.FS, dir, name string) ([]byte, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() != name {
			continue
		}
		if !e.Type().IsRegular() {
			return nil, errors.New("not a regular file (symbolic links are not followed); replace it with the file itself")
		}
		return readLimited(fsys, dir+"/"+name)
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

func displayPath(origin, p string) string {
	if origin == "" {
		return p
	}
	return strings.TrimSuffix(origin, "/") + "/" + p
}

// pack is a template folder beyond what [Template] exports: what its
// manifest declares, its files and partials, and its variants.
type pack struct {
	declared     declared
	checks       []checkDecl
	variantParam string
	variants     map[string]*variantPack
	files        *layer
	sample       *Sample // the sample: request; nil for defaultSample
	// load, in an embedded template's stub, reads the template, once.
	load func() (Template, error)
	// rest parses, once, what only rendering needs; see [pack.complete].
	rest func() error
}

// complete parses, once, what only rendering needs: the declared values
// and infrastructure, the sample request and the variants' manifests. The
// embedded templates put this off, so that a run reads only what its own
// template declares; a custom template's is done when it loads, where its
// problems are reported with the rest.
func (p *pack) complete() error {
	if p.rest == nil {
		return nil
	}
	return p.rest()
}

// variantPack is a folder variants/VALUE of a template: files added when
// the variant parameter has that value, and what its variant.yaml adds.
type variantPack struct {
	declared declared
	files    *layer
}

func (p *pack) variant(value string) *variantPack {
	if p == nil || value == "" {
		return nil
	}
	return p.variants[value]
}

// loadPack reads the template folder dir of fsys: its manifest, files,
// partials and variants. name is the template's name, origin prefixes the
// paths errors name ("" for the embedded tree).
func loadPack(fsys fs.FS, dir, name, origin string) (*Template, []error) {
	shown := displayPath(origin, dir)
	raw, err := readManifest(fsys, dir)
	if err != nil {
		return nil, []error{&FileError{File: shown + "/" + ManifestFile, Msg: err.Error()}}
	}
	t, rest, errs := parseManifest(raw, shown+"/"+ManifestFile, name)
	if t == nil {
		return nil, errs
	}
	// A custom template is checked in full when it loads, its problems in
	// the order of its files; an embedded one reads its declarations and
	// its variants' manifests when it first renders (see [pack.complete]).
	custom := origin != ""
	if custom {
		errs = append(errs, rest()...)
	}
	files, ferrs := loadLayer(fsys, dir, name, origin)
	errs = append(errs, ferrs...)
	t.pack.files = files
	vfiles := files.variants
	files.variants = nil
	if len(vfiles) > 0 && t.pack.variantParam == "" {
		errs = append(errs, &FileError{File: shown + "/variants", Msg: "the manifest declares no variants.param, so nothing picks a variant folder; add variants: {param: NAME}"})
	}
	t.pack.variants = map[string]*variantPack{}
	choices := map[string]bool{}
	if p, ok := t.param(t.pack.variantParam); ok {
		for _, c := range p.Choices {
			choices[c] = true
		}
	}
	// readVariant reads variants/VALUE/variant.yaml, if there is one, which
	// extends the template's own declarations.
	readVariant := func(value string) []error {
		vdir := dir + "/variants/" + value
		shown := displayPath(origin, vdir+"/"+VariantManifestFile)
		raw, err := readNamed(fsys, vdir, VariantManifestFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return []error{&FileError{File: shown, Msg: err.Error()}}
		}
		d, verrs := parseVariantManifest(raw, shown, t)
		t.pack.variants[value].declared = d
		return verrs
	}
	for _, value := range slices.Sorted(maps.Keys(vfiles)) {
		if t.pack.variantParam != "" && !choices[value] {
			errs = append(errs, &FileError{File: displayPath(origin, dir+"/variants/"+value), Msg: fmt.Sprintf("variants/%s is not a choice of %s (%s)", value, t.pack.variantParam, strings.Join(slices.Sorted(maps.Keys(choices)), ", "))})
			continue
		}
		t.pack.variants[value] = &variantPack{files: vfiles[value]}
		if custom {
			errs = append(errs, readVariant(value)...)
		}
	}
	if !custom {
		t.pack.rest = sync.OnceValue(func() error {
			errs := rest()
			for _, value := range slices.Sorted(maps.Keys(t.pack.variants)) {
				errs = append(errs, readVariant(value)...)
			}
			return errors.Join(errs...)
		})
		return t, errs
	}
	errs = append(errs, t.pack.parse()...)
	return t, errs
}

// patchPack returns built-in template t with the files of fsys/dir added
// to or replacing its own, partials and variant files included.
func patchPack(fsys fs.FS, dir, origin string, t Template) (Template, []error) {
	// The variants are copied below, so their manifests are read first.
	if err := t.pack.complete(); err != nil {
		return t, []error{err}
	}
	patch, errs := loadLayer(fsys, dir, dir, origin)
	manifests, _ := fs.Glob(fsys, dir+"/variants/*/"+VariantManifestFile)
	for _, m := range manifests {
		errs = append(errs, &FileError{File: displayPath(origin, m), Msg: "a patch replaces a built-in template's files, not what its manifests declare, so this " + VariantManifestFile +
			" would be ignored; to change it, copy the whole template folder (with its " + ManifestFile + ") under a name of your own"})
	}
	p := *t.pack
	p.files = t.pack.files.overlay(patch)
	p.variants = map[string]*variantPack{}
	for value, v := range t.pack.variants {
		nv := *v
		if pv, ok := patch.variants[value]; ok {
			nv.files = v.files.overlay(pv)
			delete(patch.variants, value)
		}
		p.variants[value] = &nv
	}
	for value := range patch.variants {
		errs = append(errs, &FileError{File: displayPath(origin, dir+"/variants/"+value), Msg: fmt.Sprintf("template %s has no variant %s to patch", t.Name, value)})
	}
	errs = append(errs, p.parse()...)
	t.pack = &p
	return t, errs
}

// layer is a folder of project files and partials: a shared layer (base,
// sam, cdk) or a template's own files. Its templates are parsed on first
// use.
type layer struct {
	name     string
	files    []entry // written into the project
	partials []entry // files under partials/: named blocks other files use
	// variants holds the layers of variants/VALUE folders while a pack
	// loads.
	variants map[string]*layer

	once sync.Once
	errs []error
}

type entry struct {
	rel string // path within the layer folder
	out string // output path within the project
	raw []byte // the content; for the embedded tree, read when first parsed
	// fsys and path locate the content until it is read.
	fsys fs.FS
	path string
	tmpl *template.Template // for .tmpl files, once parsed
	// src is the file's path as errors name it.
	src string
	// custom says the file comes from a LoadSource tree, not streamgen.
	custom bool
}

func (e entry) isTemplate() bool { return strings.HasSuffix(e.rel, ".tmpl") }

// PartialsDir is the folder of a layer or template whose files define the
// named blocks ({{define "name"}}) the shared files use; they are not
// written into the project.
const PartialsDir = "partials"

// loadLayer lists every file below dir, reading those of a custom tree
// (origin != "") at once and those of the embedded one when a project
// first renders from them. Files of a template's variants
// (variants/VALUE/...) go to the layer's variants, its manifest nowhere.
func loadLayer(fsys fs.FS, dir, name, origin string) (*layer, []error) {
	l := &layer{name: name, variants: map[string]*layer{}}
	var errs []error
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel := strings.TrimPrefix(p, dir+"/")
		shown := displayPath(origin, p)
		target := l
		if v, rest, ok := strings.Cut(strings.TrimPrefix(rel, "variants/"), "/"); strings.HasPrefix(rel, "variants/") && ok {
			switch rest {
			case VariantManifestFile:
				return nil
			case ManifestFile:
				errs = append(errs, &FileError{File: shown, Msg: "a variant's manifest is " + VariantManifestFile + ", with dependencies, values and infrastructure; rename it"})
				return nil
			}
			if l.variants[v] == nil {
				l.variants[v] = &layer{name: name + "/variants/" + v}
			}
			target, rel = l.variants[v], rest
		} else if rel == ManifestFile {
			return nil
		}
		if !d.Type().IsRegular() {
			errs = append(errs, &FileError{File: shown, Msg: "not a regular file (symbolic links are not followed); replace it with the file itself"})
			return nil
		}
		e := entry{rel: rel, out: strings.TrimSuffix(rel, ".tmpl"), src: shown, custom: origin != "", fsys: fsys, path: p}
		if origin != "" {
			raw, err := readLimited(fsys, p)
			if err != nil {
				errs = append(errs, &FileError{File: shown, Msg: err.Error()})
				return nil
			}
			e.raw = raw
		}
		if strings.HasPrefix(rel, PartialsDir+"/") {
			if !e.isTemplate() {
				errs = append(errs, &FileError{File: shown, Msg: "files under partials/ define named blocks and must end in .tmpl"})
				return nil
			}
			target.partials = append(target.partials, e)
			return nil
		}
		if err := checkRelPath(e.out); err != nil {
			errs = append(errs, &FileError{File: shown, Msg: "its output path is not usable: " + err.Error()})
			return nil
		}
		if e.out == ManifestPath {
			errs = append(errs, &FileError{File: shown, Msg: "streamgen writes " + ManifestPath + " itself; remove this file"})
			return nil
		}
		target.files = append(target.files, e)
		return nil
	})
	if err != nil {
		errs = append(errs, &FileError{File: displayPath(origin, dir), Msg: fmt.Sprintf("cannot read the folder: %v", err)})
	}
	return l, errs
}

// overlay returns l with the files and partials of patch added, a patch
// file replacing l's file at the same path. l's entries come first, so a
// patch's partials define their blocks after (and over) l's. l is parsed
// first: its entries are copied, and must not change while they are.
func (l *layer) overlay(patch *layer) *layer {
	l.parse()
	merge := func(base, add []entry) []entry {
		var out []entry
		for _, e := range base {
			if !slices.ContainsFunc(add, func(p entry) bool { return p.rel == e.rel }) {
				out = append(out, e)
			}
		}
		return append(out, add...)
	}
	return &layer{name: l.name, files: merge(l.files, patch.files), partials: merge(l.partials, patch.partials)}
}

// parse reads and parses the layer's templates once, returning every
// problem.
func (l *layer) parse() []error {
	l.once.Do(func() {
		for _, list := range [][]entry{l.files, l.partials} {
			for i := range list {
				e := &list[i]
				if e.raw == nil && e.fsys != nil {
					raw, err := fs.ReadFile(e.fsys, e.path)
					if err != nil {
						l.errs = append(l.errs, &FileError{File: e.src, Msg: err.Error()})
						continue
					}
					e.raw = raw
				}
				if !e.isTemplate() {
					continue
				}
				t, err := template.New(e.src).Option("missingkey=error").Funcs(funcs()).Parse(string(e.raw))
				if err != nil {
					l.errs = append(l.errs, locate(err))
					continue
				}
				e.tmpl = t
			}
		}
	})
	return l.errs
}

// parse parses the template's files and those of every variant.
func (p *pack) parse() []error {
	errs := p.files.parse()
	for _, value := range slices.Sorted(maps.Keys(p.variants)) {
		errs = append(errs, p.variants[value].files.parse()...)
	}
	return errs
}

// templateErrRE matches text/template's "template: NAME:LINE:[COL:] MSG".
var templateErrRE = lazyRE(`^template: ([^:]+):(\d+):(?:\d+:)? ?(.*)$`)

// locate turns a text/template error into a FileError with its file and
// line (templates are named by their path as errors show it). Other errors
// are returned as they are.
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

// trialRender renders template name for each IaC (and each variant) with
// sample values, so a template that cannot execute is reported on load
// rather than on a user's first run.
func (s *Source) trialRender(name string) []error {
	t, _ := s.Template(name)
	variants := []string{""}
	if p, ok := t.param(t.pack.variantParam); ok {
		variants = p.Choices
	}
	var errs []error
	for _, iac := range IaCChoices {
		for _, front := range FrontChoices {
			for _, v := range variants {
				set := map[string]string{}
				for _, p := range t.Params {
					switch {
					case p.Name == t.pack.variantParam && v != "":
						set[p.Name] = v
					case p.Required && len(p.Choices) > 0:
						set[p.Name] = p.Choices[0]
					case p.Required:
						set[p.Name] = "sample"
					}
				}
				o := Options{Name: "sample-project", Template: name, IaC: iac, Front: front, Set: set, Source: s}.WithDefaults()
				d, err := newData(o)
				if err == nil {
					_, err = s.render(d)
				}
				for _, e := range flatten(err) {
					// An error of the rendered project names no file of the
					// template's: it is the template's, found by its manifest.
					var fe *FileError
					if !errors.As(e, &fe) || strings.HasPrefix(fe.File, "layers/") {
						// A built-in layer's file went wrong with this
						// template's declarations or fragments.
						e = &FileError{File: displayPath(s.origins[name], name+"/"+ManifestFile), Msg: fmt.Sprintf("rendering a sample project (%s, %s): %v", iac, front, e)}
					}
					errs = append(errs, e)
				}
			}
		}
	}
	return dedupeErrors(errs)
}

// render executes the layers base, IaC, front end and template (then the
// template's variant, if any), in that order: a later layer's file
// replaces an earlier one's at the same path, and a later layer's
// {{define}} of a block replaces an earlier one's. The IaC layer's files
// include the front end's blocks (sam.front.resources, ...), which every
// front-end layer defines for both IaC flavours.
func (s *Source) render(d Data) (Files, error) {
	t, ok := s.Template(d.Template)
	if !ok {
		return nil, fmt.Errorf("no template %q", d.Template)
	}
	layers := []*layer{s.layers["base"], s.layers[d.IaC], s.layers[d.Front], t.pack.files}
	if v := t.pack.variant(d.Variant); v != nil {
		layers = append(layers, v.files)
	}
	var errs []error
	set := template.New("").Option("missingkey=error").Funcs(funcs())
	blocks := map[string]blockSource{}
	byPath := map[string]entry{}
	for _, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("the template tree has no layer for %s or %s", d.IaC, d.Front)
		}
		if perrs := l.parse(); len(perrs) > 0 {
			return nil, errors.Join(perrs...)
		}
		for _, e := range l.partials {
			for _, def := range e.tmpl.Templates() {
				if def.Name() != e.src && def.Tree != nil {
					tree := def.Tree
					if parse.IsEmptyTree(tree.Root) {
						// text/template keeps a block's earlier definition
						// when a later one is empty; an empty action is
						// not, so a later layer can empty a block.
						tree = emptyBlock(def.Name())
					}
					if _, err := set.AddParseTree(def.Name(), tree); err != nil {
						errs = append(errs, err)
					}
					blocks[def.Name()] = blockSource{file: e.src, line: 1 + bytes.Count(e.raw[:min(int(def.Tree.Root.Pos), len(e.raw))], []byte("\n"))}
				}
			}
		}
		for _, e := range l.files {
			byPath[e.out] = e
		}
	}
	if err := checkFragments(set, blocks, d); err != nil {
		return nil, err
	}
	var files Files
	paths := slices.Sorted(maps.Keys(byPath))
	for i, p := range paths {
		e := byPath[p]
		if i+1 < len(paths) && strings.HasPrefix(paths[i+1], p+"/") {
			culprit := e
			if !e.custom {
				culprit = byPath[paths[i+1]]
			}
			errs = append(errs, &FileError{File: culprit.src, Msg: fmt.Sprintf("%s is both a file and a folder of the project (%s)", Quote(p), paths[i+1])})
			continue
		}
		content := e.raw
		if e.tmpl != nil {
			out, err := execute(set, e, d)
			if err != nil {
				errs = append(errs, locate(err))
				continue
			}
			content = out
		}
		if p == "template.yaml" && d.IsSAM() && !d.House.IsZero() {
			var err error
			if content, err = applyHouseSAM(content, d.House); err != nil {
				// The lines are the rendered template's, whose resources
				// come from the layers and the template's fragments.
				errs = append(errs, fmt.Errorf("applying the house policy to the rendered %s: %w", p, err))
				continue
			}
		}
		if strings.HasSuffix(p, ".ts") {
			if err := checkTSNames(p, content); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		f, err := finish(p, content)
		if err != nil {
			errs = append(errs, &FileError{File: e.src, Msg: err.Error()})
			continue
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for _, f := range files {
		if f.Path == BasePath || strings.HasPrefix(f.Path, path.Dir(BasePath)+"/") {
			return nil, fmt.Errorf("%s: streamgen writes %s itself; a template may not", f.Path, path.Dir(BasePath)+"/")
		}
	}
	manifest, err := marshalManifest(d, files)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: BasePath, Content: baseArchive(files), Mode: 0o644})
	files = append(files, File{Path: ManifestPath, Content: manifest, Mode: 0o644})
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// execute runs one file's template with the partials of set.
func execute(set *template.Template, e entry, d Data) ([]byte, error) {
	t, err := set.Clone()
	if err != nil {
		return nil, err
	}
	bindInclude(t)
	for _, def := range e.tmpl.Templates() {
		if def.Tree == nil {
			continue
		}
		if _, err := t.AddParseTree(def.Name(), def.Tree); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, e.src, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// blockOutput renders the named block of set, "" if no layer defines it.
func blockOutput(set *template.Template, name string, d Data) (string, error) {
	if set.Lookup(name) == nil {
		return "", nil
	}
	t, err := set.Clone()
	if err != nil {
		return "", err
	}
	bindInclude(t)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, d); err != nil {
		return "", locate(err)
	}
	return buf.String(), nil
}

// bindInclude makes {{include "name" .}} render t's block name.
func bindInclude(t *template.Template) {
	t.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
		if t.Lookup(name) == nil {
			return "", fmt.Errorf("no layer or template defines the block %q", name)
		}
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}})
}

// emptyBlock is a block that writes nothing but, unlike {{define "x"}}{{end}},
// replaces an earlier definition.
func emptyBlock(name string) *parse.Tree {
	return template.Must(template.New(name).Parse(`{{""}}`)).Tree
}
