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
		fmt.Fprintf(a.stderr, "streamgen: error: %s\n", generator.SanitizeMessage(l))
	}
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
error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       streamgenVersion(),
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(a.newCommand(), a.listCommand(), a.versionCommand())
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
	nameGiven bool // NAME was on the command line, even if empty
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
error.`,
		Example: `  streamgen new my-stream
  streamgen new my-stream --iac cdk --arch x86_64 --memory 512
  streamgen new public-demo --auth none --dir ./demos/public --dry-run`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				nf.opts.Name, nf.nameGiven = args[0], true
			}
			nf.emptied = explicitZeroes(cmd.Flags(), nf.opts)
			return a.runNew(nf)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	f.StringVar(&nf.opts.Template, "template", generator.DefaultTemplate, "template to render (see `streamgen list`)")
	f.StringVar(&nf.opts.IaC, "iac", generator.DefaultIaC, "infrastructure as code: "+strings.Join(generator.IaCChoices, " or "))
	f.StringVar(&nf.opts.Runtime, "runtime", generator.DefaultRuntime, "Lambda runtime: "+strings.Join(generator.RuntimeChoices, " or "))
	f.StringVar(&nf.opts.Arch, "arch", generator.DefaultArch, "Lambda architecture: "+strings.Join(generator.ArchChoices, " or "))
	f.IntVar(&nf.opts.Memory, "memory", generator.DefaultMemory, fmt.Sprintf("function memory in MB (%d-%d)", generator.MinMemory, generator.MaxMemory))
	f.IntVar(&nf.opts.Timeout, "timeout", generator.DefaultTimeout, fmt.Sprintf("function timeout in seconds (%d-%d)", generator.MinTimeout, generator.MaxTimeout))
	f.StringVar(&nf.opts.Auth, "auth", generator.DefaultAuth, "Function URL auth: iam (SigV4-signed callers) or none (public)")
	f.StringVar(&nf.dir, "dir", "", "target directory (default ./NAME)")
	f.BoolVar(&nf.force, "force", false, "write into a non-empty directory, overwriting only generated files")
	f.BoolVar(&nf.dryRun, "dry-run", false, "print the files that would be written and write nothing")
	f.BoolVar(&nf.noInput, "no-input", false, "never prompt; a missing value is an error")
	f.SortFlags = false
	return cmd
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
		name, err := a.prompter.Input("Project name", "lowercase letters, digits and hyphens, e.g. my-stream", generator.ValidateName)
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
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, f := range files {
			fmt.Fprintf(tw, "  %v\t%d\t  %s\t\n", f.Mode, len(f.Content), f.Path)
		}
		return tw.Flush()
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
	verb := "Created"
	if len(res.Overwritten) > 0 {
		verb = fmt.Sprintf("Updated (%d files overwritten, %d created; other files left alone)", len(res.Overwritten), len(res.Created))
	}
	fmt.Fprintf(w, "%s %s from template %s (%s, %s on %s, %d MB, %d s timeout, auth %s):\n",
		verb, displayDir(res.Dir), o.Template, strings.ToUpper(o.IaC), o.Runtime, o.Arch, o.Memory, o.Timeout, o.Auth)
	for _, p := range append(append([]string(nil), res.Created...), res.Overwritten...) {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintf(w, "\nNext steps:\n  cd %s\n", shellQuote(res.Dir))
	if o.IaC == generator.IaCCDK {
		fmt.Fprintf(w, "  npm install\n  npm test\n  npx cdk deploy\n")
	} else {
		fmt.Fprintf(w, "  npm test\n  sam build && sam deploy --guided\n")
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
		Short:   "List the templates",
		Example: "  streamgen list",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			for _, t := range generator.Templates() {
				fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.Description)
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
