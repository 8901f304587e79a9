package devserver

import (
	"strings"
	"testing"
)

// The function's output is written line by line with a prefix; a "\r"
// inside a record is a line break too, a trailing one is dropped, and an
// unfinished line waits for its end (or the flush at exit).
func TestPrefixWriter(t *testing.T) {
	var out syncBuffer
	log := newLineLog(&out)
	w := newPrefixWriter(log, "[fn] ")
	w.Write([]byte("2026-11-27T08:00:00.000Z\tid\tINFO\tfirst\rsecond\nthird"))
	if got := out.String(); got != "[fn] 2026-11-27T08:00:00.000Z\tid\tINFO\tfirst\n[fn] second\n" {
		t.Errorf("got %q", got)
	}
	w.Write([]byte(" line\r\n"))
	w.Write([]byte("unfinished"))
	w.flush()
	want := "[fn] 2026-11-27T08:00:00.000Z\tid\tINFO\tfirst\n[fn] second\n[fn] third line\n[fn] unfinished\n"
	if got := out.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	long := strings.Repeat("x", maxLineBytes+10)
	w.Write([]byte(long))
	if !strings.Contains(out.String(), "[fn] "+strings.Repeat("x", maxLineBytes)) {
		t.Error("a line without a newline is held back past maxLineBytes")
	}
}
