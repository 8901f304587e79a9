package nodeclient

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeEvent is one invocation the fake Runtime API hands out.
type fakeEvent struct {
	Body    string
	Headers []field // extra headers for GET .../next, e.g. Lambda-Runtime-Cognito-Identity
}

// connRecord is one accepted TCP connection.
type connRecord struct {
	N        int
	Accepted time.Time
	bytes    atomic.Int64
	conn     net.Conn
}

// fakeAPI is a recording Runtime API server on 127.0.0.1. It reads raw bytes
// (no net/http), so the tests see every request exactly as it was sent:
// header order and case, chunk boundaries and trailers. It serves its events
// in order with request ids req-1, req-2, ..., answers every POST with 202,
// and holds GET .../next open once the events run out.
type fakeAPI struct {
	t  *testing.T
	ln net.Listener

	// discardBodies keeps chunk counts and sizes but not the bytes (for big streams).
	discardBodies bool
	// stallBodies delays reading a streamed body after its header block.
	stallBodies time.Duration

	mu       sync.Mutex
	events   []fakeEvent
	served   int
	requests []*wireRequest
	conns    []*connRecord
	nextAt   map[string]time.Time // request id -> when GET .../next answered with it
	done     chan struct{}
	closed   bool
}

func startFakeAPI(t *testing.T, events []fakeEvent) *fakeAPI {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAPI{t: t, ln: ln, events: events, done: make(chan struct{}), nextAt: map[string]time.Time{}}
	go a.accept()
	t.Cleanup(a.close)
	return a
}

func eventsFrom(bodies []string) []fakeEvent {
	events := make([]fakeEvent, len(bodies))
	for i, body := range bodies {
		events[i] = fakeEvent{Body: body}
	}
	return events
}

func (a *fakeAPI) addr() string { return a.ln.Addr().String() }

func (a *fakeAPI) close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	close(a.done)
	conns := a.conns
	a.mu.Unlock()
	a.ln.Close()
	for _, c := range conns {
		c.conn.Close()
	}
}

func (a *fakeAPI) accept() {
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.mu.Lock()
		rec := &connRecord{N: len(a.conns) + 1, Accepted: time.Now(), conn: conn}
		a.conns = append(a.conns, rec)
		a.mu.Unlock()
		go a.serve(rec)
	}
}

type countingReader struct {
	conn net.Conn
	rec  *connRecord
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.conn.Read(p)
	r.rec.bytes.Add(int64(n))
	return n, err
}

func (a *fakeAPI) serve(rec *connRecord) {
	defer rec.conn.Close()
	br := bufio.NewReaderSize(countingReader{rec.conn, rec}, 256<<10)
	for {
		req := &wireRequest{Conn: rec.N}
		hooks := requestHooks{
			discard: a.discardBodies,
			head: func(r *wireRequest) {
				a.mu.Lock()
				a.requests = append(a.requests, r)
				a.mu.Unlock()
			},
			beforeBody: func(r *wireRequest) {
				if a.stallBodies > 0 && r.Method == "POST" {
					time.Sleep(a.stallBodies)
				}
			},
			chunk: func(r *wireRequest, data []byte) {
				a.mu.Lock()
				if data != nil {
					r.Chunks = append(r.Chunks, data)
				}
				r.ChunkAt = append(r.ChunkAt, time.Now())
				a.mu.Unlock()
			},
		}
		err := readRequest(br, req, hooks)
		if err != nil {
			return
		}
		a.mu.Lock()
		req.Complete = true
		a.mu.Unlock()

		var answer string
		switch {
		case req.Method == "GET" && req.Target == "/2018-06-01/runtime/invocation/next":
			event, id, ok := a.nextEvent()
			if !ok {
				<-a.done // no more events: hold the long poll until the test ends
				return
			}
			answer = a.nextAnswer(event, id)
		case req.Method == "POST":
			answer = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n"
		default:
			answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
		}
		if _, err := rec.conn.Write([]byte(answer)); err != nil {
			return
		}
	}
}

func (a *fakeAPI) nextEvent() (fakeEvent, string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.served >= len(a.events) {
		return fakeEvent{}, "", false
	}
	event := a.events[a.served]
	a.served++
	id := fmt.Sprintf("req-%d", a.served)
	a.nextAt[id] = time.Now()
	return event, id, true
}

func (a *fakeAPI) nextAnswer(event fakeEvent, id string) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
	fmt.Fprintf(&b, "Lambda-Runtime-Aws-Request-Id: %s\r\n", id)
	fmt.Fprintf(&b, "Lambda-Runtime-Deadline-Ms: %d\r\n", time.Now().Add(30*time.Second).UnixMilli())
	b.WriteString("Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:fn\r\n")
	b.WriteString("Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\r\n")
	for _, h := range event.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h.Name, h.Value)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(event.Body), event.Body)
	return b.String()
}

// waitFor polls until cond holds (under the server's lock) or the timeout
// passes, and reports which.
func (a *fakeAPI) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		a.mu.Lock()
		ok := cond()
		a.mu.Unlock()
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// completed returns the finished requests with that method and target.
// Call with a.mu held (from waitFor) or after the traffic has stopped.
func (a *fakeAPI) completedLocked(method, target string) []*wireRequest {
	var out []*wireRequest
	for _, r := range a.requests {
		if r.Complete && r.Method == method && r.Target == target {
			out = append(out, r)
		}
	}
	return out
}

// waitRequest waits for a complete request and returns it, or fails the test.
func (a *fakeAPI) waitRequest(timeout time.Duration, method, target string, run *nodeRun) *wireRequest {
	a.t.Helper()
	var found *wireRequest
	ok := a.waitFor(timeout, func() bool {
		if got := a.completedLocked(method, target); len(got) > 0 {
			found = got[0]
			return true
		}
		return false
	})
	if !ok {
		a.t.Fatalf("no complete %s %s within %v\n%s", method, target, timeout, run.output())
	}
	return found
}

// snapshot returns the requests and connections seen so far.
func (a *fakeAPI) snapshot() ([]*wireRequest, []*connRecord) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*wireRequest(nil), a.requests...), append([]*connRecord(nil), a.conns...)
}
