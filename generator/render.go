package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/streamgen/streamgen/templates"
	"go.yaml.in/yaml/v3"
)

// File is one generated file.
type File struct {
	// Path is slash-separated and relative to the project root.
	Path string
	// Content is the file's bytes.
	Content []byte
	// Mode is the permission bits to write it with: 0644, or 0755 for
	// scripts that are meant to be run directly.
	Mode fs.FileMode
}

// Files is a generated tree, sorted by path.
type Files []File

// Get returns the file at path.
func (fs Files) Get(path string) (File, bool) {
	i, ok := slices.BinarySearchFunc(fs, path, func(f File, p string) int { return strings.Compare(f.Path, p) })
	if !ok {
		return File{}, false
	}
	return fs[i], true
}

// Paths returns the paths of all files, in order.
func (fs Files) Paths() []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Path
	}
	return out
}

// ManifestPath is where every project records how it was generated.
const ManifestPath = ".streamgen.json"

// Manifest is the content of .streamgen.json: enough to regenerate the
// project with the same answers.
type Manifest struct {
	Template         string  `json:"template"`
	StreamgenVersion string  `json:"streamgenVersion"`
	Answers          Answers `json:"answers"`
}

// Answers are the options a project was generated with.
type Answers struct {
	Name    string `json:"name"`
	IaC     string `json:"iac"`
	Runtime string `json:"runtime"`
	Arch    string `json:"arch"`
	Memory  int    `json:"memory"`
	Timeout int    `json:"timeout"`
	Auth    string `json:"auth"`
	// Set holds the template parameters given with --set.
	Set map[string]string `json:"set,omitempty"`
}

// Render validates opts, fills in defaults and renders the project in
// memory. It never touches the disk. On any error it returns no files.
func Render(opts Options) (Files, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	src, err := builtinSource()
	if err != nil {
		return nil, err
	}
	return src.render(newData(opts.WithDefaults()))
}

// source is a parsed template tree: the layers of every folder, with
// templates parsed once.
type source struct {
	layers map[string][]entry // top-level folder -> its files
}

type entry struct {
	out  string             // output path within the project
	tmpl *template.Template // nil for a verbatim file
	raw  []byte
}

// builtinSource parses the embedded tree once per process.
var builtinSource = sync.OnceValues(func() (*source, error) { return loadSource(templates.FS) })

func loadSource(fsys fs.FS) (*source, error) {
	src := &source{layers: map[string][]entry{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		layer, rel, ok := strings.Cut(p, "/")
		if !ok {
			return nil // top-level files (embed.go) are not templates
		}
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		e := entry{out: rel, raw: raw}
		if strings.HasSuffix(rel, ".tmpl") {
			e.out = strings.TrimSuffix(rel, ".tmpl")
			e.tmpl, err = template.New(p).Option("missingkey=error").Funcs(funcs).Parse(string(raw))
			if err != nil {
				return fmt.Errorf("parse template %s: %w", p, err)
			}
		}
		src.layers[layer] = append(src.layers[layer], e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	return src, nil
}

// render executes the layers base, IaC and template, in that order; a later
// layer's file replaces an earlier one's at the same path.
func (s *source) render(d Data) (Files, error) {
	byPath := map[string]entry{}
	layers := []string{"base", d.IaC, d.Template}
	if d.Variant != "" {
		layers = append(layers, d.Template+"-"+d.Variant)
	}
	for _, layer := range layers {
		if _, ok := s.layers[layer]; !ok {
			return nil, fmt.Errorf("template tree has no folder %q", layer)
		}
		for _, e := range s.layers[layer] {
			byPath[e.out] = e
		}
	}
	var files Files
	for p, e := range byPath {
		content := e.raw
		if e.tmpl != nil {
			var buf bytes.Buffer
			if err := e.tmpl.Execute(&buf, d); err != nil {
				return nil, fmt.Errorf("render %s: %w", p, err)
			}
			content = buf.Bytes()
		}
		f, err := finish(p, content)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	manifest, err := json.MarshalIndent(Manifest{
		Template:         d.Template,
		StreamgenVersion: d.Version,
		Answers: Answers{
			Name: d.Name, IaC: d.IaC, Runtime: d.Runtime, Arch: d.Arch,
			Memory: d.Memory, Timeout: d.Timeout, Auth: d.Auth, Set: d.Set,
		},
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: ManifestPath, Content: append(manifest, '\n'), Mode: 0o644})
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// finish checks a rendered file before it can reach the disk: its path is
// clean, JSON and YAML parse, and text ends with exactly one newline (a
// template's trailing blank lines are dropped). A failure here is a template
// defect, reported with the file's path.
func finish(p string, content []byte) (File, error) {
	if err := checkRelPath(p); err != nil {
		return File{}, fmt.Errorf("template produced a bad path: %w", err)
	}
	content = append(bytes.TrimRight(content, "\n"), '\n')
	switch path.Ext(p) {
	case ".json":
		if !json.Valid(content) {
			var v any
			err := json.Unmarshal(content, &v)
			return File{}, fmt.Errorf("render %s: the result is not valid JSON: %v", p, err)
		}
	case ".yaml", ".yml":
		var n yaml.Node
		if err := yaml.Unmarshal(content, &n); err != nil {
			return File{}, fmt.Errorf("render %s: the result is not valid YAML: %v", p, err)
		}
	}
	mode := fs.FileMode(0o644)
	if path.Ext(p) == ".sh" {
		mode = 0o755
	}
	return File{Path: p, Content: content, Mode: mode}, nil
}

// checkRelPath accepts only clean, relative, slash-separated paths that stay
// inside the project: no absolute paths, no "." or ".." segments, no empty
// segments, no backslashes and no control characters.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("path %s contains a backslash", Quote(p))
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %s is absolute", Quote(p))
	case !fs.ValidPath(p):
		return fmt.Errorf("path %s is not a clean relative path (no \".\", \"..\" or empty segments)", Quote(p))
	}
	if err := checkText("path", p); err != nil {
		return err
	}
	return nil
}
