package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Result is one invocation as its caller saw it.
type Result struct {
	RequestID string
	Method    string
	Path      string // path and query, as requested

	Status    int           // the status sent; 0 if none was (the caller left first)
	Header    http.Header   // the headers sent
	Bytes     int64         // body bytes sent
	FirstByte time.Duration // from the request to the status line going out
	Duration  time.Duration // from the request to the end of the response

	// Err says why the response is not a complete success: the function's
	// error (a *FunctionError), its timeout, or a limit. Nil for a complete
	// response, whatever its status.
	Err error
	// Cut is set when the body was cut short after the status went out: the
	// connection was dropped without the body's proper end, as Lambda does.
	Cut bool
	// ClientGone is set when the caller went away before the end. A
	// function already running runs on to its end, as in Lambda.
	ClientGone bool

	ran bool // the function took the invocation
}

// Complete reports whether the whole response was delivered without an
// error.
func (r *Result) Complete() bool { return r.Err == nil && !r.Cut && !r.ClientGone }

// ServeHTTP is the Function URL: the request becomes an invocation and the
// function's response is sent as it arrives. When the body is cut short
// (the function failed after the first byte, timed out or went over 200
// MB), the connection is dropped without the final chunk, so the client sees
// a truncated body, as with Lambda.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Only callers that address this machine by a loopback name: a web page
	// the developer has open must not reach a function that runs with
	// their AWS credentials (by a cross-site request, or DNS rebinding).
	if !loopbackHost(r.Host) {
		http.Error(w, "streamgen dev answers only requests for 127.0.0.1, localhost or [::1], not "+strconv.Quote(r.Host), http.StatusForbidden)
		return
	}
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	if a := s.front.admit(r, false); a != nil {
		// Answered by the front end itself (a refused API key, a wrong
		// stage, a preflight request): the function is not invoked.
		res := &Result{RequestID: newUUID(), Method: r.Method, Path: r.URL.RequestURI()}
		out := newSink(w, res, time.Now())
		out.front = s.front
		out.send(a)
		res.Duration = time.Since(out.begin)
		s.logRequest(res)
		return
	}
	res := s.handle(r.Context(), w, r, nil)
	s.logRequest(res)
	if res.Cut {
		panic(http.ErrAbortHandler)
	}
}

// InvokeRequest runs one invocation for r, as the Function URL would, and
// writes the response body to out as it arrives (flushing out after each
// write if it has a Flush method). The Result has the status and headers.
func (s *Server) InvokeRequest(ctx context.Context, r *http.Request, out io.Writer) *Result {
	if r.Method == http.MethodHead {
		out = io.Discard // the front end sends no body for HEAD
	}
	w := &bodyWriter{out: out, header: http.Header{}}
	// The request names the function's path; the front end's (a REST
	// API's stage) goes before it.
	if base := s.front.base(); base != "/" {
		u := *r.URL
		u.Path = strings.TrimSuffix(base, "/") + r.URL.Path
		if r.URL.RawPath != "" {
			u.RawPath = strings.TrimSuffix(base, "/") + r.URL.RawPath
		}
		r = r.Clone(ctx)
		r.URL = &u
	}
	if a := s.front.admit(r, true); a != nil {
		res := &Result{RequestID: newUUID(), Method: r.Method, Path: r.URL.RequestURI()}
		out := newSink(w, res, time.Now())
		out.front = s.front
		out.send(a)
		return res
	}
	return s.handle(ctx, w, r, nil)
}

// InvokeEvent runs one invocation with a ready-made event (one of the
// project's front end, say, from a file) and writes the response body to
// out as InvokeRequest does. The response is read as the front end's.
func (s *Server) InvokeEvent(ctx context.Context, event []byte, out io.Writer) *Result {
	method, path, rawQuery := s.front.request(event)
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://localhost/", nil)
	r.Method, r.URL.Path, r.URL.RawQuery = method, path, rawQuery
	w := &bodyWriter{out: out, header: http.Header{}}
	return s.handle(ctx, w, r, event)
}

// handle turns r into an event (unless one is given), invokes the function
// and writes its response to w.
func (s *Server) handle(ctx context.Context, w http.ResponseWriter, r *http.Request, event []byte) *Result {
	start := time.Now()
	res := &Result{RequestID: newUUID(), Method: r.Method, Path: r.URL.RequestURI()}
	out := newSink(w, res, start)
	out.limits = s.limits
	out.front = s.front
	defer func() { res.Duration = time.Since(start) }()

	traceID := newTraceID()
	if event == nil {
		if r.ContentLength > MaxRequestBytes {
			// Refused without reading a body that cannot be used.
			out.tooLarge(fmt.Errorf("the request body (%d bytes) is over Lambda's %d-byte limit; the function was not invoked", r.ContentLength, MaxRequestBytes))
			return res
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
		if err != nil {
			res.ClientGone = true
			res.Err = fmt.Errorf("reading the request body: %v", err)
			return res
		}
		if len(body) > MaxRequestBytes {
			out.tooLarge(fmt.Errorf("the request body is over Lambda's %d-byte limit; the function was not invoked", MaxRequestBytes))
			return res
		}
		var note string
		event, note, err = s.front.event(r, body, eventContext{
			requestID: res.RequestID,
			urlID:     s.urlID,
			region:    s.region,
			traceID:   traceRoot(traceID),
			received:  start,
		})
		if err != nil {
			res.Err = fmt.Errorf("building the event: %v", err)
			out.sendJSON(http.StatusInternalServerError, map[string]string{"Message": res.Err.Error()})
			return res
		}
		if note != "" {
			s.log.printf("%s %s: %s", r.Method, sanitize(r.URL.RequestURI()), note)
		}
	}
	if len(event) > MaxRequestBytes {
		// Lambda's limit is on the event: a binary body grows by a third
		// when it is base64-encoded.
		out.tooLarge(fmt.Errorf("the event is %d bytes, over Lambda's %d-byte limit (a body that is not text is base64-encoded in it); the function was not invoked", len(event), MaxRequestBytes))
		return res
	}
	s.invoke(ctx, out, res, newInvocation(res.RequestID, event, traceID))
	return res
}

// invoke runs inv in the function and sends the response through out.
func (s *Server) invoke(ctx context.Context, out *sink, res *Result, inv *invocation) {
	// One invocation at a time per function process, as in Lambda;
	// concurrent requests queue here. A caller that leaves while queued is
	// dropped.
	if err := s.acquire(ctx); err != nil {
		res.ClientGone = true
		return
	}
	defer s.release()

	e, timer, ok := s.dispatch(ctx, out, res, inv)
	if !ok {
		return
	}
	res.ran = true
	defer func() {
		if !timer.Stop() && isTimeout(e) {
			s.background(func(ctx context.Context) {
				s.restart(ctx, e, fmt.Sprintf("the last invocation timed out after %d s", s.proj().Timeout), false)
			})
		}
	}()
	defer e.finish(inv)
	out.deadline = inv.deadline
	out.stopping = e.stopping
	out.throttle = s.cfg.Throttle

	var rep *reply
	select {
	case rep = <-inv.reply:
	case <-e.stopping:
		inv.abandon()
		out.functionError(e.failure(inv))
		return
	}

	switch rep.kind {
	case replyError:
		out.functionError(rep.err)
	case replyTooLarge:
		out.functionError(&FunctionError{Type: "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxBufferedResponseBytes)})
	case replyBuffered:
		resp, body, err := convertBuffered(rep.body, rep.contentType)
		if err != nil {
			out.functionError(&FunctionError{Type: "Runtime.InvalidResponse", Message: err.Error()})
			return
		}
		out.start(resp)
		out.write(body)
		out.finishBody()
	case replyStream:
		status := s.deliverStream(out, e, inv, rep)
		rep.done <- status
	}
}

// dispatch hands inv to the function once it waits for an invocation, and
// starts the timeout: when it passes, the environment is discarded (the
// process is killed and its Runtime API closed, which breaks a response
// stream in flight). A process that exits between invocations (a client
// that quits after an error, say) is replaced once, as Lambda would start
// a fresh environment. ok is false when the response is settled already:
// an init failure, or the caller left.
func (s *Server) dispatch(ctx context.Context, out *sink, res *Result, inv *invocation) (e *env, timer *time.Timer, ok bool) {
	timeoutSeconds := s.proj().Timeout
	timeout := time.Duration(timeoutSeconds) * time.Second
	for attempt := 0; ; attempt++ {
		e, err := s.readyEnv(ctx)
		if err != nil {
			var (
				fe *FunctionError
				se *startError
			)
			switch {
			case errors.As(err, &fe):
				out.functionError(fe)
			case errors.As(err, &se):
				out.functionError(&FunctionError{Type: "Runtime.Unavailable", Message: se.err.Error()})
			default: // the caller went away during init
				res.ClientGone = true
			}
			return nil, nil, false
		}
		inv.deadline = time.Now().Add(timeout)
		timer := time.AfterFunc(timeout, func() { e.stop(&timeoutError{timeoutSeconds}) })
		select {
		case e.queue <- inv:
			return e, timer, true
		case <-e.stopping:
			timer.Stop()
			var ee *exitError
			if attempt == 0 && errors.As(e.cause, &ee) && e.failure(nil).Type == "Runtime.ExitError" {
				continue
			}
			out.functionError(e.failure(inv))
			return nil, nil, false
		}
	}
}

func isTimeout(e *env) bool {
	var te *timeoutError
	return e.stopped() && errors.As(e.cause, &te)
}

// deliverStream forwards a streamed response: the prelude (if any) gives
// the status and headers, then every read of the function's body is
// written and flushed at once. It returns the status to answer the
// function's POST with.
func (s *Server) deliverStream(out *sink, e *env, inv *invocation, rep *reply) int {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	body := rep.req.Body

	// broken reports a failed read of the function's stream: the process
	// died, the timeout passed, or the stream itself broke.
	broken := func(err error) int {
		// A stream usually breaks because the process is dying: give the
		// exit a moment to be seen, so the error names it.
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-e.stopping:
		case <-t.C:
		}
		t.Stop()
		if e.stopped() {
			out.functionError(e.failure(inv))
		} else {
			out.functionError(&FunctionError{Type: "Runtime.StreamError", Message: "the function's response stream broke: " + err.Error()})
		}
		return http.StatusAccepted
	}
	// ended checks the trailers once the stream has ended cleanly.
	ended := func() *FunctionError {
		if t := rep.req.Trailer.Get(trailerErrorType); t != "" {
			return decodeErrorTrailer(t, rep.req.Trailer.Get(trailerErrorBody))
		}
		return nil
	}

	resp := httpResponse{status: http.StatusOK, header: http.Header{}}
	ct := rep.req.Header.Get("Content-Type")
	if mediaType(ct) == integrationContentType {
		prelude, rest, err := readPrelude(body, buf)
		switch {
		case errors.Is(err, errNoPrelude):
			if fe := ended(); fe != nil {
				out.functionError(fe)
				return http.StatusAccepted
			}
			// HttpResponseStream.from() followed by end() with no write
			// sends no prelude (upstream issue 97 of the Node.js runtime
			// interface client); Lambda then answers 502 or a plain 200.
			// Say so loudly rather than hide it.
			out.functionError(&FunctionError{Type: "Runtime.InvalidResponse",
				Message: "the response has no prelude (" + err.Error() + "): after HttpResponseStream.from(), write something (even \"\") before end()"})
			return http.StatusAccepted
		case errors.As(err, new(*preludeError)):
			out.functionError(&FunctionError{Type: "Runtime.InvalidResponse", Message: err.Error()})
			return http.StatusAccepted
		case err != nil:
			return broken(err)
		}
		resp = prelude
		// The status and headers go out as soon as the prelude is in, so
		// the caller sees them before the first body byte (an SSE client
		// opens its stream here).
		out.start(resp)
		if len(rest) > 0 && out.write(rest) {
			return s.overLimit(out)
		}
	} else {
		if ct == "" {
			ct = "application/octet-stream"
		}
		resp.header.Set("Content-Type", ct)
	}

	read := body.Read
	if out.limits.idle > 0 || out.limits.maxDuration > 0 {
		var stop func()
		read, stop = s.frontTimers(out, body)
		defer stop()
	}
	for {
		n, err := read(buf)
		if n > 0 {
			if !out.started {
				out.start(resp)
			}
			if out.write(buf[:n]) {
				return s.overLimit(out)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return broken(err)
		}
	}
	if fe := ended(); fe != nil {
		out.functionError(fe)
		return http.StatusAccepted
	}
	if !out.started {
		out.start(resp)
	}
	out.finishBody()
	return http.StatusAccepted
}

// frontTimers returns a read function for the function's stream that
// holds the front end's idle and total limits: when the stream sends
// nothing for limits.idle, or runs past limits.maxDuration, the caller's
// connection is dropped, as API Gateway does, and the reads go on so the
// function runs to its end. stop ends the reader.
func (s *Server) frontTimers(out *sink, body io.Reader) (read func([]byte) (int, error), stop func()) {
	type result struct {
		n   int
		err error
	}
	results := make(chan result)
	next := make(chan []byte)
	go func() {
		for buf := range next {
			n, err := body.Read(buf)
			results <- result{n, err}
			if err != nil {
				return
			}
		}
	}()
	var total <-chan time.Time
	if out.limits.maxDuration > 0 {
		t := time.NewTimer(time.Until(out.begin.Add(out.limits.maxDuration)))
		total = t.C
		stop = func() { t.Stop(); close(next) }
	} else {
		stop = func() { close(next) }
	}
	read = func(buf []byte) (int, error) {
		next <- buf
		var idle <-chan time.Time
		if out.limits.idle > 0 && !out.dropped {
			t := time.NewTimer(out.limits.idle)
			defer t.Stop()
			idle = t.C
		}
		for {
			select {
			case r := <-results:
				return r.n, r.err
			case <-idle:
				idle = nil
				out.drop(fmt.Errorf("the stream sent nothing for %v: the %s closed the connection (the function runs on)", out.limits.idle, s.front.name()))
			case <-total:
				total = nil
				out.drop(fmt.Errorf("the stream ran past %v: the %s closed the connection (the function runs on)", out.limits.maxDuration, s.front.name()))
			}
		}
	}
	return read, stop
}

// overLimit cuts a stream that went over 200 MB; the function's POST is
// answered 413, as Lambda's Runtime API does.
func (s *Server) overLimit(out *sink) int {
	out.cut(fmt.Errorf("the response went over Lambda's %d-byte streaming limit", out.limits.max))
	return http.StatusRequestEntityTooLarge
}

// logRequest writes the request's log line: method, path, status, time to
// first byte, bytes, total time, and what went wrong.
func (s *Server) logRequest(res *Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", res.Method, sanitize(res.Path), statusText(res.Status))
	if res.Status != 0 {
		fmt.Fprintf(&b, " ttfb=%s", roundDuration(res.FirstByte))
	}
	fmt.Fprintf(&b, " bytes=%d time=%s", res.Bytes, roundDuration(res.Duration))
	switch {
	case res.Cut:
		fmt.Fprintf(&b, " cut: %s", sanitize(res.Err.Error()))
	case res.Err != nil:
		fmt.Fprintf(&b, " error: %s", sanitize(res.Err.Error()))
	}
	switch {
	case res.ClientGone && res.ran:
		b.WriteString(" (the caller went away; the function ran to its end)")
	case res.ClientGone:
		b.WriteString(" (the caller went away before the function ran)")
	}
	s.reqLog.printf("%s", b.String())
}

func statusText(code int) string {
	if code == 0 {
		return "-"
	}
	return fmt.Sprint(code)
}

// sanitize escapes control characters in text from outside (a path, an
// error message), so a log line stays one line.
func sanitize(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	q := quote(s)
	return q[1 : len(q)-1]
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or localhost (with any port).
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
