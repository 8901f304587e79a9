package devserver

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// sink writes one Function URL response to the caller and records what
// went out in a Result. Every body write is flushed at once; a failed write
// means the caller is gone, and later writes are dropped so the function's
// stream can still be read to its end.
type sink struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	res   *Result
	begin time.Time

	started bool // the status line went out
	noBody  bool // the status allows no body (204, 304): body bytes are dropped
	gone    bool // a write failed: the caller left
	sent    int64

	// deadline is the invocation's: no write may block past it.
	deadline time.Time
	// stopping is closed when the environment stops (a timeout), which
	// ends a throttling pause early.
	stopping <-chan struct{}

	limits       streamLimits
	throttle     bool
	throttleFrom time.Time // when the stream passed limits.fullSpeed

	front frontEnd // answers failures in the front end's words
	// dropped is set when the front end gave up on the stream (idle, or
	// too long) and closed the caller's connection; the function runs on.
	dropped bool
}

// streamLimits are the size, pacing and duration limits of a streamed
// response. Tests shrink them.
type streamLimits struct {
	max       int64   // bytes; the response is cut beyond
	fullSpeed int64   // bytes sent unthrottled
	rate      float64 // bytes per second after fullSpeed, with throttling
	// idle and maxDuration, when not zero, are how long the front end
	// waits for the next byte and for the whole stream before it closes
	// the caller's connection.
	idle        time.Duration
	maxDuration time.Duration
}

var lambdaStreamLimits = streamLimits{max: MaxStreamedResponseBytes, fullSpeed: FullSpeedBytes, rate: ThrottleBytesPerSecond}

// writeGrace is how long past the invocation's deadline (or now, if that
// has passed) a write to the caller may block.
const writeGrace = 5 * time.Second

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func newSink(w http.ResponseWriter, res *Result, begin time.Time) *sink {
	return &sink{w: w, rc: http.NewResponseController(w), res: res, begin: begin, limits: lambdaStreamLimits}
}

// start sends the status line and headers.
func (o *sink) start(resp httpResponse) {
	if o.started || o.dropped {
		return
	}
	o.started = true
	h := o.w.Header()
	if o.front != nil {
		resp = o.front.shape(resp)
	}
	resp.apply(h)
	// As a Function URL does: the caller can match a response with the
	// function's log lines.
	h.Set("X-Amzn-Requestid", o.res.RequestID)
	if _, ok := h["Content-Type"]; !ok {
		// Send no Content-Type rather than let net/http guess one.
		h["Content-Type"] = nil
	}
	if !o.deadline.IsZero() {
		// A caller that stops reading must not hold the function past its
		// timeout; the grace leaves time to send a 502 after it.
		// (InvokeRequest's writer has no deadlines: fine.)
		o.rc.SetWriteDeadline(later(o.deadline, time.Now()).Add(writeGrace))
	}
	o.w.WriteHeader(resp.status)
	o.noBody = resp.status == http.StatusNoContent || resp.status == http.StatusNotModified
	o.res.Status = resp.status
	o.res.Header = h.Clone()
	if o.res.Header["Content-Type"] == nil {
		delete(o.res.Header, "Content-Type")
	}
	if err := o.rc.Flush(); err != nil {
		o.leave()
	}
	o.res.FirstByte = time.Since(o.begin)
}

// write sends p and flushes it. It reports true when p takes the response
// over the 200 MB streaming limit; then only the part within the limit is
// sent.
func (o *sink) write(p []byte) (overLimit bool) {
	if room := o.limits.max - o.sent; int64(len(p)) > room {
		p, overLimit = p[:room], true
	}
	if len(p) == 0 {
		return overLimit
	}
	if !o.gone && !o.noBody && !o.dropped {
		if _, err := o.w.Write(p); err != nil {
			o.leave()
		} else if err := o.rc.Flush(); err != nil {
			o.leave()
		} else {
			o.res.Bytes += int64(len(p))
		}
	}
	o.sent += int64(len(p))
	if o.throttle {
		o.pace()
	}
	return overLimit
}

// pace holds the stream to limits.rate once it has passed
// limits.fullSpeed, as Lambda does.
func (o *sink) pace() {
	if o.sent <= o.limits.fullSpeed {
		return
	}
	now := time.Now()
	if o.throttleFrom.IsZero() {
		o.throttleFrom = now
	}
	// The bytes past fullSpeed may take (bytes / rate) since the stream
	// got there; wait for whatever is left of that.
	due := o.throttleFrom.Add(time.Duration(float64(o.sent-o.limits.fullSpeed) / o.limits.rate * float64(time.Second)))
	if wait := due.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-o.stopping:
		}
	}
}

func (o *sink) leave() {
	o.gone = true
	o.res.ClientGone = true
}

// finishBody ends a complete response. (net/http sends the final chunk
// when the handler returns.)
func (o *sink) finishBody() {
	if !o.deadline.IsZero() {
		o.rc.SetWriteDeadline(time.Time{})
	}
}

// cut ends the response early, after its status went out: err says why.
// ServeHTTP then drops the connection without the final chunk.
func (o *sink) cut(err error) {
	o.res.Err = err
	o.res.Cut = true
}

// functionError reports a failed invocation: the front end's 502 if
// nothing was sent yet, a cut body otherwise.
func (o *sink) functionError(fe *FunctionError) {
	if o.dropped {
		return // the caller's connection is closed already
	}
	if o.started {
		o.cut(fe)
		return
	}
	o.res.Err = fe
	o.send(o.front.failure(fe))
}

// tooLarge refuses a request over Lambda's payload limit with the front
// end's 413.
func (o *sink) tooLarge(err error) {
	o.res.Err = err
	o.send(o.front.tooLarge())
}

// send sends a whole answer of the front end's own.
func (o *sink) send(a *answer) {
	o.start(httpResponse{status: a.status, header: a.header.Clone()})
	o.write(a.body)
	o.finishBody()
}

// drop ends the caller's response now, as a front end does when it gives
// up on a stream, while the function runs on: the connection is closed
// (hijacked, where the writer allows it) and later writes are discarded.
func (o *sink) drop(err error) {
	if o.dropped {
		return
	}
	o.cut(err)
	o.dropped = true
	if conn, _, herr := o.rc.Hijack(); herr == nil {
		conn.Close()
	}
}

// sendJSON sends a whole JSON response.
func (o *sink) sendJSON(status int, v any) {
	b, _ := json.Marshal(v)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	o.start(httpResponse{status: status, header: h})
	o.write(b)
	o.finishBody()
}

// bodyWriter is the http.ResponseWriter of InvokeRequest and InvokeEvent:
// the body goes straight to an io.Writer, the status and headers are kept
// for the Result.
type bodyWriter struct {
	out    io.Writer
	header http.Header
}

func (w *bodyWriter) Header() http.Header         { return w.header }
func (w *bodyWriter) WriteHeader(int)             {}
func (w *bodyWriter) Write(p []byte) (int, error) { return w.out.Write(p) }

// FlushError flushes the output if it buffers.
func (w *bodyWriter) FlushError() error {
	switch f := w.out.(type) {
	case interface{ Flush() error }:
		return f.Flush()
	case interface{ Flush() }:
		f.Flush()
	}
	return nil
}
