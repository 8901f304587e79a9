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
	xterm "golang.org/x/term"
)

// Prompter asks a person for values the flags left out. The wizard is the
// only caller, and only when stdin is a terminal and neither --no-input nor
// --json is set. It fills the same options the flags fill, so the generator
// never knows where a value came from.
type Prompter interface {
	// Ask asks the questions in order, skipping each whose Skip reports
	// true when it is reached (Skip sees the answers given so far), and
	// stores every answer in its Value. It returns ctx's error, or
	// context.Canceled when the person presses Ctrl-C, so a cancelled
	// wizard writes nothing.
	Ask(ctx context.Context, questions []*Question) error
}

// Kind is the form of a question.
type Kind int

const (
	KindInput   Kind = iota // a line of text
	KindSelect              // one of Choices
	KindConfirm             // yes or no
)

// Question is one thing the wizard asks.
type Question struct {
	// Key identifies the question to tests: "name", "template", "iac",
	// "runtime", "arch", "auth", "param:TEMPLATE:KEY", "confirm".
	Key   string
	Kind  Kind
	Title string
	Help  string
	// Notice, when set, is text shown with the question and recomputed as
	// answers change: the warning for a public URL, the summary.
	// NoticeLines is the most lines it can take, so a form can keep room
	// for it.
	Notice      func() string
	NoticeLines int
	Choices     []Choice
	// Value holds the default when asked and the answer after; a confirm
	// answers "yes" or "no". An input answered with nothing keeps the
	// default.
	Value    *string
	Validate func(string) error // nil accepts anything
	Skip     func() bool        // nil asks always
}

func (q *Question) skipped() bool { return q.Skip != nil && q.Skip() }

// Choice is one option of a select.
type Choice struct {
	Value string
	Label string // what the person sees, e.g. "sam: AWS SAM template"
}

// huhPrompter asks with charm.land/huh: one full-screen form for the whole
// wizard in a capable terminal (hidden groups stand for skipped
// questions, so going back with shift+tab works), or huh's accessible mode
// (numbered choices and plain line prompts, which screen readers and dumb
// terminals handle), one question at a time.
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

func (p *huhPrompter) Ask(ctx context.Context, questions []*Question) error {
	if p.accessible {
		for _, q := range questions {
			if q.skipped() {
				continue
			}
			if err := p.askOne(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	// One form, so one terminal session: separate programs per question
	// each start and stop a terminal reader, and keys typed across the
	// switch can be lost.
	var groups []*huh.Group
	var finish []func() error
	for _, q := range questions {
		field, done := p.field(q, questions)
		g := huh.NewGroup(field)
		if q.Skip != nil {
			g = g.WithHideFunc(q.Skip)
		}
		groups = append(groups, g)
		finish = append(finish, done)
	}
	form := huh.NewForm(groups...)
	if h := p.formHeight(questions); h > 0 {
		form = form.WithHeight(h)
	}
	if err := p.run(ctx, form); err != nil {
		return err
	}
	for i, done := range finish {
		if questions[i].skipped() {
			continue
		}
		if err := done(); err != nil {
			return err
		}
	}
	return nil
}

// formHeight is the height to give every page of the form. huh sizes
// pages from their content when the form starts, so a notice that grows
// later (the summary fills in as answers come) would be cut off; this
// leaves room for each notice at its longest, wrapped lines counted
// double, within the terminal's height. 0 leaves the sizing to huh.
func (p *huhPrompter) formHeight(questions []*Question) int {
	h := 0
	for _, q := range questions {
		if q.Notice != nil {
			// title, help, choices, the notice, a blank line and key help
			h = max(h, 2+len(q.Choices)+2*q.NoticeLines+2)
		}
	}
	if h == 0 {
		return 0
	}
	if f, ok := p.out.(*os.File); ok {
		if _, rows, err := xterm.GetSize(int(f.Fd())); err == nil && rows > 4 {
			h = min(h, rows-1)
		}
	}
	return h
}

// askOne asks a single question in accessible mode. Notices are printed as
// plain lines: before a confirm (the summary), after a select (a warning
// about the choice).
func (p *huhPrompter) askOne(ctx context.Context, q *Question) error {
	if q.Kind == KindConfirm && q.Notice != nil {
		fmt.Fprintln(p.out, q.Notice())
	}
	field, done := p.field(q, nil)
	if err := p.run(ctx, huh.NewForm(huh.NewGroup(field))); err != nil {
		return err
	}
	if err := done(); err != nil {
		return err
	}
	if q.Kind == KindSelect && q.Notice != nil {
		if n := q.Notice(); n != "" {
			fmt.Fprintf(p.out, "%s\n\n", n)
		}
	}
	return nil
}

// field builds the huh field for q, and a function that checks and stores
// the answer once the form is done. all are the form's questions, whose
// answers the summary depends on.
func (p *huhPrompter) field(q *Question, all []*Question) (huh.Field, func() error) {
	switch q.Kind {
	case KindSelect:
		opts := make([]huh.Option[string], len(q.Choices))
		for i, c := range q.Choices {
			opts[i] = huh.NewOption(c.Label, c.Value)
		}
		f := huh.NewSelect[string]().Title(q.Title).Options(opts...).Value(q.Value)
		if q.Notice != nil && !p.accessible {
			// The warning follows the highlighted choice.
			f.DescriptionFunc(func() string { return joinLines(q.Help, q.Notice()) }, q.Value)
		} else {
			f.Description(q.Help)
		}
		return f, func() error { return nil }
	case KindConfirm:
		yes := *q.Value != "no"
		f := huh.NewConfirm().Title(q.Title).Affirmative("Yes").Negative("No").Value(&yes)
		if q.Notice != nil && !p.accessible {
			bindings := make([]*string, 0, len(all))
			for _, o := range all {
				bindings = append(bindings, o.Value)
			}
			f.DescriptionFunc(func() string { return joinLines(q.Help, q.Notice()) }, bindings)
		} else {
			f.Description(q.Help)
		}
		return f, func() error {
			*q.Value = map[bool]string{true: "yes", false: "no"}[yes]
			return nil
		}
	}
	def := *q.Value
	validate := func(s string) error {
		if strings.TrimSpace(s) == "" {
			s = def
		}
		if q.Validate == nil {
			return nil
		}
		if err := q.Validate(s); err != nil {
			return errors.New(generator.SanitizeMessage(err.Error()))
		}
		return nil
	}
	f := huh.NewInput().Title(q.Title).Value(q.Value).Validate(validate)
	if p.accessible {
		f.Description(q.Help)
	} else {
		// huh checks Validate when the answer is submitted; the description
		// re-checks on every keystroke too, so a bad value is flagged while
		// it is typed (the binding makes huh recompute it as Value changes).
		f.DescriptionFunc(func() string {
			if *q.Value == "" {
				return q.Help
			}
			if err := validate(*q.Value); err != nil {
				return joinLines(q.Help, "✗ "+err.Error())
			}
			return q.Help
		}, q.Value)
	}
	return f, func() error {
		if strings.TrimSpace(*q.Value) == "" {
			*q.Value = def
		}
		// Accessible mode returns what it has at the end of input without
		// running the validator again; check once more rather than trust it.
		if err := validate(*q.Value); err != nil {
			return fmt.Errorf("no valid answer for %s: %w; pass it as a flag instead", strings.ToLower(q.Title), err)
		}
		return nil
	}
}

func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

// run shows a form and waits for it. In accessible mode huh reads lines
// without watching ctx, so the form runs on a goroutine and a cancelled ctx
// (SIGINT arrives as a signal there, not a key) returns at once; the
// process is about to exit, so the blocked read is left behind.
func (p *huhPrompter) run(ctx context.Context, form *huh.Form) error {
	form = form.WithAccessible(p.accessible).
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
		return fmt.Errorf("prompt failed: %w; pass the values as flags instead, or use --no-input", err)
	}
	return nil
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
