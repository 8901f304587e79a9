package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestHostileValuesCannotChangeStructure renders every file with hostile
// strings in every free-text field and checks two things:
//
//  1. Replacing each encoded hostile value with the encoding of a benign one
//     gives back, byte for byte, the render of the benign values. So the
//     hostile value appears only in encoded form and changed nothing else.
//  2. Parsing the YAML and JSON files gives back the hostile value itself.
//
// Validation would reject most of these values; the test bypasses it on
// purpose, to show the templates are safe on their own.
func TestHostileValuesCannotChangeStructure(t *testing.T) {
	src := Builtin()
	encoders := map[string]func(string) string{
		"yaml": yamlString, "js": jsString, "sh": shellWord, "md": markdownText, "mdcode": markdownCode,
		"json": func(s string) string { v, _ := jsonValue(s); return v },
		// The inside of a quoted string: a value can be part of a longer
		// one (arn:...:BUCKET/PREFIX*), and JSON-style escaping composes.
		"inner":    func(s string) string { q := jsonString(s); return q[1 : len(q)-1] },
		"template": templateLiteralText,
	}
	s3 := map[string]string{"bucket": "demo-bucket", "prefix": "public/"}
	openai := map[string]string{"provider": "openai", "baseUrl": "https://llm.example.com/v1", "apiKeyParameter": "/demo/key", "model": "gpt-4o", "corsOrigins": "https://a.example,https://b.example"}
	bedrock := map[string]string{"model": "us.anthropic.claude-3-5-haiku-20241022-v1:0", "corsOrigins": "https://a.example"}
	for _, tc := range []struct {
		template, iac, auth string
		set                 map[string]string
	}{
		{"echo", "sam", "iam", nil}, {"echo", "sam", "none", nil}, {"echo", "cdk", "iam", nil}, {"echo", "cdk", "none", nil},
		{"s3-proxy", "sam", "iam", s3}, {"s3-proxy", "cdk", "none", s3},
		{"llm-stream", "sam", "iam", openai}, {"llm-stream", "cdk", "none", openai},
		{"llm-stream", "sam", "none", bedrock}, {"llm-stream", "cdk", "iam", bedrock},
	} {
		iac, auth := tc.iac, tc.auth
		opts := Options{Name: "demo", Template: tc.template, IaC: iac, Auth: auth, Set: tc.set}.WithDefaults()
		benign, err := newData(opts)
		if err != nil {
			t.Fatal(err)
		}
		want, err := src.render(benign)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hostile {
			if h == "" {
				continue
			}
			// Every answer that reaches a file is hostile, parameters
			// included (bypassing their validation, on purpose): the
			// encoders alone must keep the files' structure.
			bad := opts
			bad.Name, bad.Version = h+"#name", h+"#version"
			bad.Set = map[string]string{}
			for k, v := range tc.set {
				switch k {
				case "provider":
					bad.Set[k] = v // picks the variant
				case "model":
					// Keep the inference-profile prefix, which decides
					// which statements apply.
					bad.Set[k] = v[:strings.Index(v, ".")+1] + strings.ReplaceAll(h, "\n", " ") + "#model.v1"
				case "corsOrigins":
					// As many origins as the benign list.
					var parts []string
					for i := range strings.Split(v, ",") {
						parts = append(parts, fmt.Sprintf("%s#origin%d", strings.ReplaceAll(h, ",", ";"), i))
					}
					bad.Set[k] = strings.Join(parts, ",")
				default:
					bad.Set[k] = h + "#" + k
				}
			}
			hd, err := newData(bad)
			if err != nil && (strings.Contains(err.Error(), "has a wildcard for these answers") || strings.Contains(err.Error(), "IAM would read as a policy variable")) {
				continue // an answer that would widen a grant is refused: safe
			}
			if err != nil {
				t.Errorf("%s %s/%s data with %q: %v", tc.template, iac, auth, h, err)
				continue
			}
			hd.StackName, hd.Description = h+"#stack", h+"#desc"
			benignD := benign
			benignD.StackName, benignD.Description = benign.StackName, benign.Description
			if !sameShape(hd, benign) {
				t.Errorf("%s %s/%s: hostile answers %q change which parts of the template apply", tc.template, iac, auth, h)
				continue
			}
			got, err := src.render(hd)
			if err != nil {
				t.Errorf("%s %s/%s render with %q: %v", tc.template, iac, auth, h, err)
				continue
			}
			// Every encoding of every hostile value, mapped to the same
			// encoding of the benign value; longest first, since one
			// encoding can contain another (a quoted word contains the
			// bare one).
			var pairs [][2]string
			for _, p := range stringValues(hd, benign) {
				if p[0] == p[1] {
					continue
				}
				for _, enc := range encoders {
					pairs = append(pairs, [2]string{enc(p[0]), enc(p[1])})
				}
			}
			slices.SortStableFunc(pairs, func(a, b [2]string) int { return len(b[0]) - len(a[0]) })
			for i, f := range got {
				content := string(f.Content)
				for _, p := range pairs {
					content = strings.ReplaceAll(content, p[0], p[1])
				}
				wantContent := string(want[i].Content)
				if f.Path == ManifestPath {
					// The files' hashes differ with their content, of course.
					content, wantContent = hashRE.ReplaceAllString(content, `"HASH"`), hashRE.ReplaceAllString(wantContent, `"HASH"`)
				}
				if content != wantContent {
					t.Errorf("%s %s/%s: %s changes shape with %q:\n%s", tc.template, iac, auth, f.Path, h, diffLines(wantContent, content))
				}
			}
			checkParsedValues(t, got, hd)
		}
	}
}

// sameShape reports whether two projects' data declare the same parts:
// the same environment variables, statements, resources and outputs.
func sameShape(a, b Data) bool {
	shape := func(d Data) string {
		s := fmt.Sprint(len(d.Environment), len(d.Resources), len(d.Outputs), d.CORS == nil, d.Variant)
		for _, p := range d.Policies {
			for _, st := range p.Statements {
				s += fmt.Sprint(" ", st.Actions, len(st.Resources), len(st.Condition), len(st.WildcardResources()))
			}
		}
		return s
	}
	return shape(a) == shape(b)
}

// diffLines shows the first line where two texts differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}

// stringValues pairs every string a template can read from d, fields,
// maps, Values and the methods that return them, with the same string
// from benign.
func stringValues(d, benign Data) [][2]string {
	var out [][2]string
	var add func(a, b reflect.Value)
	add = func(a, b reflect.Value) {
		if a.Type() == reflect.TypeOf(Value{}) {
			va, vb := a.Interface().(Value), b.Interface().(Value)
			out = append(out, [2]string{va.String(), vb.String()}, [2]string{va.SAM(), vb.SAM()},
				[2]string{va.CDK(), vb.CDK()}, [2]string{va.CDKSub(), vb.CDKSub()}, [2]string{va.NagFinding(), vb.NagFinding()})
			if ta, ok := va.Text(); ok {
				tb, _ := vb.Text()
				out = append(out, [2]string{ta, tb})
			}
			return
		}
		switch a.Kind() {
		case reflect.String:
			out = append(out, [2]string{a.String(), b.String()})
		case reflect.Slice:
			for j := range min(a.Len(), b.Len()) {
				add(a.Index(j), b.Index(j))
			}
		case reflect.Map:
			for _, k := range a.MapKeys() {
				if bv := b.MapIndex(k); bv.IsValid() {
					add(a.MapIndex(k), bv)
				}
			}
		case reflect.Pointer:
			if !a.IsNil() && !b.IsNil() {
				add(a.Elem(), b.Elem())
			}
		case reflect.Struct:
			for i := range a.NumField() {
				if a.Type().Field(i).IsExported() {
					add(a.Field(i), b.Field(i))
				}
			}
			for i := range a.NumMethod() {
				if m := a.Method(i); m.Type().NumIn() == 0 && m.Type().NumOut() == 1 {
					add(m.Call(nil)[0], b.Method(i).Call(nil)[0])
				}
			}
		}
	}
	add(reflect.ValueOf(d), reflect.ValueOf(benign))
	return out
}

// checkParsedValues parses the generated YAML and JSON and finds the hostile
// values intact where they belong.
func checkParsedValues(t *testing.T, files Files, d Data) {
	t.Helper()
	var pkg struct{ Name, Description string }
	f, _ := files.Get("package.json")
	if err := json.Unmarshal(f.Content, &pkg); err != nil || pkg.Name != d.Name || pkg.Description != d.Description {
		t.Errorf("package.json: name %q description %q (err %v), want %q %q", pkg.Name, pkg.Description, err, d.Name, d.Description)
	}
	var m Manifest
	f, _ = files.Get(ManifestPath)
	if err := json.Unmarshal(f.Content, &m); err != nil || m.Answers.Name != d.Name || m.StreamgenVersion != d.Version {
		t.Errorf(".streamgen.json: %+v (err %v)", m, err)
	}
	if f, ok := files.Get("template.yaml"); ok {
		var doc struct {
			Description string `yaml:"Description"`
			Resources   map[string]struct {
				Properties struct {
					Description string `yaml:"Description"`
				} `yaml:"Properties"`
			} `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(f.Content, &doc); err != nil {
			t.Errorf("template.yaml does not parse: %v", err)
			return
		}
		if doc.Description != d.Description || doc.Resources["StreamFunction"].Properties.Description != d.Description {
			t.Errorf("template.yaml descriptions %q / %q, want %q", doc.Description, doc.Resources["StreamFunction"].Properties.Description, d.Description)
		}
	}
}

func TestRenderIsDeterministicAndComplete(t *testing.T) {
	a, err := Render(Options{Name: "demo", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Render(Options{Name: "demo", Version: "1.0.0"})
	if len(a) != len(b) {
		t.Fatal("renders differ in length")
	}
	for i := range a {
		if a[i].Path != b[i].Path || string(a[i].Content) != string(b[i].Content) {
			t.Errorf("render is not deterministic at %s", a[i].Path)
		}
		if a[i].Mode != 0o644 {
			t.Errorf("%s: mode %v, want 0644", a[i].Path, a[i].Mode)
		}
	}
	for _, p := range []string{".gitignore", ".streamgen.json", "README.md", "package.json", "src/index.mjs", "src/streamify.mjs", "template.yaml", "events/sample.json"} {
		if _, ok := a.Get(p); !ok {
			t.Errorf("SAM project lacks %s", p)
		}
	}
	cdk, err := Render(Options{Name: "demo", IaC: "cdk"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"cdk.json", "tsconfig.json", "bin/app.ts", "lib/stack.ts"} {
		if _, ok := cdk.Get(p); !ok {
			t.Errorf("CDK project lacks %s", p)
		}
	}
	if _, ok := cdk.Get("template.yaml"); ok {
		t.Error("CDK project has a SAM template")
	}
}

func TestRenderRejectsInvalidOptions(t *testing.T) {
	files, err := Render(Options{Name: "Bad Name", Memory: 1})
	if err == nil || files != nil {
		t.Fatalf("Render = %v, %v; want no files and an error", files, err)
	}
	for _, want := range []string{`invalid NAME "Bad Name"`, `invalid --memory "1"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// The openai provider takes its base URL as OpenAI's SDKs do
// (OPENAI_BASE_URL): the handler appends /chat/completions to it, so a base
// that does not end in /v1 (Gemini's) is reachable too.
func TestOpenAIBaseURLs(t *testing.T) {
	for base, want := range map[string]string{
		"":                           "https://api.openai.com/v1",
		"https://api.openai.com/v1":  "https://api.openai.com/v1",
		"https://api.openai.com/v1/": "https://api.openai.com/v1",
		"https://generativelanguage.googleapis.com/v1beta/openai": "https://generativelanguage.googleapis.com/v1beta/openai",
		"http://localhost:11434/v1":                               "http://localhost:11434/v1",
	} {
		set := map[string]string{"provider": "openai"}
		if base != "" {
			set["baseUrl"] = base
		}
		files, err := Render(Options{Name: "demo", Template: "llm-stream", Set: set})
		if err != nil {
			t.Errorf("baseUrl %q: %v", base, err)
			continue
		}
		tmpl, _ := files.Get("template.yaml")
		if !regexp.MustCompile(`BASE_URL: "?` + regexp.QuoteMeta(want) + `"?\n`).Match(tmpl.Content) {
			t.Errorf("baseUrl %q: template.yaml does not set BASE_URL to %s", base, want)
		}
	}
	for base, reason := range map[string]string{
		"https://api.openai.com/v1/chat/completions": "appends /chat/completions itself",
		"https://api.openai.com":                     "OpenAI's API is served under /v1",
		"http://api.example.com/v1":                  "unencrypted",
		"https://api.example.com/v1?x=1":             "query or fragment",
	} {
		_, err := Render(Options{Name: "demo", Template: "llm-stream", Set: map[string]string{"provider": "openai", "baseUrl": base}})
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("baseUrl %q: error %v, want one saying %q", base, err, reason)
		}
	}
}

var hashRE = regexp.MustCompile(`"[0-9a-f]{64}"`)

// The base archive holds every file byte for byte, including a line that
// reads as a txtar file marker and content without a final newline.
func TestBaseArchiveRoundTrips(t *testing.T) {
	files := Files{
		{Path: "plain.txt", Content: []byte("one\ntwo\n")},
		{Path: "db/schema.sql", Content: []byte("create table t;\n-- seed data --\ninsert;\n")},
		{Path: "bin/blob", Content: []byte{0, 1, 2, 0xff}},
		{Path: "no-newline.txt", Content: []byte("end")},
		{Path: "empty.txt", Content: nil},
		{Path: "odd (base64)", Content: []byte("x\n")},
	}
	got := ParseBase(baseArchive(files))
	if len(got) != len(files) {
		t.Fatalf("%d files back, want %d: %v", len(got), len(files), got)
	}
	for _, f := range files {
		if !bytes.Equal(got[f.Path], f.Content) {
			t.Errorf("%s: got %q, want %q", f.Path, got[f.Path], f.Content)
		}
	}
}

// Rendered files are the caller's: changing them does not change what the
// next render gives.
func TestRenderedFilesAreCopies(t *testing.T) {
	opts := Options{Name: "copies", Template: "echo"}
	first, err := Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, f := range first {
		want[f.Path] = string(f.Content)
		for i := range f.Content {
			f.Content[i] = 'X'
		}
	}
	again, err := Render(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again {
		if string(f.Content) != want[f.Path] {
			t.Errorf("%s changed after the caller wrote into an earlier render's copy", f.Path)
		}
	}
}
