// Package check finds what breaks Lambda response streaming in a project,
// whether streamgen generated it or not: a SAM or CloudFormation template,
// a CDK app's synthesized cdk.out, or a Serverless Framework
// serverless.yml, and the handler sources each function points at, read
// with a real JavaScript and TypeScript parser (tree-sitter). Rules lists
// the checks; Run runs them over a directory.
//
// A finding is suppressed, with a reason, by a source comment on its line
// or the line before,
//
//	// streamgen-check-ignore SG016 the loop writes three short lines
//
// or, for a resource, by its Metadata:
//
//	Metadata:
//	  streamgen-check-ignore:
//	    SG008: the client gives up after 2 s anyway
package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Finding is one problem check found.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"` // relative to the directory checked, slash-separated
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Message  string   `json:"message"`
}

// Options say which rules run.
type Options struct {
	// Context, when set, stops a run early when it is done (Ctrl-C);
	// Run then returns its error.
	Context context.Context
	// Rules, when not empty, are the only rules that run (ids or names).
	Rules []string
	// Skip are rules that do not run.
	Skip []string
}

// Report is the result of a run.
type Report struct {
	Dir      string    `json:"-"`
	Findings []Finding `json:"findings"`
	// Checked lists the files read, for the text summary.
	Checked []string `json:"-"`
}

// Failed reports whether a finding of error severity was found.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity == Error })
}

// Limits on what check reads.
const (
	maxTemplateBytes = 16 << 20
	maxSourceBytes   = 4 << 20
	maxSourceFiles   = 200
)

// checker holds a run's state.
type checker struct {
	dir      string
	enabled  map[string]bool
	findings []Finding
	checked  []string
	// suppress holds, per file, the suppressions of its comments: line ->
	// rule -> reason.
	suppress map[string]map[int]map[string]string
	sources  map[string]*sourceFile
	ctx      context.Context
	// exportVisits counts the modules re-export lookups visited.
	exportVisits int
}

// stopped reports whether the run was cancelled.
func (c *checker) stopped() bool { return c.ctx.Err() != nil }

// Run checks the project in dir.
func Run(dir string, o Options) (*Report, error) {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %v; pass a project directory", quote(dir), errors.Unwrap(err))
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a directory; pass the project's directory", quote(dir))
	}
	c := &checker{dir: dir, enabled: map[string]bool{}, suppress: map[string]map[int]map[string]string{}, sources: map[string]*sourceFile{}, ctx: cmp.Or(o.Context, context.Background())}
	for _, r := range Rules {
		c.enabled[r.ID] = len(o.Rules) == 0
	}
	for _, s := range o.Rules {
		r, ok := LookupRule(s)
		if !ok {
			return nil, fmt.Errorf("--rule %s: no such rule; streamgen check --explain all lists them", quote(s))
		}
		c.enabled[r.ID] = true
	}
	for _, s := range o.Skip {
		r, ok := LookupRule(s)
		if !ok {
			return nil, fmt.Errorf("--skip %s: no such rule; streamgen check --explain all lists them", quote(s))
		}
		c.enabled[r.ID] = false
	}

	var fns []*function
	found := false
	for _, name := range []string{"template.yaml", "template.yml", "template.json"} {
		if fileExists(filepath.Join(dir, name)) {
			found = true
			fns = append(fns, c.readTemplate(name, false)...)
		}
	}
	if matches := cdkTemplates(dir); len(matches) > 0 {
		found = true
		for _, m := range matches {
			fns = append(fns, c.readTemplate(m, true)...)
		}
	} else if fileExists(filepath.Join(dir, "cdk.json")) {
		found = true
		c.add(Finding{Rule: "SG000", Severity: Note, File: "cdk.json", Line: 1, Column: 1,
			Message: "a CDK app without cdk.out: run `npx cdk synth` first, so check can read the synthesized templates"})
	}
	for _, name := range []string{"serverless.yml", "serverless.yaml"} {
		if fileExists(filepath.Join(dir, name)) {
			found = true
			fns = append(fns, c.readServerless(name)...)
		}
	}
	if !found {
		return nil, fmt.Errorf("%s has no template.yaml, template.json, cdk.out or serverless.yml: nothing to check; pass the directory of a SAM, CloudFormation, CDK or Serverless Framework project", quote(dir))
	}
	for _, fn := range fns {
		if c.stopped() {
			break
		}
		c.checkFunction(fn)
	}
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}

	// Suppressions: a source comment on the finding's line or the one
	// before it, or the resource's Metadata (already applied).
	var kept []Finding
	for _, f := range c.findings {
		if lines, ok := c.suppress[f.File]; ok && f.Rule != "SG020" {
			if _, ok := lines[f.Line][f.Rule]; ok {
				continue
			}
			if _, ok := lines[f.Line-1][f.Rule]; ok {
				continue
			}
		}
		kept = append(kept, f)
	}
	slices.SortStableFunc(kept, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), a.Line-b.Line, a.Column-b.Column, strings.Compare(a.Rule, b.Rule))
	})
	kept = slices.CompactFunc(kept, func(a, b Finding) bool { return a == b })
	return &Report{Dir: dir, Findings: kept, Checked: c.checked}, nil
}

// cdkTemplates lists the synthesized templates in dir's cdk.out: the
// app's own, and those of its stages' nested assemblies (assembly-NAME/,
// as CDK Pipelines and Stages write them), relative to dir.
func cdkTemplates(dir string) []string {
	var out []string
	for _, pattern := range []string{"cdk.out/*.template.json", "cdk.out/assembly-*/*.template.json", "cdk.out/assembly-*/assembly-*/*.template.json"} {
		matches, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
		for _, m := range matches {
			rel, _ := filepath.Rel(dir, m)
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out
}

// add records a finding of an enabled rule; the rule's severity applies
// unless the finding has its own.
func (c *checker) add(f Finding) {
	if !c.enabled[f.Rule] {
		return
	}
	if f.Severity == "" {
		f.Severity = rule(f.Rule).Severity
	}
	f.Line, f.Column = max(f.Line, 1), max(f.Column, 1)
	c.findings = append(c.findings, f)
}

// readLimited reads a file of the project, refusing what is too large,
// not a regular file, or (through a link loop) unreadable; problems are
// SG000 findings, and nil is returned.
func (c *checker) readLimited(rel string, limit int64) []byte {
	p := filepath.Join(c.dir, filepath.FromSlash(rel))
	info, err := os.Stat(p)
	if err != nil {
		c.add(Finding{Rule: "SG000", File: rel, Message: fmt.Sprintf("cannot read %s: %v", rel, unwrapPath(err))})
		return nil
	}
	if !info.Mode().IsRegular() {
		c.add(Finding{Rule: "SG000", File: rel, Message: rel + " is not a regular file"})
		return nil
	}
	if info.Size() > limit {
		c.add(Finding{Rule: "SG000", File: rel, Message: fmt.Sprintf("%s is %d MB, over the %d MB check reads; it was not checked", rel, info.Size()>>20, limit>>20)})
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		c.add(Finding{Rule: "SG000", File: rel, Message: fmt.Sprintf("cannot read %s: %v", rel, unwrapPath(err))})
		return nil
	}
	c.checked = append(c.checked, rel)
	return b
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
