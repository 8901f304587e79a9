package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/upgrade"
)

// conflictsLeft is the result of an upgrade that left conflicts: exit 3.
type conflictsLeft struct{ files []string }

func (c conflictsLeft) Error() string {
	return fmt.Sprintf("the upgrade left conflicts in %s: resolve the marked lines (or take what you need from FILE%s and remove it), then run streamgen upgrade again", strings.Join(c.files, ", "), upgrade.Sidecar)
}

type upgradeFlags struct {
	answers    newFlags
	dir        string
	dryRun     bool
	jsonOut    bool
	allowDirty bool
	check      bool
}

func (a *app) upgradeCommand() *cobra.Command {
	uf := upgradeFlags{answers: newFlags{params: map[string]*string{}}}
	nf := &uf.answers
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Bring a generated project up to date with the current templates, keeping your edits",
		Long: `Render the project in --dir again from its .streamgen.json, with this
streamgen's templates and any answers changed by flags, and merge the
result into the working tree.

The base is exact: .streamgen.json records the SHA-256 of each file as
generated, and .streamgen/base.txtar the files themselves. Per file:
  - you have not changed it: the new version is taken;
  - the templates have not changed it: yours stays;
  - both changed it: a line-level three-way merge (git merge-file --diff3's),
    with markers where the edits overlap:
        <<<<<<< yours / ||||||| streamgen OLD / ======= / >>>>>>> streamgen NEW
  - its base is missing or does not match its hash, it is binary, or you
    have your own file where the templates now add one: yours stays and the
    new one is written beside it as FILE.streamgen-new (a conflict);
  - the templates removed it: deleted if you had not changed it, else kept;
  - you deleted it: it stays deleted.
.streamgen.json and the base are rewritten. While conflicts are left,
.streamgen.json lists them and the next upgrade refuses until the markers
are gone and the FILE.streamgen-new files removed.

Answers change with the flags of new: --memory 1024, --auth none, --front
rest-api, --set corsOrigins=..., and so on. Answers older streamgens
recorded differently are migrated first (a baseUrl without /v1 gains it).

In a git work tree with uncommitted changes it refuses unless --allow-dirty.
Writes are staged, so an error or Ctrl-C leaves nothing half done; no path
leaves the project and no symbolic link is followed.

--dry-run prints the plan and unified diffs and writes nothing; --json
prints the plan or result as JSON; --check writes nothing and exits 0 when
the project is current, 1 when an upgrade would change something.

Exit codes: 0 merged cleanly (or current), 1 failed (with --check: an
upgrade would change something), 2 usage, 3 conflicts left to resolve,
130 interrupted.`,
		Example: `  streamgen upgrade --dry-run
  streamgen upgrade
  streamgen upgrade --memory 1024 --front rest-api
  streamgen upgrade --check --dir services/orders   # in CI, across repositories`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			nf.emptied = explicitZeroes(cmd.Flags(), nf.opts)
			nf.changed = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { nf.changed[f.Name] = true })
			return a.runUpgrade(uf)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	f.StringVar(&uf.dir, "dir", ".", "the project directory (where .streamgen.json is)")
	f.StringVar(&nf.opts.IaC, "iac", "", "change the infrastructure as code: "+strings.Join(generator.IaCChoices, " or "))
	f.StringVar(&nf.opts.Runtime, "runtime", "", "change the Lambda runtime: "+strings.Join(generator.RuntimeChoices, " or "))
	f.StringVar(&nf.opts.Arch, "arch", "", "change the architecture: "+strings.Join(generator.ArchChoices, " or "))
	f.IntVar(&nf.opts.Memory, "memory", 0, fmt.Sprintf("change the memory in MB, %d-%d", generator.MinMemory, generator.MaxMemory))
	f.IntVar(&nf.opts.Timeout, "timeout", 0, fmt.Sprintf("change the timeout in seconds, %d-%d", generator.MinTimeout, generator.MaxTimeout))
	f.StringVar(&nf.opts.Front, "front", "", "change the front end: url or rest-api")
	f.StringVar(&nf.opts.Auth, "auth", "", "change the auth: iam or none; with rest-api also api-key or cognito")
	f.StringVar(&nf.opts.Stage, "stage", "", "change the REST API's stage")
	f.StringVar(&nf.opts.UserPoolARN, "user-pool-arn", "", "change the Cognito user pool (--auth cognito)")
	f.StringArrayVar(&nf.sets, "set", nil, "change a template parameter KEY=VALUE, repeatable")
	f.StringVar(&nf.templateDir, "template-dir", "", "the template directory the project was generated from, for a custom or patched template")
	f.StringVar(&nf.house, "house", "", "a house policy file that replaces the recorded one")
	f.BoolVar(&uf.dryRun, "dry-run", false, "print the plan and the diffs, and write nothing")
	f.BoolVar(&uf.jsonOut, "json", false, "print the plan or result as JSON on stdout")
	f.BoolVar(&uf.allowDirty, "allow-dirty", false, "upgrade a git work tree that has uncommitted changes")
	f.BoolVar(&uf.check, "check", false, "write nothing; exit 0 when the project is current, 1 when an upgrade would change something")
	f.SortFlags = false
	// The template parameters' own flags (--bucket, --model, ...), as new
	// has them, once the templates are read.
	prev := a.templateFlags
	a.templateFlags = func() {
		prev()
		flags, _, help := paramFlags()
		for _, name := range flags {
			nf.params[name] = f.String(name, "", "change this parameter; same as --set; "+strings.Join(help[name], "; "))
		}
	}
	return cmd
}

func (a *app) runUpgrade(uf upgradeFlags) error {
	nf := uf.answers
	if uf.jsonOut {
		a.jsonErrors = true
	}
	if len(nf.emptied) > 0 {
		return errors.Join(nf.emptied...)
	}
	if uf.check && uf.dryRun {
		return usagef("--check and --dry-run both preview; pass one of them")
	}
	src, err := loadSource(nf.templateDir)
	if err != nil {
		return err
	}
	var dropped []string
	opts := upgrade.Options{
		Dir: uf.dir, Source: src, Version: streamgenVersion(), AllowDirty: uf.allowDirty || uf.check || uf.dryRun,
		Change: func(o *generator.Options) error {
			before := *o
			given := map[string]bool{}
			if err := applyAnswerFlags(nf, o, given); err != nil {
				return err
			}
			// Answers that only the old front end or auth takes go with it.
			if o.Front != before.Front && o.Front != generator.FrontRestAPI {
				o.Stage = ""
			}
			if o.Auth != generator.AuthCognito && !nf.changed["user-pool-arn"] {
				o.UserPoolARN = ""
			}
			dropped = dropParams(src, o, given)
			return nil
		},
	}
	plan, err := upgrade.Prepare(a.ctx, opts)
	for _, d := range dropped {
		fmt.Fprintf(a.stderr, "streamgen: note: %s\n", generator.SanitizeMessage(d))
	}
	if err != nil {
		var ue *upgrade.Error
		if errors.As(err, &ue) {
			return failure{err}
		}
		return classify(err)
	}
	if uf.check {
		if uf.jsonOut {
			code := exitOK
			if !plan.Current() {
				code = exitFailed
			}
			if err := a.printUpgradeJSON(code, map[string]any{"current": plan.Current(), "plan": plan}); err != nil {
				return err
			}
		} else if plan.Current() {
			fmt.Fprintf(a.stdout, "%s is current\n", displayDir(uf.dir))
		} else {
			a.printPlan(plan, false)
		}
		if !plan.Current() {
			return failure{fmt.Errorf("%s is not current: streamgen upgrade would change it", displayDir(uf.dir))}
		}
		return nil
	}
	if uf.dryRun {
		if uf.jsonOut {
			return a.printUpgradeJSON(exitOK, map[string]any{"dryRun": true, "current": plan.Current(), "plan": plan})
		}
		a.printPlan(plan, true)
		fmt.Fprintln(a.stdout, "Dry run: nothing was written.")
		return nil
	}
	// A Ctrl-C before the final renames cancels a.ctx, and nothing is
	// written; the renames themselves are not cut in two.
	res, err := plan.Apply(a.ctx)
	if err != nil {
		return classify(err)
	}
	if uf.jsonOut {
		code := exitOK
		if len(plan.Conflicts) > 0 {
			code = exitConflicts
		}
		if err := a.printUpgradeJSON(code, map[string]any{"current": plan.Current(), "plan": plan, "written": res}); err != nil {
			return err
		}
	} else {
		a.printPlan(plan, false)
		switch {
		case plan.Current():
			fmt.Fprintf(a.stdout, "%s is current: nothing to change.\n", displayDir(uf.dir))
		case len(plan.Conflicts) == 0:
			fmt.Fprintf(a.stdout, "Upgraded %s: %d files written, %d removed, no conflicts.\n", displayDir(uf.dir), len(res.Created)+len(res.Overwritten), len(res.Deleted))
		}
	}
	if len(plan.Conflicts) > 0 {
		return conflictsLeft{files: plan.Conflicts}
	}
	return nil
}

// printUpgradeJSON prints upgrade's one JSON document, with the exit code
// the command ends with.
func (a *app) printUpgradeJSON(code int, doc map[string]any) error {
	doc["exitCode"] = code
	a.jsonDone = true
	return a.printJSON(doc)
}

// dropParams removes recorded template parameters that the changed answers
// no longer take (baseUrl once provider is no longer openai), and those
// given empty on this run (--set KEY=), which go back to their defaults.
// It says what it dropped.
func dropParams(src *generator.Source, o *generator.Options, given map[string]bool) []string {
	t, ok := src.Template(o.Template)
	if !ok || len(o.Set) == 0 {
		return nil
	}
	var out []string
	for k, v := range o.Set {
		// An unknown key stays, for validation to refuse by name.
		if v == "" && given["set:"+k] && slices.Contains(t.ParamNames(), k) {
			delete(o.Set, k)
			out = append(out, k+" is back to its default")
		}
	}
	// A dropped parameter can make another one not apply: repeat until
	// nothing changes.
	for again := true; again; {
		again = false
		params := t.ResolveParams(o.Set)
		for _, p := range t.Params {
			if _, set := o.Set[p.Name]; set && !given["set:"+p.Name] && !p.Applies(params) {
				delete(o.Set, p.Name)
				out = append(out, fmt.Sprintf("%s no longer applies (it needs %s) and is dropped", p.Name, p.When.String()))
				again = true
			}
		}
	}
	slices.Sort(out)
	return out
}

// printPlan lists what the upgrade does to each file that it touches or
// reports, with the diffs when asked.
func (a *app) printPlan(p *upgrade.Plan, diffs bool) {
	w := a.stdout
	for _, m := range p.Migrations {
		fmt.Fprintf(w, "migrated: %s\n", generator.SanitizeMessage(m))
	}
	for _, f := range p.Files {
		if f.Action == upgrade.Unchanged && f.Reason == "" {
			continue
		}
		line := fmt.Sprintf("%-9s %s", f.Action, f.Path)
		if f.Sidecar != "" {
			line += " (new version in " + f.Sidecar + ")"
		}
		if f.Reason != "" {
			line += ": " + f.Reason
		}
		fmt.Fprintln(w, generator.SanitizeMessage(line))
	}
	if !diffs {
		return
	}
	for _, f := range p.Files {
		if f.Diff != "" && !slices.Contains([]upgrade.Action{upgrade.Unchanged}, f.Action) {
			fmt.Fprint(w, f.Diff)
		}
	}
}
