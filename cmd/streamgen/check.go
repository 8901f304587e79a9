package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/streamgen/streamgen/check"
)

func (a *app) checkCommand() *cobra.Command {
	var (
		format  string
		rules   []string
		skip    []string
		explain string
	)
	cmd := &cobra.Command{
		Use:   "check [DIR]",
		Short: "Find what breaks Lambda response streaming in a project, generated or not",
		Long: `Check a Lambda response streaming project for the mistakes that break
streaming in production: a SAM or CloudFormation template (template.yaml,
.yml or .json), a CDK app's synthesized cdk.out/*.template.json (run cdk
synth first), or a Serverless Framework serverless.yml, and the handler
sources each function points at (.js, .mjs, .cjs, .ts), read with a
JavaScript and TypeScript parser.

streamgen check --explain all lists the rules; --explain ID explains one.
Suppress a finding, with a reason, by a comment on its line or the line
before (// streamgen-check-ignore ID reason) or a resource's Metadata
(streamgen-check-ignore: {ID: reason}); one without a reason is reported.

Output: --format text (file:line: ID severity: message), json
({"findings": [...]}) or sarif (SARIF 2.1.0, for GitHub code scanning).

Exit codes: 0 no finding of error severity, 1 findings of error severity,
2 usage.`,
		Example: `  streamgen check
  streamgen check ./my-stream --format sarif > streamgen.sarif
  streamgen check --skip SG011
  streamgen check --explain SG013`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("explain") {
				return a.explain(explain)
			}
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			switch format {
			case "text", "json", "sarif":
			default:
				return usagef("--format %q: choose text, json or sarif", format)
			}
			report, err := check.Run(dir, check.Options{Rules: rules, Skip: skip, Context: a.ctx})
			if errors.Is(err, context.Canceled) {
				return err
			}
			if err != nil {
				return usagef("%v", err)
			}
			// Paths relative to where the command runs, so that output
			// from `check services/orders` names files an editor (or code
			// scanning, from the repository root) finds.
			report.Rebase(checkPrefix(dir))
			switch format {
			case "json":
				err = report.WriteJSON(a.stdout)
			case "sarif":
				err = report.WriteSARIF(a.stdout, streamgenVersion())
			default:
				err = report.WriteText(a.stdout)
				if err == nil && len(report.Findings) == 0 {
					fmt.Fprintf(a.stderr, "streamgen check: no findings in %s (%d files read)\n", displayDir(dir), len(report.Checked))
				}
			}
			if err != nil {
				return failure{err}
			}
			if report.Failed() {
				return failure{fmt.Errorf("findings of error severity in %s", displayDir(dir))}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	f.StringVar(&format, "format", "text", "output: text, json or sarif")
	f.StringArrayVar(&rules, "rule", nil, "run only this rule (id or name), repeatable")
	f.StringArrayVar(&skip, "skip", nil, "do not run this rule (id or name), repeatable")
	f.StringVar(&explain, "explain", "", "explain a rule (id or name); --explain all lists every rule")
	return cmd
}

// checkPrefix is what goes before the paths check reports, relative to
// dir: dir as given, relative to the working directory when it is inside
// it, else absolute.
func checkPrefix(dir string) string {
	if !filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, dir); err == nil && filepath.IsLocal(rel) {
			return rel
		}
	}
	return filepath.Clean(dir)
}

// explain prints one rule's explanation, or the list of rules.
func (a *app) explain(id string) error {
	if id == "all" {
		for _, r := range check.Rules {
			fmt.Fprintf(a.stdout, "%s %-32s %-7s %s\n", r.ID, r.Name, r.Severity, r.Title)
		}
		return nil
	}
	r, ok := check.LookupRule(id)
	if !ok {
		return usagef("--explain %q: no such rule; streamgen check --explain all lists them", id)
	}
	fmt.Fprintf(a.stdout, "%s %s (%s)\n%s.\n\n%s\n", r.ID, r.Name, r.Severity, strings.ToUpper(r.Title[:1])+r.Title[1:], r.Explain)
	return nil
}
