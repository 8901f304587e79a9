package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"golang.org/x/tools/txtar"
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

// BasePath is where a project keeps the files exactly as streamgen last
// generated them (a txtar archive), the base `streamgen upgrade` merges
// the user's edits and the new templates' changes against.
const BasePath = ".streamgen/base.txtar"

// Manifest is the content of .streamgen.json: enough to regenerate the
// project with the same answers and house policy, and to tell which files
// the user has changed since.
type Manifest struct {
	Template         string `json:"template"`
	StreamgenVersion string `json:"streamgenVersion"`
	// Format numbers this record's layout and what its answers mean
	// (ManifestFormat when written); upgrade migrates answers recorded in
	// an older format. A record without it is format 1.
	Format int `json:"format,omitempty"`
	// TemplateDir says the project came from a --template-dir (a custom
	// template, or a built-in one the directory patched): rendering it
	// again needs that directory.
	TemplateDir bool    `json:"templateDir,omitempty"`
	Answers     Answers `json:"answers"`
	// House is the house policy the project was generated under.
	House *House `json:"house,omitempty"`
	// Files holds the SHA-256 (hex) of each file as generated, by path;
	// BasePath holds the files themselves.
	Files map[string]string `json:"files,omitempty"`
	// Conflicts lists the files an upgrade left with conflict markers or
	// a FILE.streamgen-new beside them, until they are resolved.
	Conflicts []string `json:"conflicts,omitempty"`
}

// ManifestFormat is the Format this streamgen records. Format 2: the
// openai provider's baseUrl includes the API version (/v1), and the record
// holds the files' hashes.
const ManifestFormat = 2

// Marshal writes the manifest as .streamgen.json holds it.
func (m Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FileHash is the hash Manifest.Files records for content.
func FileHash(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// baseArchive writes files as the txtar archive at BasePath. A file txtar
// cannot hold as it is (a line that reads as a file marker, no final
// newline) is held base64-encoded, under its path plus base64Suffix.
func baseArchive(files Files) []byte {
	a := &txtar.Archive{Comment: []byte("The files of this project as streamgen last generated them, the base\n`streamgen upgrade` merges your edits against. Do not edit; commit it.\n")}
	for _, f := range files {
		if txtarSafe(f.Path, f.Content) {
			a.Files = append(a.Files, txtar.File{Name: f.Path, Data: f.Content})
			continue
		}
		enc := base64.StdEncoding.EncodeToString(f.Content)
		var b strings.Builder
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n")
		a.Files = append(a.Files, txtar.File{Name: f.Path + base64Suffix, Data: []byte(b.String())})
	}
	return txtar.Format(a)
}

// base64Suffix marks a base archive entry held in base64.
const base64Suffix = " (base64)"

// txtarSafe reports whether a txtar archive holds content, under name,
// byte for byte.
func txtarSafe(name string, content []byte) bool {
	if strings.HasSuffix(name, base64Suffix) || len(content) > 0 && content[len(content)-1] != '\n' {
		return false
	}
	for _, line := range bytes.Split(content, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if bytes.HasPrefix(line, []byte("-- ")) && bytes.HasSuffix(line, []byte(" --")) || bytes.Equal(line, []byte("-- --")) {
			return false
		}
	}
	return true
}

// ParseBase reads a BasePath archive into its files by path. An entry that
// does not decode is left out: its file then has no base.
func ParseBase(raw []byte) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range txtar.Parse(raw).Files {
		name, encoded := strings.CutSuffix(f.Name, base64Suffix)
		if !encoded {
			out[f.Name] = f.Data
			continue
		}
		data, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(string(f.Data)))
		if err == nil {
			out[name] = data
		}
	}
	return out
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

// marshalManifest renders .streamgen.json, with the hashes of files.
func marshalManifest(d Data, files Files) ([]byte, error) {
	var house *House
	if !d.House.IsZero() {
		house = &d.House
	}
	hashes := map[string]string{}
	for _, f := range files {
		hashes[f.Path] = FileHash(f.Content)
	}
	return Manifest{
		Template:         d.Template,
		StreamgenVersion: d.Version,
		Format:           ManifestFormat,
		TemplateDir:      d.Custom,
		Answers: Answers{
			Name: d.Name, IaC: d.IaC, Runtime: d.Runtime, Arch: d.Arch,
			Memory: d.Memory, Timeout: d.Timeout, Front: d.Front, Auth: d.Auth,
			Stage: d.Stage, UserPoolARN: d.UserPoolARN, Set: d.Set,
		},
		House: house,
		Files: hashes,
	}.Marshal()
}

// finish checks a rendered file before it can reach the disk: its path is
// clean, JSON and YAML parse, and text ends with exactly one newline (a
// template's trailing blank lines are dropped). A failure here is a template
// defect, reported with the file's path.
func finish(p string, content []byte) (File, error) {
	if err := checkRelPath(p); err != nil {
		return File{}, fmt.Errorf("template produced a bad path: %w", err)
	}
	// A copy: content may be a file of the Source itself, which renders
	// run concurrently read and callers of Render may change.
	trimmed := bytes.TrimRight(content, "\n")
	content = append(make([]byte, 0, len(trimmed)+1), trimmed...)
	content = append(content, '\n')
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
