package devserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Runtime API, version 2018-06-01, as the function process sees it. See
// the package comment of nodeclient and shared/wire/README.md for what the
// clients send.
const (
	apiPrefix = "/2018-06-01/runtime/"

	headerRequestID    = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline     = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN  = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID      = "Lambda-Runtime-Trace-Id"
	headerResponseMode = "Lambda-Runtime-Function-Response-Mode"
	headerErrorType    = "Lambda-Runtime-Function-Error-Type"
	trailerErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody   = "Lambda-Runtime-Function-Error-Body"

	// maxErrorBytes bounds an /error or /init/error body, which Lambda
	// limits like a buffered response.
	maxErrorBytes = MaxBufferedResponseBytes
)

// invocation is one event on its way through the function.
type invocation struct {
	id       string
	event    []byte
	traceID  string
	deadline time.Time

	// reply gets the function's answer: the first POST to /response or
	// /error for this id.
	reply chan *reply
	// abandoned is closed when the front end stops waiting without taking
	// the reply (the environment stopped first).
	abandoned     chan struct{}
	abandonedOnce sync.Once

	mu        sync.Mutex
	answering bool           // a /response or /error arrived
	crash     *FunctionError // an /error posted while the response stream was open
}

func newInvocation(id string, event []byte, traceID string) *invocation {
	return &invocation{
		id:        id,
		event:     event,
		traceID:   traceID,
		reply:     make(chan *reply, 1),
		abandoned: make(chan struct{}),
	}
}

func (inv *invocation) abandon() { inv.abandonedOnce.Do(func() { close(inv.abandoned) }) }

func (inv *invocation) crashError() *FunctionError {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.crash
}

type replyKind int

const (
	replyStream   replyKind = iota // a streamed /response: the front end reads req.Body
	replyBuffered                  // a buffered /response: body
	replyError                     // an /error: err
	replyTooLarge                  // a buffered /response over 6 MB
)

// reply is the function's answer to an invocation.
type reply struct {
	kind        replyKind
	req         *http.Request // the streamed POST
	body        []byte        // the buffered result
	contentType string        // the buffered result's
	err         *FunctionError
	// done gets, once the front end has finished with req.Body, the
	// status to answer the streamed POST with: 202, or 413 when the
	// stream went over the size limit.
	done chan int
}

// ServeHTTP is the Runtime API.
func (e *env) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		apiError(w, http.StatusNotFound, "UnknownPath", "no such Runtime API path: "+r.URL.Path)
		return
	}
	switch {
	case rest == "invocation/next":
		if allow(w, r, http.MethodGet) {
			e.next(w, r)
		}
	case rest == "init/error":
		if allow(w, r, http.MethodPost) {
			e.initError(w, r)
		}
	case strings.HasPrefix(rest, "invocation/"):
		id, action, _ := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		switch action {
		case "response":
			if allow(w, r, http.MethodPost) {
				e.response(w, r, id)
			}
		case "error":
			if allow(w, r, http.MethodPost) {
				e.invocationError(w, r, id)
			}
		default:
			apiError(w, http.StatusNotFound, "UnknownPath", "no such Runtime API path: "+r.URL.Path)
		}
	default:
		apiError(w, http.StatusNotFound, "UnknownPath", "no such Runtime API path: "+r.URL.Path)
	}
}

// allow answers 405 unless r uses method.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	apiError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed on "+r.URL.Path+"; use "+method)
	return false
}

// apiError answers with a JSON error in the shape of the Runtime API's own.
func apiError(w http.ResponseWriter, status int, errorType, message string) {
	body, _ := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// accepted answers 202 {"status":"OK"}, as Lambda does.
func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// next blocks until an invocation is queued, then hands it out.
func (e *env) next(w http.ResponseWriter, r *http.Request) {
	e.readyOnce.Do(func() {
		pid := ""
		if e.cmd != nil {
			pid = fmt.Sprintf("pid %d, ", e.cmd.Process.Pid)
		}
		e.s.log.printf("function ready (%shandler %s, initialized in %s)", pid, e.s.proj().Handler, roundDuration(time.Since(e.started)))
		close(e.ready)
	})
	select {
	case inv := <-e.queue:
		e.mu.Lock()
		e.current = inv
		e.mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set(headerRequestID, inv.id)
		h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(headerFunctionARN, e.s.arn)
		h.Set(headerTraceID, inv.traceID)
		h.Set("Content-Length", strconv.Itoa(len(inv.event)))
		w.WriteHeader(http.StatusOK)
		w.Write(inv.event)
	case <-r.Context().Done():
	case <-e.stopping:
	}
}

// running returns the invocation in progress if it has this id, or
// answers 400 when the id is unknown or stale.
func (e *env) running(w http.ResponseWriter, id string) *invocation {
	e.mu.Lock()
	inv := e.current
	stale := e.finished[id]
	e.mu.Unlock()
	if inv != nil && inv.id == id {
		return inv
	}
	msg := "unknown request id " + quote(id) + ": it is not the invocation in progress"
	if stale {
		msg = "request id " + quote(id) + " was already answered"
	}
	apiError(w, http.StatusBadRequest, "InvalidRequestID", msg)
	return nil
}

// claim returns the invocation in progress with this id and marks it
// answered, or answers 400 when the id is unknown, stale or already
// answered.
func (e *env) claim(w http.ResponseWriter, id string) *invocation {
	inv := e.running(w, id)
	if inv == nil {
		return nil
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.answering {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", "request id "+quote(id)+" was already answered")
		return nil
	}
	inv.answering = true
	return inv
}

// response takes POST /invocation/{id}/response. A streamed response is
// handed to the front end, which reads the body as it arrives; the POST is
// answered once the front end is done with it. A buffered one is read
// whole (at most 6 MB).
func (e *env) response(w http.ResponseWriter, r *http.Request, id string) {
	inv := e.claim(w, id)
	if inv == nil {
		return
	}
	// Answer without first draining the request body: a stream over the
	// limit gets its 413 while the function is still writing.
	http.NewResponseController(w).EnableFullDuplex()
	if !isStreamed(r) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBufferedResponseBytes+1))
		if err != nil {
			// The connection broke mid-body: the process is going away,
			// and the front end sees it stop.
			return
		}
		if len(body) > MaxBufferedResponseBytes {
			inv.reply <- &reply{kind: replyTooLarge}
			apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
				"Exceeded maximum allowed payload size ("+strconv.Itoa(MaxBufferedResponseBytes)+" bytes).")
			return
		}
		inv.reply <- &reply{kind: replyBuffered, body: body, contentType: r.Header.Get("Content-Type")}
		accepted(w)
		return
	}
	rep := &reply{kind: replyStream, req: r, done: make(chan int, 1)}
	inv.reply <- rep
	// r.Body must stay valid while the front end reads it, so wait.
	select {
	case status := <-rep.done:
		if status == http.StatusRequestEntityTooLarge {
			apiError(w, status, "RequestEntityTooLarge",
				"Exceeded maximum allowed payload size ("+strconv.FormatInt(e.s.limits.max, 10)+" bytes).")
			return
		}
		accepted(w)
	case <-inv.abandoned:
	}
}

// isStreamed tells a streamed response from a buffered one. The Node.js
// clients say so with Lambda-Runtime-Function-Response-Mode: streaming;
// aws-lambda-go (v1.40 on) never sends that header, but posts a streamed
// body chunked, without a length, and with an HTTP prelude its Content-Type
// is application/vnd.awslambda.http-integration-response. A buffered result
// comes with a Content-Length.
func isStreamed(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get(headerResponseMode), "streaming") ||
		r.ContentLength < 0 ||
		mediaType(r.Header.Get("Content-Type")) == integrationContentType
}

// invocationError takes POST /invocation/{id}/error: a buffered handler's
// error, or (while a response stream is still open) an uncaught exception
// that is about to take the process down.
func (e *env) invocationError(w http.ResponseWriter, r *http.Request, id string) {
	fe := readFunctionError(r)
	inv := e.running(w, id)
	if inv == nil {
		return
	}
	inv.mu.Lock()
	if inv.answering {
		if inv.crash == nil {
			inv.crash = fe
		}
		inv.mu.Unlock()
		accepted(w)
		return
	}
	inv.answering = true
	inv.mu.Unlock()
	inv.reply <- &reply{kind: replyError, err: fe}
	accepted(w)
}

// initError takes POST /init/error: the function could not load. Lambda
// discards such an environment, and so does the dev server once the answer
// is out.
func (e *env) initError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	e.mu.Lock()
	first := e.initErr == nil
	if first {
		e.initErr = fe
	}
	e.mu.Unlock()
	accepted(w)
	http.NewResponseController(w).Flush()
	if first {
		e.s.log.printf("init error: %s", sanitize(fe.Error()))
	}
	go e.stop(fe)
}

// readFunctionError reads an error body, {"errorType", "errorMessage",
// "trace"}, with the type from the Lambda-Runtime-Function-Error-Type header
// when the body has none.
func readFunctionError(r *http.Request) *FunctionError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBytes))
	fe := parseFunctionError(body)
	if fe.Type == "" {
		fe.Type = r.Header.Get(headerErrorType)
	}
	if fe.Type == "" {
		fe.Type = "Unknown"
	}
	return fe
}

// parseFunctionError reads {"errorType", "errorMessage", "trace"}; a body
// that is not such an object becomes the message.
func parseFunctionError(body []byte) *FunctionError {
	var fe FunctionError
	if err := json.Unmarshal(body, &fe); err != nil || (fe.Type == "" && fe.Message == "") {
		return &FunctionError{Message: strings.TrimSpace(string(body))}
	}
	return &fe
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
