package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
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
// project with the same answers and house policy.
type Manifest struct {
	Template         string  `json:"template"`
	StreamgenVersion string  `json:"streamgenVersion"`
	Answers          Answers `json:"answers"`
	// House is the house policy the project was generated under.
	House *House `json:"house,omitempty"`
}

// Answers are the options a project was generated with.
type Answers struct {
	Name    string `json:"name"`
	IaC     string `json:"iac"`
	Runtime string `json:"runtime"`
	Arch    string `json:"arch"`
	Memory  int    `json:"memory"`
	Timeout int    `json:"timeout"`
	Front   string `json:"front"`
	Auth    string `json:"auth"`
	// Stage and UserPoolARN are a REST API's.
	Stage       string `json:"stage,omitempty"`
	UserPoolARN string `json:"userPoolArn,omitempty"`
	// Set holds the template parameters given with --set.
	Set map[string]string `json:"set,omitempty"`
}

// Render validates opts, fills in defaults and renders the project in
// memory from opts.Source (the built-in templates when nil). It never
// touches the disk. On any error it returns no files.
func Render(opts Options) (Files, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d, err := newData(opts.WithDefaults())
	if err != nil {
		return nil, err
	}
	return opts.source().render(d)
}

// marshalManifest renders .streamgen.json.
func marshalManifest(d Data) ([]byte, error) {
	var house *House
	if !d.House.IsZero() {
		house = &d.House
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(Manifest{
		Template:         d.Template,
		StreamgenVersion: d.Version,
		Answers: Answers{
			Name: d.Name, IaC: d.IaC, Runtime: d.Runtime, Arch: d.Arch,
			Memory: d.Memory, Timeout: d.Timeout, Front: d.Front, Auth: d.Auth,
			Stage: d.Stage, UserPoolARN: d.UserPoolARN, Set: d.Set,
		},
		House: house,
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
		if err := checkYAMLKeys(content); err != nil {
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
