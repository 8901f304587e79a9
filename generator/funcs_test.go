package generator

import (
	"bytes"
	"encoding/json"
	"html"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"go.yaml.in/yaml/v3"
)

// hostile are values chosen to break out of each context an encoder serves.
var hostile = []string{
	"demo\n    Policies: AdministratorAccess",
	`x";process.exit(1)//`,
	`x';process.exit(1)//`,
	"x`+process.exit(1)+`",
	"${process.exit(1)}",
	"'; rm -rf / #",
	"$(id) `id` $HOME",
	"</script><script>alert(1)</script>",
	"<!-- comment",
	"line\u2028separator\u2029paragraph",
	"# heading",
	"[link](javascript:alert(1))",
	"*bold* _em_ **strong**",
	"a\\b\\\\c",
	`"quoted" and 'single'`,
	"key: value",
	"- item",
	"{{.Name}}",
	"null",
	"true",
	"0x1F",
	"~",
	"&anchor *alias !Ref X",
	"%TAG ! tag:",
	"---",
	"...",
	"tab\there",
	"cr\rlf\r\n",
	"nul\x00byte",
	"esc\x1b[31mred",
	"é 日本 😀",
	"",
	" leading and trailing ",
	"-n",
	"=x",
	"| table |",
	"```",
	"`",
	"1. first",
	"2) second",
	"+ plus",
	"> quote",
	"===",
	"    indented",
	"<https://example.com>",
	"&amp; &#60;",
	"~~strike~~",
	"![img](x.png)",
	"a_b_c",
	"1.5 release",
	"## two",
	"#hashtag",
	"- - -",
	"= =",
}

func TestYAMLStringRoundTrips(t *testing.T) {
	for _, s := range hostile {
		doc := "before: 1\nkey: " + yamlString(s) + "\nafter: 2\n"
		var got map[string]any
		if err := yaml.Unmarshal([]byte(doc), &got); err != nil {
			t.Errorf("yamlString(%q) breaks the document: %v\n%s", s, err, doc)
			continue
		}
		if len(got) != 3 || got["key"] != s || got["before"] != 1 || got["after"] != 2 {
			t.Errorf("yamlString(%q) changed the document: %#v", s, got)
		}
	}
}

func TestJSONValueRoundTrips(t *testing.T) {
	for _, s := range hostile {
		v, err := jsonValue(s)
		if err != nil {
			t.Fatal(err)
		}
		doc := `{"before": 1, "key": ` + v + `, "after": 2}`
		var got map[string]any
		if err := json.Unmarshal([]byte(doc), &got); err != nil {
			t.Errorf("jsonValue(%q) breaks the document: %v", s, err)
			continue
		}
		if len(got) != 3 || got["key"] != s {
			t.Errorf("jsonValue(%q) changed the document: %#v", s, got)
		}
	}
}

// TestJSStringRoundTrips evaluates the literals with Node.js itself: each
// must parse as one string expression equal to the input, and the module
// must run to its end (a literal that escaped would call process.exit).
func TestJSStringRoundTrips(t *testing.T) {
	node := requireTool(t, "node")
	var src strings.Builder
	src.WriteString("const values = [\n")
	for _, s := range hostile {
		src.WriteString("  " + jsString(s) + ",\n")
	}
	src.WriteString("];\nprocess.stdout.write(JSON.stringify({values, done: true}));\n")
	cmd := exec.Command(node, "--input-type=module", "-")
	cmd.Stdin = strings.NewReader(src.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node rejected the literals: %v\n%s", err, src.String())
	}
	var got struct {
		Values []string
		Done   bool
	}
	if err := json.Unmarshal(out, &got); err != nil || !got.Done {
		t.Fatalf("node output %q: %v", out, err)
	}
	for i, s := range hostile {
		if got.Values[i] != s {
			t.Errorf("jsString(%q) evaluates to %q", s, got.Values[i])
		}
	}
}

// TestShellWordRoundTrips passes the words through a real shell: each must
// arrive as exactly one argument, unchanged, with nothing executed.
func TestShellWordRoundTrips(t *testing.T) {
	bash := requireTool(t, "bash")
	var script strings.Builder
	script.WriteString("printf '%s\\0'")
	var values []string
	for _, s := range hostile {
		if strings.ContainsRune(s, 0) {
			continue // no shell can pass a NUL in an argument
		}
		values = append(values, s)
		script.WriteString(" " + shellWord(s))
	}
	out, err := exec.Command(bash, "-c", script.String()).Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, script.String())
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(values) {
		t.Fatalf("got %d arguments, want %d: %q", len(got), len(values), got)
	}
	for i, s := range values {
		if got[i] != s {
			t.Errorf("shellWord(%q) arrived as %q", s, got[i])
		}
	}
	if shellWord("demo") != "demo" || shellWord("my-app.v2") != "my-app.v2" {
		t.Error("plain words should stay unquoted")
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// TestMarkdownTextRoundTrips renders escaped values with a CommonMark parser:
// each must come out as one plain paragraph whose text is the input (line
// breaks become spaces), with no element other than <p>.
func TestMarkdownTextRoundTrips(t *testing.T) {
	for _, s := range hostile {
		if strings.ContainsAny(s, "\x00\r\x1b") || strings.TrimSpace(s) != s || s == "" {
			continue // not Markdown-representable as-is; validation rejects these
		}
		// Mid-line, and alone at the start of a line where block syntax
		// (headings, lists, quotes) could act.
		for _, doc := range []struct{ before, after string }{{"Before. ", " After."}, {"", ""}, {"Text\n", ""}} {
			var buf bytes.Buffer
			if err := goldmark.Convert([]byte(doc.before+markdownText(s)+doc.after), &buf); err != nil {
				t.Fatal(err)
			}
			out := strings.TrimSpace(buf.String())
			if !strings.HasPrefix(out, "<p>") || strings.Count(out, "<") != 2 {
				t.Errorf("markdownText(%q) produced markup: %s", s, out)
				continue
			}
			text := html.UnescapeString(tagRE.ReplaceAllString(out, ""))
			want := doc.before + strings.ReplaceAll(s, "\n", " ") + doc.after
			if text != want {
				t.Errorf("markdownText(%q) reads as %q, want %q", s, text, want)
			}
		}
	}
}

func TestMarkdownCodeRoundTrips(t *testing.T) {
	for _, s := range hostile {
		if strings.ContainsAny(s, "\x00\r\n") || strings.TrimSpace(s) != s || s == "" {
			continue
		}
		var buf bytes.Buffer
		if err := goldmark.Convert([]byte("Run "+markdownCode(s)+" now."), &buf); err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSpace(buf.String())
		m := regexp.MustCompile(`^<p>Run <code>(.*)</code> now\.</p>$`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("markdownCode(%q) is not one code span: %s", s, out)
			continue
		}
		if got := html.UnescapeString(m[1]); got != s {
			t.Errorf("markdownCode(%q) reads as %q", s, got)
		}
	}
}

func TestMarkdownTextLeavesPlainTextAlone(t *testing.T) {
	for in, want := range map[string]string{
		"echo-sam":       "echo-sam",
		"0.0.0-golden":   "0.0.0-golden",
		"Streams (a) b.": "Streams (a) b.",
		"1. first":       "1\\. first",
		"# heading":      "\\# heading",
		"- item":         "\\- item",
		"---":            "\\---",
		"a*b*":           "a\\*b\\*",
		"<script>":       "\\<script\\>",
	} {
		if got := markdownText(in); got != want {
			t.Errorf("markdownText(%q) = %q, want %q", in, got, want)
		}
	}
}

func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH; this test checks encoders against the real %s", name, name)
	}
	return p
}

func TestNagName(t *testing.T) {
	for in, want := range map[string]string{
		"arn:${AWS::Partition}:s3:::bucket/public/*":            "arn:<AWS::Partition>:s3:::bucket/public/*",
		"${ProxyBucket.Arn}/*":                                  "<ProxyBucket.Arn>/*",
		"arn:${AWS::Partition}:bedrock:*::foundation-model/m:0": "arn:<AWS::Partition>:bedrock:*::foundation-model/m:0",
		"no variables": "no variables",
	} {
		if got := nagName(in); got != want {
			t.Errorf("nagName(%q) = %q, want %q", in, got, want)
		}
	}
}
