package check

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"
)

// WriteText writes one line per finding: file:line: ID severity: message.
func (r *Report) WriteText(w io.Writer) error {
	for _, f := range r.Findings {
		if _, err := fmt.Fprintf(w, "%s:%d: %s %s: %s\n", f.File, f.Line, f.Rule, f.Severity, oneLine(f.Message)); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes {"findings": [...]}.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	findings := r.Findings
	if findings == nil {
		findings = []Finding{}
	}
	return enc.Encode(map[string]any{"findings": findings})
}

// WriteSARIF writes a SARIF 2.1.0 log, as GitHub code scanning takes it.
func (r *Report) WriteSARIF(w io.Writer, version string) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string         `json:"id"`
		Name             string         `json:"name"`
		ShortDescription msg            `json:"shortDescription"`
		FullDescription  msg            `json:"fullDescription"`
		Help             msg            `json:"help"`
		DefaultConfig    map[string]any `json:"defaultConfiguration"`
	}
	var rules []rule
	index := map[string]int{}
	for i, r := range Rules {
		index[r.ID] = i
		rules = append(rules, rule{ID: r.ID, Name: r.Name, ShortDescription: msg{r.Title}, FullDescription: msg{r.Explain},
			Help: msg{r.Explain}, DefaultConfig: map[string]any{"level": string(r.Severity)}})
	}
	results := []map[string]any{}
	for _, f := range r.Findings {
		results = append(results, map[string]any{
			"ruleId":    f.Rule,
			"ruleIndex": index[f.Rule],
			"level":     string(f.Severity),
			"message":   msg{f.Message},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": artifact(f.File),
				"region":           map[string]any{"startLine": f.Line, "startColumn": f.Column},
			}}},
		})
	}
	log := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "streamgen check", "version": version, "informationUri": "https://github.com/streamgen/streamgen",
				"rules": rules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// Rebase puts prefix (a directory, in the OS's form) before every
// finding's file, which is relative to the directory checked: reports then
// name files relative to where prefix is relative to.
func (r *Report) Rebase(prefix string) {
	prefix = filepath.ToSlash(prefix)
	if prefix == "" || prefix == "." {
		return
	}
	for i := range r.Findings {
		r.Findings[i].File = path.Join(prefix, r.Findings[i].File)
	}
}

// artifact is a SARIF artifactLocation: relative to the checkout
// (%SRCROOT%), or a file URI for an absolute path.
func artifact(file string) map[string]any {
	if path.IsAbs(file) {
		return map[string]any{"uri": (&url.URL{Scheme: "file", Path: file}).String()}
	}
	return map[string]any{"uri": file, "uriBaseId": "%SRCROOT%"}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
