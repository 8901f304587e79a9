package devserver

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// lineLog writes whole lines to a writer shared by goroutines. A nil
// writer discards.
type lineLog struct {
	mu  sync.Mutex
	out io.Writer
}

func newLineLog(out io.Writer) *lineLog { return &lineLog{out: out} }

// printf writes one line with the time of day in front.
func (l *lineLog) printf(format string, args ...any) {
	if l.out == nil {
		return
	}
	line := time.Now().Format("15:04:05.000") + " " + fmt.Sprintf(format, args...) + "\n"
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.out, line)
}

// writeLines writes lines, each already ending in "\n", in one go.
func (l *lineLog) writeLines(b []byte) {
	if l.out == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Write(b)
}

// maxLineBytes is where a line without a newline is written out anyway.
const maxLineBytes = 64 << 10

// prefixWriter is the function process's stdout or stderr: it writes each
// line to a lineLog with a prefix, so the function's output is told apart
// from streamgen's. A "\r" inside a line is a line break too: the runtime
// client writes a log record's own line breaks as "\r", as Lambda does.
type prefixWriter struct {
	log    *lineLog
	prefix []byte
	mu     sync.Mutex
	buf    []byte // an unfinished line
}

func newPrefixWriter(log *lineLog, prefix string) *prefixWriter {
	return &prefixWriter{log: log, prefix: []byte(prefix)}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	end := bytes.LastIndexByte(p.buf, '\n')
	if end < 0 && len(p.buf) >= maxLineBytes {
		end = len(p.buf) - 1
	}
	if end >= 0 {
		p.emit(p.buf[:end+1])
		rest := copy(p.buf, p.buf[end+1:])
		p.buf = p.buf[:rest]
	}
	return len(b), nil
}

// flush writes an unfinished last line.
func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		p.emit(p.buf)
		p.buf = p.buf[:0]
	}
}

// emit writes complete lines (the last may lack its "\n") with prefixes.
func (p *prefixWriter) emit(chunk []byte) {
	var out []byte
	for len(chunk) > 0 {
		line := chunk
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			line, chunk = chunk[:i], chunk[i+1:]
		} else {
			chunk = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		for _, part := range bytes.Split(line, []byte("\r")) {
			out = append(out, p.prefix...)
			out = append(out, part...)
			out = append(out, '\n')
		}
	}
	p.log.writeLines(out)
}
