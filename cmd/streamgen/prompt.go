package main

import (
	"bufio"
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
	Input(title, help string, validate func(string) error) (string, error)
}

// linePrompter asks on plain lines: a prompt on stderr, an answer read from
// stdin. It works on any terminal, including dumb ones and screen readers.
type linePrompter struct {
	in  *bufio.Reader
	out io.Writer
}

func newLinePrompter(in io.Reader, out io.Writer) *linePrompter {
	return &linePrompter{in: bufio.NewReader(in), out: out}
}

// maxAttempts bounds re-asking, so a script feeding bad lines cannot loop.
const maxAttempts = 3

func (p *linePrompter) Input(title, help string, validate func(string) error) (string, error) {
	var lastErr error
	for range maxAttempts {
		fmt.Fprintf(p.out, "%s (%s): ", title, help)
		line, err := p.in.ReadString('\n')
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
