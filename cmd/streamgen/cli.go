package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/streamgen/streamgen/generator"
	"golang.org/x/term"
)

// Exit codes, documented in --help and the README.
const (
	exitOK     = 0
	exitFailed = 1 // generation or writing failed
	exitUsage  = 2 // usage or validation error
	// exitInterrupted is the shell's convention for SIGINT (128 + 2).
	exitInterrupted = 130
)

// version is the streamgen version. Release builds set it with
// -ldflags "-X main.version=v1.2.3"; otherwise the module version from the
// build info is used when there is one.
var version = ""

func streamgenVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// usagef returns an error that is the caller's to fix (exit code 2).
func usagef(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// failure marks an error as a failure to generate or write (exit code 1),
// as opposed to a usage or validation error (exit code 2), which is what
// any other error is: cobra's own errors (unknown flag or command, wrong
// number of arguments) are usage errors too.
type failure struct{ err error }

func (e failure) Error() string { return e.err.Error() }
func (e failure) Unwrap() error { return e.err }

// classify wraps err as a failure unless it is a validation or target error.
func classify(err error) error {
	var (
		ie *generator.InvalidError
		te *generator.TargetError
	)
	if err == nil || errors.As(err, &ie) || errors.As(err, &te) {
		return err
	}
	return failure{err}
}

// app carries what commands need from the outside world, so Run has no
// globals and tests drive it in-process.
type app struct {
	ctx      context.Context
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	prompter Prompter // nil when stdin is not a terminal
}

// Run executes the streamgen command line args (without the program name)
// and returns the exit code. It never calls os.Exit.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		a.prompter = newLinePrompter(stdin, stderr)
	}
	return a.run(args)
}

func (a *app) run(args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(a.ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(a.stderr, "streamgen: interrupted; nothing was written")
		return exitInterrupted
	}
	a.printError(err)
	var f failure
	if errors.As(err, &f) {
		return exitFailed
	}
	return exitUsage
}

// printError writes err to stderr, one line per joined error, with control
// characters escaped: errors can quote what a user typed.
func (a *app) printError(err error) {
	var lines []string
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			lines = append(lines, e.Error())
		}
	} else {
		lines = []string{err.Error()}
	}
	for _, l := range lines {
		fmt.Fprintf(a.stderr, "streamgen: error: %s\n", generator.SanitizeMessage(foldSuggestions(l)))
	}
}

// foldSuggestions turns cobra's multi-line "Did you mean this?" block into
// one line, so every error is exactly one line on stderr and any newline
// left is one a user typed (which SanitizeMessage escapes).
func foldSuggestions(msg string) string {
	head, block, ok := strings.Cut(msg, "\n\nDid you mean this?\n")
	if !ok {
		return msg
	}
	var names []string
	for _, l := range strings.Split(block, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, strconv.Quote(l))
		}
	}
	return head + "; did you mean " + strings.Join(names, " or ") + "? Run `streamgen --help` for the commands"
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "streamgen",
		Short: "Scaffold AWS Lambda response streaming projects",
		Long: `streamgen scaffolds AWS Lambda response streaming projects: a Node.js
handler wrapped in a small streamify shim, tests that pass with "npm test",
and a SAM template or CDK app whose Function URL streams (InvokeMode
RESPONSE_STREAM).

Exit codes: 0 success, 1 generation or writing failed, 2 usage or validation
error, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       streamgenVersion(),
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	root.SetVersionTemplate("streamgen {{.Version}}\n")
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(a.newCommand(), a.listCommand(), a.versionCommand())
	root.AddCommand(a.devCommands()...)
	return root
}

// flagError rewords pflag's parse errors so they say what to pass.
func flagError(err error) error {
	msg := err.Error()
	for _, f := range []struct{ name, what string }{
		{"--memory", "a whole number of MB between 128 and 10240, e.g. --memory 256"},
		{"--timeout", "a whole number of seconds between 1 and 900, e.g. --timeout 30"},
	} {
		if strings.Contains(msg, `"`+f.name+`"`) {
			return fmt.Errorf("%s; %s takes %s", msg, f.name, f.what)
		}
	}
	return fmt.Errorf("%s; run `streamgen --help` for usage", msg)
}

type newFlags struct {
	opts      generator.Options
	sets      []string // raw --set KEY=VALUE arguments
	nameGiven bool     // NAME was on the command line, even if empty
	// emptied lists flags given explicitly as "" or 0, which the generator
	// would otherwise read as "use the default".
	emptied []error
	dir     string
	force   bool
	dryRun  bool
	noInput bool
}

func (a *app) newCommand() *cobra.Command {
	var nf newFlags
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Generate a new streaming project into ./NAME",
		Long: `Generate a new Lambda response streaming project.

NAME is the npm package name, the folder name (unless --dir says otherwise)
and the CloudFormation stack name: lowercase letters, digits and hyphens,
starting with a letter.

The target directory must not exist or be empty. With --force, streamgen
writes into a non-empty directory, replacing only the files it generates;
it never deletes other files. Nothing is written when any value is invalid,
and an interrupted run leaves nothing behind.

Exit codes: 0 success, 1 generation or writing failed, 2 usage or validation
error, 130 interrupted.`,
		Example: `  streamgen new my-stream
  streamgen new my-stream --iac cdk --arch x86_64 --memory 512
  streamgen new assets --template s3-proxy --set bucket=my-assets --set prefix=public/
  streamgen new public-demo --auth none --dir ./demos/public --dry-run`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				nf.opts.Name, nf.nameGiven = args[0], true
			}
			nf.emptied = explicitZeroes(cmd.Flags(), nf.opts)
			set, err := parseSets(nf.sets)
			if err != nil {
				return err
			}
			nf.opts.Set = set
			return a.runNew(nf)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	f.StringVar(&nf.opts.Template, "template", generator.DefaultTemplate, "template to render (streamgen list shows them)")
	f.StringVar(&nf.opts.IaC, "iac", generator.DefaultIaC, "infrastructure as code: "+strings.Join(generator.IaCChoices, " or "))
	f.StringVar(&nf.opts.Runtime, "runtime", generator.DefaultRuntime, "Lambda runtime: "+strings.Join(generator.RuntimeChoices, " or "))
	f.StringVar(&nf.opts.Arch, "arch", generator.DefaultArch, "Lambda architecture: "+strings.Join(generator.ArchChoices, " or "))
	f.IntVar(&nf.opts.Memory, "memory", 0, fmt.Sprintf("function memory in MB, %d-%d (default %s)", generator.MinMemory, generator.MaxMemory, templateDefaults(func(t generator.Template) int { return t.Memory }, generator.DefaultMemory)))
	f.IntVar(&nf.opts.Timeout, "timeout", 0, fmt.Sprintf("function timeout in seconds, %d-%d (default %s)", generator.MinTimeout, generator.MaxTimeout, templateDefaults(func(t generator.Template) int { return t.Timeout }, generator.DefaultTimeout)))
	f.StringVar(&nf.opts.Auth, "auth", generator.DefaultAuth, "Function URL auth: iam (SigV4-signed callers) or none (public)")
	f.StringArrayVar(&nf.sets, "set", nil, "template parameter KEY=VALUE, repeatable (streamgen list shows each template's keys)")
	f.StringVar(&nf.dir, "dir", "", "target directory (default ./NAME)")
	f.BoolVar(&nf.force, "force", false, "write into a non-empty directory, overwriting only generated files")
	f.BoolVar(&nf.dryRun, "dry-run", false, "print the files that would be written and write nothing")
	f.BoolVar(&nf.noInput, "no-input", false, "never prompt; a missing value is an error")
	f.SortFlags = false
	return cmd
}

// templateDefaults describes a per-template default for --help, e.g.
// "256; s3-proxy 512".
func templateDefaults(get func(generator.Template) int, fallback int) string {
	out := fmt.Sprint(fallback)
	for _, t := range generator.Templates() {
		if v := get(t); v != 0 && v != fallback {
			out += fmt.Sprintf("; %s %d", t.Name, v)
		}
	}
	return out
}

// parseSets turns repeated --set KEY=VALUE arguments into a map. Which keys
// a template takes, and what values, is the generator's to check.
func parseSets(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	set := map[string]string{}
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		if !ok || key == "" {
			return nil, &generator.InvalidError{Field: "--set", Value: arg, Reason: "it is not KEY=VALUE", Hint: "write it as --set bucket=my-bucket"}
		}
		if _, dup := set[key]; dup {
			return nil, &generator.InvalidError{Field: "--set", Value: arg, Reason: "the key " + generator.Quote(key) + " is given twice", Hint: "give each key once"}
		}
		set[key] = value
	}
	return set, nil
}

// explicitZeroes reports flags set to "" or 0 on the command line: the
// library treats zero values as "use the default", but a user who typed
// --timeout 0 asked for something invalid and must be told.
func explicitZeroes(flags *pflag.FlagSet, o generator.Options) []error {
	var errs []error
	flags.Visit(func(f *pflag.Flag) {
		switch {
		case f.Name == "memory" && o.Memory == 0:
			errs = append(errs, generator.ValidateMemory(0))
		case f.Name == "timeout" && o.Timeout == 0:
			errs = append(errs, generator.ValidateTimeout(0))
		case f.Value.Type() == "string" && f.Value.String() == "":
			errs = append(errs, &generator.InvalidError{Field: "--" + f.Name, Reason: "it is empty", Hint: "leave the flag out to use the default"})
		}
	})
	return errs
}

func (a *app) runNew(nf newFlags) error {
	if len(nf.emptied) > 0 {
		return errors.Join(nf.emptied...)
	}
	if nf.opts.Name == "" && !nf.nameGiven {
		if nf.noInput || a.prompter == nil {
			return usagef("missing NAME: pass the project name, e.g. `streamgen new my-stream`")
		}
		name, err := a.prompter.Input(a.ctx, "Project name", "lowercase letters, digits and hyphens, e.g. my-stream", generator.ValidateName)
		if err != nil {
			return err
		}
		nf.opts.Name = name
	}
	nf.opts.Version = streamgenVersion()
	files, err := generator.Render(nf.opts)
	if err != nil {
		return classify(err)
	}
	dir := nf.dir
	if dir == "" {
		dir = nf.opts.Name
	}
	policy := generator.CreateOnly
	if nf.force {
		policy = generator.OverwriteGenerated
	}
	if nf.opts.Auth == generator.AuthNone {
		fmt.Fprintf(a.stderr, "streamgen: warning: --auth none makes the Function URL public: anyone with the URL can invoke the function, and every call is billed to you. The stack caps concurrency; use --auth iam unless the endpoint must be public.\n")
	}
	if nf.dryRun {
		if err := generator.CheckTarget(files, dir, policy); err != nil {
			return classify(err)
		}
		fmt.Fprintf(a.stdout, "Dry run: would write %d files to %s (nothing was written):\n", len(files), displayDir(dir))
		for _, f := range files {
			fmt.Fprintf(a.stdout, "  %v %7d  %s\n", f.Mode, len(f.Content), f.Path)
		}
		return nil
	}
	res, err := generator.WriteContext(a.ctx, files, dir, policy)
	if err != nil {
		return classify(err)
	}
	a.printCreated(nf, res)
	return nil
}

func (a *app) printCreated(nf newFlags, res *generator.Result) {
	o := nf.opts.WithDefaults()
	w := a.stdout
	fmt.Fprintf(w, "Generated %s from template %s (%s, %s on %s, %d MB, %d s timeout, auth %s)",
		displayDir(res.Dir), o.Template, strings.ToUpper(o.IaC), o.Runtime, o.Arch, o.Memory, o.Timeout, o.Auth)
	if len(res.Overwritten) > 0 {
		fmt.Fprintf(w, "; %d files overwritten, %d created, other files left alone", len(res.Overwritten), len(res.Created))
	}
	fmt.Fprintln(w, ":")
	for _, p := range append(append([]string(nil), res.Created...), res.Overwritten...) {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintf(w, "\nNext steps:\n  cd %s\n", shellQuote(res.Dir))
	t, _ := generator.TemplateByName(o.Template)
	if o.IaC == generator.IaCCDK || len(t.Dependencies)+len(t.DevDependencies) > 0 {
		fmt.Fprintf(w, "  npm install\n")
	}
	if o.IaC == generator.IaCCDK {
		fmt.Fprintf(w, "  npm test\n  npx cdk deploy\n")
	} else {
		fmt.Fprintf(w, "  npm test\n  sam build && sam deploy --guided --stack-name %s\n", o.Name)
	}
}

// displayDir shows a directory the way a user would type it.
func displayDir(dir string) string {
	if !filepath.IsAbs(dir) && !strings.HasPrefix(dir, ".") {
		dir = "." + string(filepath.Separator) + dir
	}
	return generator.SanitizeMessage(dir)
}

// shellQuote quotes a path for the "cd" hint.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(generator.SanitizeMessage(s), "'", `'\''`) + "'"
}

func (a *app) listCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the templates and their --set parameters",
		Example: "  streamgen list",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			for _, t := range generator.Templates() {
				fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.Description)
				for _, p := range t.Params {
					fmt.Fprintf(tw, "\t  --set %s=...  %s\n", p.Name, p.Help)
				}
			}
			return tw.Flush()
		},
	}
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the streamgen version",
		Example: "  streamgen version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(a.stdout, "streamgen %s (%s %s/%s)\n", streamgenVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
