package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/streamgen/streamgen/generator"
	xterm "golang.org/x/term"
)

var termIsTerminal = xterm.IsTerminal

// Exit codes, documented in --help and the README.
const (
	exitOK     = 0
	exitFailed = 1 // generation or writing failed
	exitUsage  = 2 // usage or validation error
	// exitInterrupted is the shell's convention for SIGINT (128 + 2).
	exitInterrupted = 130
	// exitConflicts: streamgen upgrade left conflicts to resolve.
	exitConflicts = 3
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
		fe *generator.FileError
	)
	if err == nil || errors.As(err, &ie) || errors.As(err, &te) || errors.As(err, &fe) {
		return err
	}
	return failure{err}
}

// app carries what commands need from the outside world, so Run has no
// globals and tests drive it in-process.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// makePrompter returns the wizard's Prompter; nil when stdin is not a
	// terminal, so nothing is ever asked. Tests set a scripted one.
	makePrompter func(accessible bool) Prompter
	// jsonErrors makes run print errors as JSON on stdout too (--json).
	jsonErrors bool
	// jsonDone says the command printed its JSON document, which carries
	// its exit code, so an error must not add a second one to stdout.
	jsonDone bool
	// templateFlags adds new's template-dependent flags; run calls it
	// when the command line needs them.
	templateFlags func()
}

// Run executes the streamgen command line args (without the program name)
// and returns the exit code. It never calls os.Exit.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == "version" {
		// The whole command line is known: no command tree to build.
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if in, ok := stdin.(*os.File); ok && isTerminal(in) {
		// The form is drawn on stderr, keeping stdout for results. When
		// stderr is not a terminal, a full-screen form would write escape
		// codes into a file, so plain line prompts are used instead.
		errFile, ok := stderr.(*os.File)
		errTTY := ok && isTerminal(errFile)
		a.makePrompter = func(accessible bool) Prompter {
			return newHuhPrompter(stdin, stderr, accessible || !errTTY || accessibleRequested(a.getenv), noColorRequested(a.getenv))
		}
	}
	return a.run(args)
}

func (a *app) prompter(accessible bool) Prompter {
	if a.makePrompter == nil {
		return nil
	}
	return a.makePrompter(accessible)
}

func (a *app) run(args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	// The flags for template parameters (--bucket, ...) and the defaults
	// per template in new's help are built from every template's manifest:
	// read them only for a command line that can use them.
	target, _, findErr := root.Find(args)
	if findErr != nil || needsTemplateFlags(target, args) {
		a.templateFlags()
	}
	// A command that writes or waits takes Ctrl-C as a cancellation from
	// its start; one that only prints is left to the default (exit).
	if w, ok := a.ctx.(interface{ watch() }); ok && (findErr != nil || !slices.Contains([]string{"version", "list", "schema"}, target.Name())) {
		w.watch()
	}
	// Errors from flag parsing come before RunE can see --json.
	a.jsonErrors = slices.ContainsFunc(args, func(s string) bool {
		if s == "--json" {
			return true
		}
		v, ok := strings.CutPrefix(s, "--json=")
		b, err := strconv.ParseBool(v)
		return ok && err == nil && b
	})
	err := root.ExecuteContext(a.ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(a.stderr, "streamgen: interrupted; nothing was written")
		a.printJSONError(err, exitInterrupted)
		return exitInterrupted
	}
	a.printError(err)
	code := exitUsage
	var f failure
	var c conflictsLeft
	switch {
	case errors.As(err, &c):
		code = exitConflicts
	case errors.As(err, &f):
		code = exitFailed
	}
	a.printJSONError(err, code)
	return code
}

// needsTemplateFlags reports whether a command line for target needs the
// flags built from the templates: target is new or upgrade and the line
// asks for help or names a flag target does not have without them. (Help
// and shell completion as commands are added by cobra when it runs, so
// root.Find fails for them and the caller says yes.) Anything it cannot
// tell is taken as a yes, which costs only start-up time.
func needsTemplateFlags(target *cobra.Command, args []string) bool {
	switch target.Name() {
	case "new", "upgrade":
	case "version", "list", "schema", "dev", "invoke", "check":
		return false
	default:
		return true
	}
	lookup := func(name string) *pflag.Flag {
		return cmp.Or(target.Flags().Lookup(name), target.InheritedFlags().Lookup(name))
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return false // what follows is arguments
		case arg == "-" || !strings.HasPrefix(arg, "-"):
			continue
		case strings.HasPrefix(arg, "--"):
			name, _, hasValue := strings.Cut(arg[2:], "=")
			f := lookup(name)
			if f == nil {
				return true // a parameter flag, help, or a typo
			}
			if !hasValue && f.NoOptDefVal == "" {
				i++ // the next argument is its value, even "--" or "-x"
			}
		default:
			// One or more shorthands (-y); one that takes a value takes
			// the rest of the group, or the next argument.
			for j, c := range arg[1:] {
				f := target.Flags().ShorthandLookup(string(c))
				if f == nil {
					f = target.InheritedFlags().ShorthandLookup(string(c))
				}
				if f == nil {
					return true // -h, or a typo
				}
				if f.NoOptDefVal == "" {
					if j == len(arg)-2 {
						i++
					}
					break
				}
			}
		}
	}
	return false
}

// printError writes err to stderr, one line per joined error, with control
// characters escaped: errors can quote what a user typed.
func (a *app) printError(err error) {
	for _, e := range unwrapAll(err) {
		fmt.Fprintf(a.stderr, "streamgen: error: %s\n", generator.SanitizeMessage(foldSuggestions(e.Error())))
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
RESPONSE_STREAM). "streamgen dev" runs a project locally behind a Function
URL that really streams.

Shell completion: streamgen completion bash|zsh|fish|powershell --help.
NO_COLOR=1 turns colour off; ACCESSIBLE=1 asks with plain line prompts.

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
	root.AddCommand(a.newCommand(), a.upgradeCommand(), a.checkCommand(), a.listCommand(), a.schemaCommand(), a.versionCommand())
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
	sets      []string           // raw --set KEY=VALUE arguments
	params    map[string]*string // dedicated parameter flag -> its value
	nameGiven bool               // NAME was on the command line, even if empty
	// emptied lists flags given explicitly as "" or 0, which the generator
	// would otherwise read as "use the default".
	emptied     []error
	changed     map[string]bool // flags given on the command line
	dir         string
	values      string
	house       string
	templateDir string
	force       bool
	dryRun      bool
	noInput     bool
	yes         bool
	jsonOut     bool
	accessible  bool
}

// paramFlags maps each dedicated parameter flag ("base-url") to the
// parameters it sets, from the built-in templates' declarations: one flag
// serves every template that declares a parameter of that name.
func paramFlags() (flags []string, params map[string]generator.Param, help map[string][]string) {
	params, help = map[string]generator.Param{}, map[string][]string{}
	for _, t := range generator.Templates() {
		for _, p := range t.Params {
			f := p.Flag()
			if _, seen := params[f]; !seen {
				flags = append(flags, f)
				params[f] = p
			}
			help[f] = append(help[f], t.Name+": "+p.Help)
		}
	}
	return flags, params, help
}

func (a *app) newCommand() *cobra.Command {
	nf := newFlags{params: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "new [NAME]",
		Short: "Generate a new streaming project into ./NAME",
		Long: `Generate a new Lambda response streaming project.

NAME is the npm package name, the folder name (unless --dir says otherwise)
and the CloudFormation stack name: lowercase letters, digits and hyphens,
starting with a letter.

Answers come from, in increasing priority: defaults, a --values file (YAML
or JSON shaped like a project's .streamgen.json, so a project regenerates
from its own), then flags. In a terminal, a wizard asks for whatever is
still missing (name, template, IaC, runtime, architecture, auth, then the
template's parameters) and shows a summary to confirm. --yes takes the
defaults instead; without a terminal, or with --no-input or --json, nothing
is asked and a missing NAME is an error. Set ACCESSIBLE=1 (or pass
--accessible) for plain line prompts, and NO_COLOR=1 for no colour.

Template parameters are set with --set KEY=VALUE or their own flag
(--bucket, --model, ...); streamgen list shows each template's.
--template-dir DIR adds templates or patches built-in files (see the
README).

The target directory must not exist or be empty. With --force, streamgen
writes into a non-empty directory, replacing only the files it generates;
it never deletes other files. Nothing is written when any value is invalid,
and an interrupted run (Ctrl-C) leaves nothing behind.

Exit codes: 0 success, 1 generation or writing failed (or the summary was
declined), 2 usage or validation error, 130 interrupted.`,
		Example: `  streamgen new                    # the wizard asks for everything
  streamgen new my-stream --yes    # defaults for everything else
  streamgen new my-stream --iac cdk --arch x86_64 --memory 512
  streamgen new assets --template s3-proxy --bucket my-assets --prefix public/
  streamgen new chat --template llm-stream --set provider=openai --no-input
  streamgen new --values answers.yaml --json
  streamgen new --values .streamgen.json --dir . --force   # render over itself (streamgen upgrade merges instead)
  streamgen new house --template-dir ./templates --template house-stream`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				nf.opts.Name, nf.nameGiven = args[0], true
			}
			nf.emptied = explicitZeroes(cmd.Flags(), nf.opts)
			nf.changed = map[string]bool{}
			cmd.Flags().Visit(func(f *pflag.Flag) { nf.changed[f.Name] = true })
			return a.runNew(nf)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	f.StringVar(&nf.opts.Template, "template", generator.DefaultTemplate, "template to render (streamgen list shows them)")
	f.StringVar(&nf.opts.IaC, "iac", generator.DefaultIaC, "infrastructure as code: "+strings.Join(generator.IaCChoices, " or "))
	f.StringVar(&nf.opts.Runtime, "runtime", generator.DefaultRuntime, "Lambda runtime: "+strings.Join(generator.RuntimeChoices, " or "))
	f.StringVar(&nf.opts.Arch, "arch", generator.DefaultArch, "Lambda architecture: "+strings.Join(generator.ArchChoices, " or "))
	// The template-dependent parts (the defaults per template, a flag per
	// parameter) are added by templateFlags, only for a command line that
	// uses a parameter flag or asks for help or completion (see
	// needsTemplateFlags): reading every template costs start-up time.
	f.IntVar(&nf.opts.Memory, "memory", 0, fmt.Sprintf("function memory in MB, %d-%d", generator.MinMemory, generator.MaxMemory))
	f.IntVar(&nf.opts.Timeout, "timeout", 0, fmt.Sprintf("function timeout in seconds, %d-%d", generator.MinTimeout, generator.MaxTimeout))
	f.StringVar(&nf.opts.Front, "front", generator.DefaultFront, "front end: url (a Lambda Function URL) or rest-api (an API Gateway REST API)")
	f.StringVar(&nf.opts.Auth, "auth", generator.DefaultAuth, "auth: iam (SigV4-signed callers) or none (public); with --front rest-api also api-key or cognito")
	f.StringVar(&nf.opts.Stage, "stage", "", "the REST API's stage (default "+generator.DefaultStage+"; --front rest-api only)")
	f.StringVar(&nf.opts.UserPoolARN, "user-pool-arn", "", "the Cognito user pool whose tokens the REST API accepts (--auth cognito)")
	f.StringArrayVar(&nf.sets, "set", nil, "template parameter KEY=VALUE, repeatable (streamgen list shows each template's keys)")
	a.templateFlags = func() {
		f.Lookup("memory").Usage += fmt.Sprintf(" (default %s)", templateDefaults(func(t generator.Template) int { return t.Memory }, generator.DefaultMemory))
		f.Lookup("timeout").Usage += fmt.Sprintf(" (default %s)", templateDefaults(func(t generator.Template) int { return t.Timeout }, generator.DefaultTimeout))
		flags, _, help := paramFlags()
		for _, name := range flags {
			nf.params[name] = f.String(name, "", "same as --set; "+strings.Join(help[name], "; "))
		}
	}
	f.StringVar(&nf.values, "values", "", "read answers from a YAML or JSON file shaped like .streamgen.json; flags override it")
	f.StringVar(&nf.templateDir, "template-dir", "", "directory of custom templates that add to or patch the built-in ones (its house.yaml, if any, is the house policy)")
	f.StringVar(&nf.house, "house", "", "house policy file (YAML or JSON): tags, permissionsBoundary, logRetentionDays for every stack")
	f.StringVar(&nf.dir, "dir", "", "target directory (default ./NAME)")
	f.BoolVar(&nf.force, "force", false, "write into a non-empty directory, overwriting only generated files")
	f.BoolVar(&nf.dryRun, "dry-run", false, "print the files that would be written and write nothing")
	f.BoolVar(&nf.noInput, "no-input", false, "never prompt; a missing value is an error")
	f.BoolVarP(&nf.yes, "yes", "y", false, "accept the default for everything not given (the wizard asks only for a missing NAME)")
	f.BoolVar(&nf.jsonOut, "json", false, "print the result as JSON on stdout (files, answers, warnings) and never prompt")
	f.BoolVar(&nf.accessible, "accessible", false, "plain line prompts for screen readers and dumb terminals (also ACCESSIBLE=1)")
	f.SortFlags = false
	a.registerCompletions(cmd, &nf)
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

// loadSource returns the built-in templates, extended by --template-dir.
func loadSource(dir string) (*generator.Source, error) {
	if dir == "" {
		return generator.Builtin(), nil
	}
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, &generator.InvalidError{Field: "--template-dir", Value: dir, Reason: "cannot read it: " + errReason(err), Hint: "pass a directory that holds template folders"}
	case !info.IsDir():
		return nil, &generator.InvalidError{Field: "--template-dir", Value: dir, Reason: "it is not a directory", Hint: "pass a directory that holds template folders"}
	}
	return generator.LoadSource(os.DirFS(dir), filepath.Clean(dir))
}

// errReason is an OS error without the path it repeats.
func errReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// maxValuesFileSize bounds a values file: answers are a few hundred bytes.
const maxValuesFileSize = 1 << 20

// readValuesFile reads a values file, which must be a regular file of at
// most maxValuesFileSize bytes (not a device or a pipe that never ends).
func readValuesFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.New("cannot read it: " + errReason(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, errors.New("cannot read it: " + errReason(err))
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("it is not a regular file")
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxValuesFileSize+1))
	if err != nil {
		return nil, errors.New("cannot read it: " + errReason(err))
	}
	if len(raw) > maxValuesFileSize {
		return nil, fmt.Errorf("it is larger than %d KiB", maxValuesFileSize>>10)
	}
	return raw, nil
}

// checkGiven validates the options that flags or the values file gave,
// leaving out problems with what the wizard is about to ask.
func checkGiven(o generator.Options, given map[string]bool) error {
	var keep []error
	for _, err := range unwrapAll(o.Validate()) {
		var ie *generator.InvalidError
		if !errors.As(err, &ie) {
			keep = append(keep, err)
			continue
		}
		field := strings.TrimPrefix(ie.Field, "--")
		switch {
		case ie.Field == "NAME":
			field = "name"
		case strings.HasPrefix(ie.Field, "--set ") && ie.Field != "--set key":
			field = "set:" + strings.TrimPrefix(ie.Field, "--set ")
		case ie.Field == "--set key":
			field = "set:" + ie.Value
		}
		if given[field] {
			keep = append(keep, err)
		}
	}
	return errors.Join(keep...)
}

// fileErrors names the values file in errors about template parameters
// that came from it (and not from a flag), so a bad value is found where
// it was written.
func fileErrors(err error, nf newFlags, given map[string]bool) error {
	if nf.values == "" || err == nil {
		return err
	}
	fromFlags := map[string]bool{}
	for _, kv := range nf.sets {
		k, _, _ := strings.Cut(kv, "=")
		fromFlags[k] = true
	}
	if len(nf.params) > 0 { // the parameter flags exist
		_, params, _ := paramFlags()
		for flag := range nf.params {
			if nf.changed[flag] {
				fromFlags[params[flag].Name] = true
			}
		}
	}
	var out []error
	for _, e := range unwrapAll(err) {
		var ie *generator.InvalidError
		if errors.As(e, &ie) && strings.HasPrefix(ie.Field, "--set ") {
			key := strings.TrimPrefix(ie.Field, "--set ")
			if key == "key" {
				key = ie.Value
			}
			if given["set:"+key] && !fromFlags[key] {
				e = &generator.FileError{File: nf.values, Msg: "answers.set." + generator.SanitizeMessage(key) + ": " + e.Error()}
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// gatherOptions merges the answers: the values file, then flags. given
// records what was set, so the wizard asks only for the rest.
func gatherOptions(nf newFlags, src *generator.Source) (generator.Options, map[string]bool, error) {
	var o generator.Options
	given := map[string]bool{}
	if nf.values != "" {
		raw, err := readValuesFile(nf.values)
		if err != nil {
			return o, nil, &generator.InvalidError{Field: "--values", Value: nf.values, Reason: err.Error(), Hint: "pass a YAML or JSON file such as a project's .streamgen.json"}
		}
		if o, err = generator.ReadValues(raw, nf.values); err != nil {
			return o, nil, err
		}
		for k, v := range map[string]bool{"name": o.Name != "", "template": o.Template != "", "iac": o.IaC != "", "runtime": o.Runtime != "",
			"arch": o.Arch != "", "front": o.Front != "", "auth": o.Auth != "", "stage": o.Stage != "", "user-pool-arn": o.UserPoolARN != "",
			"memory": o.Memory != 0, "timeout": o.Timeout != 0} {
			given[k] = v
		}
		for k := range o.Set {
			given["set:"+k] = true
		}
	}
	if err := applyAnswerFlags(nf, &o, given); err != nil {
		return o, nil, err
	}
	o.Source = src
	o.Version = streamgenVersion()
	return o, given, nil
}

// applyAnswerFlags sets the answers given as flags on o (over what a values
// file or a project's .streamgen.json said) and records each in given.
func applyAnswerFlags(nf newFlags, o *generator.Options, given map[string]bool) error {
	for _, f := range []struct {
		flag     string
		dst      *string
		fromFlag string
	}{
		{"template", &o.Template, nf.opts.Template},
		{"iac", &o.IaC, nf.opts.IaC},
		{"runtime", &o.Runtime, nf.opts.Runtime},
		{"arch", &o.Arch, nf.opts.Arch},
		{"front", &o.Front, nf.opts.Front},
		{"auth", &o.Auth, nf.opts.Auth},
		{"stage", &o.Stage, nf.opts.Stage},
		{"user-pool-arn", &o.UserPoolARN, nf.opts.UserPoolARN},
	} {
		if nf.changed[f.flag] {
			*f.dst, given[f.flag] = f.fromFlag, true
		}
	}
	if nf.changed["memory"] {
		o.Memory, given["memory"] = nf.opts.Memory, true
	}
	if nf.changed["timeout"] {
		o.Timeout, given["timeout"] = nf.opts.Timeout, true
	}
	if nf.nameGiven {
		o.Name, given["name"] = nf.opts.Name, true
	}
	set, err := parseSets(nf.sets)
	if err != nil {
		return err
	}
	var params map[string]generator.Param
	if len(nf.params) > 0 { // the parameter flags exist
		_, params, _ = paramFlags()
	}
	for _, flag := range slices.Sorted(maps.Keys(nf.params)) {
		if !nf.changed[flag] {
			continue
		}
		name := params[flag].Name
		if _, dup := set[name]; dup {
			return &generator.InvalidError{Field: "--" + flag, Value: *nf.params[flag], Reason: "--set " + name + " is given too", Hint: "give the parameter once"}
		}
		if set == nil {
			set = map[string]string{}
		}
		set[name] = *nf.params[flag]
	}
	if len(set) > 0 {
		merged := maps.Clone(o.Set)
		if merged == nil {
			merged = map[string]string{}
		}
		for k, v := range set {
			merged[k], given["set:"+k] = v, true
		}
		o.Set = merged
	}
	if nf.house != "" {
		raw, err := readValuesFile(nf.house)
		if err != nil {
			return &generator.InvalidError{Field: "--house", Value: nf.house, Reason: err.Error(), Hint: "pass a YAML or JSON file with tags, permissionsBoundary or logRetentionDays"}
		}
		if o.House, err = generator.ParseHouse(raw, nf.house); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) runNew(nf newFlags) error {
	if nf.jsonOut {
		a.jsonErrors = true
	}
	if len(nf.emptied) > 0 {
		return errors.Join(nf.emptied...)
	}
	src, err := loadSource(nf.templateDir)
	if err != nil {
		return err
	}
	o, given, err := gatherOptions(nf, src)
	if err != nil {
		return err
	}
	var warnings []string
	warned := false
	if p := a.prompter(nf.accessible); p != nil && !nf.noInput && !nf.jsonOut {
		// A typo in what was given is reported before anything is asked.
		if err := checkGiven(o, given); err != nil {
			return fileErrors(err, nf, given)
		}
		w := &wizard{p: p, src: src, given: given, yes: nf.yes}
		if err := w.run(a.ctx, &o); err != nil {
			if errors.Is(err, errDeclined) {
				return failure{err}
			}
			return err
		}
		warned = !given["auth"] && !nf.yes
	} else if o.Name == "" && !given["name"] {
		hint := "pass the project name, e.g. `streamgen new my-stream`"
		if nf.values != "" {
			hint = "pass it as NAME or add answers.name to " + nf.values
		}
		return usagef("missing NAME: %s", hint)
	}
	files, err := generator.Render(o)
	if err != nil {
		return classify(fileErrors(err, nf, given))
	}
	o = o.WithDefaults()
	dir := nf.dir
	if dir == "" {
		dir = o.Name
	}
	policy := generator.CreateOnly
	if nf.force {
		policy = generator.OverwriteGenerated
	}
	if o.Auth == generator.AuthNone {
		warnings = append(warnings, authNoneWarning)
		if !warned {
			fmt.Fprintf(a.stderr, "streamgen: warning: %s\n", authNoneWarning)
		}
	}
	if nf.dryRun {
		if err := generator.CheckTarget(files, dir, policy); err != nil {
			return classify(err)
		}
		if nf.jsonOut {
			return a.printJSON(newResult(dir, true, files, nil, warnings))
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
	if nf.jsonOut {
		return a.printJSON(newResult(res.Dir, false, files, res, warnings))
	}
	a.printCreated(o, res)
	return nil
}

func (a *app) printCreated(o generator.Options, res *generator.Result) {
	w := a.stdout
	fmt.Fprintf(w, "Generated %s from template %s (%s, %s on %s, %d MB, %d s timeout, %s, auth %s)",
		displayDir(res.Dir), o.Template, strings.ToUpper(o.IaC), o.Runtime, o.Arch, o.Memory, o.Timeout, frontLabel(o), o.Auth)
	if len(res.Overwritten) > 0 {
		fmt.Fprintf(w, "; %d files overwritten, %d created, other files left alone", len(res.Overwritten), len(res.Created))
	}
	fmt.Fprintln(w, ":")
	for _, p := range append(append([]string(nil), res.Created...), res.Overwritten...) {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintf(w, "\nNext steps:\n  cd %s\n", shellQuote(res.Dir))
	t, _ := o.Source.Template(o.Template)
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

func (a *app) schemaCommand() *cobra.Command {
	var templateDir string
	cmd := &cobra.Command{
		Use:   "schema [TEMPLATE]",
		Short: "Print the JSON Schema of a values file",
		Long: `Print a JSON Schema (draft-07, self-contained) of a values file for
TEMPLATE, or for any template: the options every template shares, the
template's parameters with their titles, descriptions, choices, defaults,
patterns and when they apply, and the house policy. A file that validates
is one "streamgen new --values FILE" takes; form-driven portals (a
Backstage software template's spec.parameters, for one) can build their
forms from it.

Exit codes: 0 success, 2 usage error (an unknown TEMPLATE, a bad
--template-dir).`,
		Example: `  streamgen schema s3-proxy > s3-proxy.schema.json
  streamgen schema --template-dir ./templates house-stream`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			src, err := loadSource(templateDir)
			if err != nil {
				return err
			}
			name := ""
			if len(args) > 0 {
				name = args[0]
			}
			schema, err := src.Schema(name)
			if err != nil {
				return err
			}
			return a.printJSON(schema)
		},
	}
	cmd.Flags().StringVar(&templateDir, "template-dir", "", "directory of custom templates that add to or patch the built-in ones")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return generator.TemplateNames(), cobra.ShellCompDirectiveNoFileComp
	}
	return cmd
}

func (a *app) listCommand() *cobra.Command {
	var (
		jsonOut     bool
		templateDir string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the templates and their parameters",
		Long: `List the templates and their parameters, with the flag that sets each.

With --json, print the templates, their parameters and the choices of every
option as JSON, for tooling that builds forms or checks answers.

Exit codes: 0 success, 2 usage error (a bad --template-dir).`,
		Example: `  streamgen list
  streamgen list --json
  streamgen list --template-dir ./templates`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			src, err := loadSource(templateDir)
			if err != nil {
				return err
			}
			if jsonOut {
				return a.printJSON(listResult(src))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			for _, t := range src.Templates() {
				fmt.Fprintf(tw, "%s\t%s\n", t.Name, generator.SanitizeMessage(t.Description))
				for _, p := range t.Params {
					how := "--set " + p.Name + "=..."
					if isParamFlag(p) {
						how = "--" + p.Flag() + " ..."
					}
					fmt.Fprintf(tw, "\t  %s\t%s\n", how, generator.SanitizeMessage(p.Help))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON on stdout")
	cmd.Flags().StringVar(&templateDir, "template-dir", "", "also list the custom templates in this directory")
	return cmd
}

// isParamFlag reports whether p has a dedicated flag: built-in parameters
// do; a custom template's are set with --set.
func isParamFlag(p generator.Param) bool {
	_, params, _ := paramFlags()
	q, ok := params[p.Flag()]
	return ok && q.Name == p.Name
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the streamgen version",
		Example: "  streamgen version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(a.stdout, versionLine())
			return err
		},
	}
}

// versionLine is what `streamgen version` prints.
func versionLine() string {
	return fmt.Sprintf("streamgen %s (%s %s/%s)", streamgenVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// frontLabel names the front end for the summary line.
func frontLabel(o generator.Options) string {
	if o.Front == generator.FrontRestAPI {
		return "REST API stage " + o.Stage
	}
	return "Function URL"
}
