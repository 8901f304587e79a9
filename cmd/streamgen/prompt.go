package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/huh/v2"
	"github.com/streamgen/streamgen/generator"
)

// Prompter asks a person for values the flags left out. The wizard is the
// only caller, and only when stdin is a terminal and neither --no-input nor
// --json is set. It fills the same options the flags fill, so the generator
// never knows where a value came from. Every method returns ctx's error, or
// context.Canceled when the person presses Ctrl-C, so a cancelled wizard
// writes nothing.
type Prompter interface {
	// Input asks for a line of text. An empty answer means q.Default. The
	// answer returned has passed q.Validate.
	Input(ctx context.Context, q Question) (string, error)
	// Select asks for one of choices; q.Default is selected first.
	Select(ctx context.Context, q Question, choices []Choice) (string, error)
	// Confirm asks a yes/no question; q.Default "yes" makes yes the default.
	Confirm(ctx context.Context, q Question) (bool, error)
	// Note shows text that needs no answer: a warning or the summary.
	Note(title, body string)
}

// Question is one thing the wizard asks.
type Question struct {
	// Key identifies the question to tests: "name", "template", "iac",
	// "runtime", "arch", "auth", "param:KEY", "confirm".
	Key      string
	Title    string
	Help     string
	Default  string
	Validate func(string) error // nil accepts anything
}

// Choice is one option of a Select.
type Choice struct {
	Value string
	Label string // what the person sees, e.g. "sam  AWS SAM template"
}

// huhPrompter asks with charm.land/huh: a full-screen form per question in
// a capable terminal, or huh's accessible mode (numbered choices and plain
// line prompts, which screen readers and dumb terminals handle).
type huhPrompter struct {
	in         io.Reader
	out        io.Writer
	accessible bool
	theme      huh.Theme
}

func newHuhPrompter(in io.Reader, out io.Writer, accessible, noColor bool) *huhPrompter {
	theme := huh.ThemeFunc(huh.ThemeCharm)
	if noColor {
		// The base theme draws with borders and text only. Bubble Tea also
		// reads NO_COLOR itself and drops any colour left.
		theme = huh.ThemeFunc(huh.ThemeBase)
	}
	return &huhPrompter{in: in, out: out, accessible: accessible, theme: theme}
}

// run shows one field and waits for its answer. In accessible mode huh reads
// lines without watching ctx, so the form runs on a goroutine and a
// cancelled ctx (SIGINT arrives as a signal there, not a key) returns at
// once; the process is about to exit, so the blocked read is left behind.
func (p *huhPrompter) run(ctx context.Context, field huh.Field) error {
	form := huh.NewForm(huh.NewGroup(field)).
		WithAccessible(p.accessible).
		WithInput(p.in).
		WithOutput(p.out).
		WithTheme(p.theme).
		WithShowHelp(true)
	done := make(chan error, 1)
	go func() { done <- form.RunWithContext(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, huh.ErrUserAborted):
		return context.Canceled
	case err != nil:
		return fmt.Errorf("prompt failed: %w; pass the value as a flag instead, or use --no-input", err)
	}
	return nil
}

func (p *huhPrompter) Input(ctx context.Context, q Question) (string, error) {
	value := q.Default
	validate := func(s string) error {
		if q.Validate == nil {
			return nil
		}
		if strings.TrimSpace(s) == "" {
			s = q.Default
		}
		if err := q.Validate(s); err != nil {
			return errors.New(generator.SanitizeMessage(err.Error()))
		}
		return nil
	}
	field := huh.NewInput().Title(q.Title).Description(q.Help).Value(&value).Validate(validate)
	if err := p.run(ctx, field); err != nil {
		return "", err
	}
	if strings.TrimSpace(value) == "" {
		value = q.Default
	}
	// Accessible mode returns what it has at end of input without running
	// the validator again; check once more rather than trust it.
	if err := validate(value); err != nil {
		return "", fmt.Errorf("no valid answer for %s: %w", strings.ToLower(q.Title), err)
	}
	return value, nil
}

func (p *huhPrompter) Select(ctx context.Context, q Question, choices []Choice) (string, error) {
	value := q.Default
	opts := make([]huh.Option[string], len(choices))
	for i, c := range choices {
		opts[i] = huh.NewOption(c.Label, c.Value)
	}
	field := huh.NewSelect[string]().Title(q.Title).Description(q.Help).Options(opts...).Value(&value)
	if err := p.run(ctx, field); err != nil {
		return "", err
	}
	return value, nil
}

func (p *huhPrompter) Confirm(ctx context.Context, q Question) (bool, error) {
	value := q.Default == "yes"
	field := huh.NewConfirm().Title(q.Title).Description(q.Help).Affirmative("Yes").Negative("No").Value(&value)
	if err := p.run(ctx, field); err != nil {
		return false, err
	}
	return value, nil
}

func (p *huhPrompter) Note(title, body string) {
	fmt.Fprintf(p.out, "%s\n", title)
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintf(p.out, "  %s\n", line)
	}
	fmt.Fprintln(p.out)
}

// accessibleRequested reports whether the environment asks for plain line
// prompts: ACCESSIBLE (huh's convention) or STREAMGEN_ACCESSIBLE set to
// anything but "" or "0", or a dumb terminal.
func accessibleRequested(getenv func(string) string) bool {
	for _, k := range []string{"STREAMGEN_ACCESSIBLE", "ACCESSIBLE"} {
		if v := getenv(k); v != "" && v != "0" && !strings.EqualFold(v, "false") {
			return true
		}
	}
	return getenv("TERM") == "dumb"
}

// noColorRequested follows https://no-color.org: NO_COLOR set to anything
// but "" turns colour off.
func noColorRequested(getenv func(string) string) bool {
	return getenv("NO_COLOR") != ""
}

var _ Prompter = (*huhPrompter)(nil)

// isTerminal reports whether f is a terminal; a variable so tests can
// pretend.
var isTerminal = func(f *os.File) bool { return termIsTerminal(int(f.Fd())) }
