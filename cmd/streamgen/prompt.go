package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/streamgen/streamgen/generator"
)

// Prompter asks a person for values the flags left out. Commands call it only
// when stdin is a terminal and --no-input is not set; it fills the same
// options the flags fill, so the generator never knows where a value came
// from.
type Prompter interface {
	// Input asks for one line of text and re-asks until validate accepts it.
	// It returns ctx's error if ctx is cancelled (Ctrl-C) while it waits.
	Input(ctx context.Context, title, help string, validate func(string) error) (string, error)
}

// linePrompter asks on plain lines: a prompt on stderr, an answer read from
// stdin. It works on any terminal, including dumb ones and screen readers.
type linePrompter struct {
	lines <-chan lineResult
	out   io.Writer
}

type lineResult struct {
	line string
	err  error
}

// newLinePrompter reads in on a goroutine, one line per request, so a
// prompt can give up when its context is cancelled: a read from a terminal
// cannot be interrupted.
func newLinePrompter(in io.Reader, out io.Writer) *linePrompter {
	lines := make(chan lineResult)
	go func() {
		r := bufio.NewReader(in)
		for {
			line, err := r.ReadString('\n')
			lines <- lineResult{line, err}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	return &linePrompter{lines: lines, out: out}
}

// maxAttempts bounds re-asking, so a script feeding bad lines cannot loop.
const maxAttempts = 3

func (p *linePrompter) Input(ctx context.Context, title, help string, validate func(string) error) (string, error) {
	var lastErr error
	for range maxAttempts {
		fmt.Fprintf(p.out, "%s (%s): ", title, help)
		var res lineResult
		select {
		case <-ctx.Done():
			fmt.Fprintln(p.out)
			return "", ctx.Err()
		case r, ok := <-p.lines:
			if !ok {
				r = lineResult{err: io.EOF}
			}
			res = r
		}
		line, err := res.line, res.err
		if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
			return "", fmt.Errorf("no answer for %s: %v; pass it on the command line instead", strings.ToLower(title), err)
		}
		answer := strings.TrimRight(line, "\r\n")
		if lastErr = validate(answer); lastErr == nil {
			return answer, nil
		}
		fmt.Fprintf(p.out, "  %s\n", generator.SanitizeMessage(lastErr.Error()))
	}
	return "", lastErr
}
