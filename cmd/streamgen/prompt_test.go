package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/generator"
)

func TestLinePrompterReasksUntilValid(t *testing.T) {
	var out bytes.Buffer
	p := newLinePrompter(strings.NewReader("My App\nhttp\nmy-app\n"), &out)
	got, err := p.Input(t.Context(), "Project name", "lowercase", generator.ValidateName)
	if err != nil || got != "my-app" {
		t.Fatalf("Input = %q, %v", got, err)
	}
	if strings.Count(out.String(), "Project name (lowercase): ") != 3 || !strings.Contains(out.String(), "must be lowercase") {
		t.Errorf("prompt output:\n%s", out.String())
	}
}

func TestLinePrompterGivesUp(t *testing.T) {
	var out bytes.Buffer
	p := newLinePrompter(strings.NewReader("A\nB\nC\nd\n"), &out)
	if _, err := p.Input(t.Context(), "Project name", "lowercase", generator.ValidateName); err == nil {
		t.Error("accepted after three invalid answers")
	}
	p = newLinePrompter(strings.NewReader(""), &out)
	if _, err := p.Input(t.Context(), "Project name", "lowercase", generator.ValidateName); err == nil || !strings.Contains(err.Error(), "pass it on the command line") {
		t.Errorf("EOF: err = %v", err)
	}
	// Ctrl-C while waiting for an answer: the prompt returns at once.
	blocked, _ := io.Pipe()
	p = newLinePrompter(blocked, &out)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.Input(ctx, "Project name", "lowercase", generator.ValidateName); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled prompt: err = %v", err)
	}
	p = newLinePrompter(strings.NewReader("last-line-without-newline"), &out)
	if got, err := p.Input(t.Context(), "Project name", "lowercase", generator.ValidateName); err != nil || got != "last-line-without-newline" {
		t.Errorf("unterminated line: %q, %v", got, err)
	}
}

// TestNewPromptsForMissingName drives runNew with a prompter, as a terminal
// session would.
func TestNewPromptsForMissingName(t *testing.T) {
	sandbox(t)
	var stdout, stderr bytes.Buffer
	a := &app{ctx: t.Context(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		prompter: newLinePrompter(strings.NewReader("prompted-app\n"), &stderr)}
	if code := a.run([]string{"new"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "prompted-app") {
		t.Errorf("stdout: %s", stdout.String())
	}
	// --no-input wins over a terminal.
	a.prompter = newLinePrompter(strings.NewReader("other-app\n"), &stderr)
	if code := a.run([]string{"new", "--no-input"}); code != exitUsage {
		t.Errorf("--no-input with a terminal: exit %d", code)
	}
}
