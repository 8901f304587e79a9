package check

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/streamgen/streamgen/internal/testtools"
)

// findingsReport is a report with findings of several rules.
func findingsReport(t *testing.T) *Report {
	t.Helper()
	dir := writeProject(t, handlerBody("  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-length': '5' } });\n  stream.end();\n"))
	rep, err := Run(dir, Options{})
	if err != nil || len(rep.Findings) != 2 {
		t.Fatalf("%v%s", err, describe(rep.Findings))
	}
	return rep
}

// The SARIF log is valid SARIF 2.1.0, checked against the OASIS schema.
func TestSARIF(t *testing.T) {
	schemaFile := testtools.SARIFSchema(t)
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, rep := range []*Report{findingsReport(t), {}} {
		var buf bytes.Buffer
		if err := rep.WriteSARIF(&buf, "1.2.3"); err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("the SARIF log is not valid SARIF 2.1.0: %v\n%s", err, buf.String())
		}
		var log struct {
			Runs []struct {
				Tool struct {
					Driver struct{ Rules []struct{ ID string } }
				}
				Results []struct {
					RuleID    string
					Level     string
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string }
							Region           struct{ StartLine int }
						}
					}
				}
			}
		}
		json.Unmarshal(buf.Bytes(), &log)
		if len(log.Runs) != 1 || len(log.Runs[0].Tool.Driver.Rules) != len(Rules) || len(log.Runs[0].Results) != len(rep.Findings) {
			t.Errorf("runs %d, rules, results: %+v", len(log.Runs), log)
		}
		for i, r := range log.Runs[0].Results {
			f := rep.Findings[i]
			loc := r.Locations[0].PhysicalLocation
			if r.RuleID != f.Rule || r.Level != string(f.Severity) || loc.ArtifactLocation.URI != f.File || loc.Region.StartLine != f.Line {
				t.Errorf("result %d: %+v, want %+v", i, r, f)
			}
		}
	}
}

func TestTextAndJSON(t *testing.T) {
	rep := findingsReport(t)
	var text bytes.Buffer
	rep.WriteText(&text)
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "src/index.mjs:2: SG018 error: ") || !strings.HasPrefix(lines[1], "src/index.mjs:3: SG013 error: ") {
		t.Errorf("text:\n%s", text.String())
	}
	var js bytes.Buffer
	rep.WriteJSON(&js)
	var out struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(js.Bytes(), &out); err != nil || len(out.Findings) != 2 {
		t.Fatalf("%v %s", err, js.String())
	}
	for _, k := range []string{"rule", "severity", "file", "line", "column", "message"} {
		if _, ok := out.Findings[0][k]; !ok {
			t.Errorf("a JSON finding has no %s: %v", k, out.Findings[0])
		}
	}
	var empty bytes.Buffer
	(&Report{}).WriteJSON(&empty)
	if !strings.Contains(empty.String(), `"findings": []`) {
		t.Errorf("no findings: %s", empty.String())
	}
}
