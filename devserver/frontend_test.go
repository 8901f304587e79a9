package devserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Each chunk the function writes reaches the HTTP client as it is written:
// chunks 200 ms apart arrive about 200 ms apart.
func TestStreamChunksArriveAsWritten(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/stream", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	st := openStream(t, e, inv.id, "application/octet-stream")
	sent := make([]time.Time, 3)
	for i, c := range []string{"one", "two", "three"} {
		if i > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		sent[i] = time.Now()
		st.chunk(c)
	}
	st.end("", "")
	if status, body := st.answer(); status != 202 || body != `{"status":"OK"}` {
		t.Errorf("Runtime API answered %d %s, want 202 {\"status\":\"OK\"}", status, body)
	}

	f := receive(t, got)
	if f.err != nil || string(f.body) != "onetwothree" {
		t.Fatalf("body %q, err %v", f.body, f.err)
	}
	if ct := f.resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q, want the POST's application/octet-stream", ct)
	}
	if len(f.reads) != 3 {
		t.Fatalf("the client read %d times (%v), want one read per chunk", len(f.reads), f.reads)
	}
	for i, r := range f.reads {
		if lag := r.at.Sub(sent[i]); lag > 100*time.Millisecond {
			t.Errorf("chunk %d arrived %s after it was written", i, lag)
		}
		if i > 0 {
			if gap := r.at.Sub(f.reads[i-1].at); gap < 150*time.Millisecond || gap > 350*time.Millisecond {
				t.Errorf("chunks %d and %d arrived %s apart, want about 200ms", i-1, i, gap)
			}
		}
	}
	waitFor(t, 2*time.Second, "the request log line", func() bool { return strings.Contains(ts.reqLog.String(), "GET /stream 200 ttfb=") })
	if line := ts.reqLog.String(); !strings.Contains(line, "bytes=11 ") {
		t.Errorf("log line %q lacks bytes=11", line)
	}
}

// The prelude of HttpResponseStream.from sets status, headers and cookies;
// it goes out before the first body byte, as aws-lambda-ric splits it:
// the JSON, then the 8 NULs, then the body, each its own chunk.
func TestPreludeStatusHeadersCookies(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/prelude", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	st := openStream(t, e, inv.id, integrationContentType)
	st.chunk(`{"statusCode":201,"headers":{"x-a":"b","content-type":"text/event-stream","content-length":"999"},"cookies":["a=1; Path=/","b=2; HttpOnly"]}`)
	st.chunk("\x00\x00\x00\x00\x00\x00\x00\x00")

	// The status line and headers reach the client before any body byte.
	var f *fetched
	select {
	case <-got:
		t.Fatal("the response ended before the body was sent")
	case <-time.After(100 * time.Millisecond):
	}
	st.chunk("hello ")
	time.Sleep(50 * time.Millisecond)
	st.chunk("world\x00")
	st.end("", "")
	f = receive(t, got)
	if f.resp.StatusCode != 201 {
		t.Errorf("status %d, want 201", f.resp.StatusCode)
	}
	if v := f.resp.Header.Get("X-A"); v != "b" {
		t.Errorf("x-a %q, want b", v)
	}
	if ct := f.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want the prelude's text/event-stream", ct)
	}
	if cookies := f.resp.Header.Values("Set-Cookie"); len(cookies) != 2 || cookies[0] != "a=1; Path=/" || cookies[1] != "b=2; HttpOnly" {
		t.Errorf("Set-Cookie %q, want one per cookie", cookies)
	}
	if f.resp.ContentLength != -1 {
		t.Errorf("the prelude's content-length reached the client (%d); the body is framed locally", f.resp.ContentLength)
	}
	if string(f.body) != "hello world\x00" || f.err != nil {
		t.Errorf("body %q (err %v), want %q", f.body, f.err, "hello world\x00")
	}
}

// The headers of a prelude response go out as soon as the prelude is in.
func TestPreludeHeadersBeforeBody(t *testing.T) {
	ts := newTestServer(t, 30)
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get(ts.url + "sse")
		if err == nil {
			done <- resp
		}
	}()
	e := ts.env(nil)
	inv := next(t, e)
	st := openStream(t, e, inv.id, integrationContentType)
	st.chunk(`{"statusCode":200,"headers":{"content-type":"text/event-stream"}}`)
	st.chunk("\x00\x00\x00\x00\x00\x00\x00\x00")
	select {
	case resp := <-done:
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("Content-Type %q", ct)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no headers while the body had not started")
	}
	st.end("", "")
}

// setContentType sets the POST's Content-Type, which becomes the
// response's.
func TestSetContentType(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "text/plain")
	st.chunk("typed")
	st.end("", "")
	f := receive(t, got)
	if f.resp.StatusCode != 200 || f.resp.Header.Get("Content-Type") != "text/plain" || string(f.body) != "typed" {
		t.Errorf("got %d %q %q", f.resp.StatusCode, f.resp.Header.Get("Content-Type"), f.body)
	}
}

// An error after the first byte cuts the body: the client gets the bytes
// so far, then an unexpected EOF instead of the body's end.
func TestErrorAfterFirstByteCutsBody(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/mid", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "application/octet-stream")
	st.chunk("partial")
	time.Sleep(50 * time.Millisecond)
	st.end("Error", "boom mid-stream")
	if status, _ := st.answer(); status != 202 {
		t.Errorf("Runtime API answered %d, want 202", status)
	}
	f := receive(t, got)
	if f.resp.StatusCode != 200 || string(f.body) != "partial" {
		t.Errorf("got %d %q, want 200 and the bytes before the error", f.resp.StatusCode, f.body)
	}
	if !errors.Is(f.err, io.ErrUnexpectedEOF) {
		t.Errorf("body ended with %v, want unexpected EOF (a cut body)", f.err)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool {
		return strings.Contains(ts.reqLog.String(), "cut: Error: boom mid-stream")
	})
}

// An error before any byte is a 502 with a small JSON body.
func TestErrorBeforeFirstByteIs502(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/first", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "application/octet-stream")
	st.end("TypeError", "boom before any write")
	f := receive(t, got)
	if f.resp.StatusCode != 502 || f.resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q, want 502 JSON", f.resp.StatusCode, f.resp.Header.Get("Content-Type"))
	}
	var body map[string]string
	json.Unmarshal(f.body, &body)
	if body["errorType"] != "TypeError" || body["errorMessage"] != "boom before any write" {
		t.Errorf("body %s", f.body)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool {
		return strings.Contains(ts.reqLog.String(), "GET /first 502") && strings.Contains(ts.reqLog.String(), "error: TypeError: boom before any write")
	})
}

// A prelude response that ends with the error before any body byte still
// sent its status: the body is cut.
func TestPreludeThenErrorIsCut(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, integrationContentType)
	st.chunk(`{"statusCode":200}`)
	st.chunk("\x00\x00\x00\x00\x00\x00\x00\x00")
	st.end("Error", "late")
	f := receive(t, got)
	if f.resp.StatusCode != 200 || !errors.Is(f.err, io.ErrUnexpectedEOF) {
		t.Errorf("got %d, err %v; want 200 and a cut body", f.resp.StatusCode, f.err)
	}
}

// A prelude content type with no prelude at all (end() right after
// HttpResponseStream.from) is reported, not hidden.
func TestMissingPreludeIs502(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, integrationContentType)
	st.end("", "")
	f := receive(t, got)
	if f.resp.StatusCode != 502 || !strings.Contains(string(f.body), "no prelude") {
		t.Errorf("got %d %s, want 502 naming the missing prelude", f.resp.StatusCode, f.body)
	}
}

// A buffered (Content-Length) result is converted as a Function URL
// converts it.
func TestBufferedResponses(t *testing.T) {
	for _, tc := range []struct {
		name, result string
		status       int
		header       map[string]string
		cookies      []string
		body         string
	}{
		{"object with statusCode", `{"statusCode":200,"body":"buffered-body"}`, 200, nil, nil, "buffered-body"},
		{"headers and cookies", `{"statusCode":201,"headers":{"Content-Type":"text/plain","X-B":"c"},"cookies":["k=v; Max-Age=60"],"body":"made"}`, 201, map[string]string{"Content-Type": "text/plain", "X-B": "c"}, []string{"k=v; Max-Age=60"}, "made"},
		{"base64 body", `{"statusCode":200,"headers":{"content-type":"image/png"},"body":"` + base64.StdEncoding.EncodeToString([]byte("\x89PNG\x00")) + `","isBase64Encoded":true}`, 200, map[string]string{"Content-Type": "image/png"}, nil, "\x89PNG\x00"},
		{"string", `"Hello, world!"`, 200, map[string]string{"Content-Type": "application/json"}, nil, `"Hello, world!"`},
		{"object without statusCode", `{"message":"Hello, world!"}`, 200, map[string]string{"Content-Type": "application/json"}, nil, `{"message":"Hello, world!"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, 30)
			got := ts.request("GET", "/", nil, nil)
			e := ts.env(nil)
			inv := next(t, e)
			status, answer := post(t, e, "invocation/"+inv.id+"/response", http.Header{"Content-Type": {"application/json"}}, tc.result)
			if status != 202 || answer != `{"status":"OK"}` {
				t.Errorf("Runtime API answered %d %s", status, answer)
			}
			f := receive(t, got)
			if f.resp.StatusCode != tc.status || string(f.body) != tc.body {
				t.Errorf("got %d %q, want %d %q", f.resp.StatusCode, f.body, tc.status, tc.body)
			}
			for k, v := range tc.header {
				if got := f.resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if got := f.resp.Header.Values("Set-Cookie"); len(got) != len(tc.cookies) || len(got) > 0 && got[0] != tc.cookies[0] {
				t.Errorf("Set-Cookie %q, want %q", got, tc.cookies)
			}
		})
	}
}

// A buffered result over 6 MB gets 413 from the Runtime API and 502 at the
// Function URL.
func TestBufferedResponseTooLarge(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	big := `"` + strings.Repeat("x", MaxBufferedResponseBytes) + `"`
	status, _ := post(t, e, "invocation/"+inv.id+"/response", nil, big)
	if status != 413 {
		t.Errorf("Runtime API answered %d, want 413", status)
	}
	if f := receive(t, got); f.resp.StatusCode != 502 {
		t.Errorf("status %d, want 502", f.resp.StatusCode)
	}
}

// POST /invocation/{id}/error (a buffered handler's error) is a 502.
func TestInvocationErrorIs502(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	status, answer := post(t, e, "invocation/"+inv.id+"/error",
		http.Header{"Content-Type": {"application/json"}, headerErrorType: {"Error"}},
		`{"errorType":"Error","errorMessage":"buffered boom","trace":["Error: buffered boom"]}`)
	if status != 202 || answer != `{"status":"OK"}` {
		t.Errorf("Runtime API answered %d %s", status, answer)
	}
	f := receive(t, got)
	if f.resp.StatusCode != 502 || !strings.Contains(string(f.body), "buffered boom") {
		t.Errorf("got %d %s", f.resp.StatusCode, f.body)
	}
	// The id is answered now: a second answer is stale.
	if status, body := post(t, e, "invocation/"+inv.id+"/response", nil, `"late"`); status != 400 || !strings.Contains(body, "already answered") {
		t.Errorf("a second answer got %d %s, want 400", status, body)
	}
}

// POST /init/error fails the waiting request with the init error, and the
// environment is discarded: the next request gets a fresh one.
func TestInitErrorIs502AndRestarts(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	status, _ := post(t, e, "init/error", http.Header{headerErrorType: {"Runtime.ImportModuleError"}},
		`{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find module 'x'","trace":[]}`)
	if status != 202 {
		t.Errorf("Runtime API answered %d, want 202", status)
	}
	f := receive(t, got)
	if f.resp.StatusCode != 502 || !strings.Contains(string(f.body), "Runtime.ImportModuleError") {
		t.Errorf("got %d %s", f.resp.StatusCode, f.body)
	}
	if !strings.Contains(ts.log.String(), "init error: Runtime.ImportModuleError: Cannot find module 'x'") {
		t.Errorf("init error not logged: %s", ts.log.String())
	}
	got = ts.request("GET", "/again", nil, nil)
	e2 := ts.env(e)
	st := openStream(t, e2, next(t, e2).id, "text/plain")
	st.chunk("fresh")
	st.end("", "")
	if f := receive(t, got); f.resp.StatusCode != 200 || string(f.body) != "fresh" {
		t.Errorf("after the init error: %d %q", f.resp.StatusCode, f.body)
	}
}

// The function's timeout cuts a stream in progress, and the environment is
// replaced.
func TestTimeoutCutsStreamAndRestarts(t *testing.T) {
	ts := newTestServer(t, 1)
	got := ts.request("GET", "/slow", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	if dl := inv.header.Get(headerDeadline); dl == "" {
		t.Error("no deadline header")
	}
	st := openStream(t, e, inv.id, "text/plain")
	st.chunk("tick")
	start := time.Now()
	f := receive(t, got)
	if waited := time.Since(start); waited < 800*time.Millisecond || waited > 3*time.Second {
		t.Errorf("cut after %s, want about the 1 s timeout", waited)
	}
	if string(f.body) != "tick" || !errors.Is(f.err, io.ErrUnexpectedEOF) {
		t.Errorf("body %q err %v, want the first chunk and a cut", f.body, f.err)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool { return strings.Contains(ts.reqLog.String(), "cut: timed out after 1 s") })
	// A new environment waits for the next request.
	e2 := ts.env(e)
	if e2 == e {
		t.Fatal("the environment was not replaced")
	}
	waitFor(t, 2*time.Second, "the restart message", func() bool {
		return strings.Contains(ts.log.String(), "restarting the function: the last invocation timed out")
	})
}

// A handler that returns without ending its stream leaves the POST open
// without a byte (wire README item 6): the request fails at the timeout
// with a 502.
func TestOpenStreamWithoutBytesTimesOut(t *testing.T) {
	ts := newTestServer(t, 1)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	openStream(t, e, next(t, e).id, "application/octet-stream")
	f := receive(t, got)
	if f.resp.StatusCode != 502 || !strings.Contains(string(f.body), "Task timed out after 1.00 seconds") {
		t.Errorf("got %d %s", f.resp.StatusCode, f.body)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool {
		return strings.Contains(ts.reqLog.String(), "502") && strings.Contains(ts.reqLog.String(), "error: timed out after 1 s")
	})
}

// A request body over 6 MB is refused with 413 without invoking.
func TestRequestTooLarge(t *testing.T) {
	ts := newTestServer(t, 30)
	f := receive(t, ts.request("POST", "/", http.Header{"Content-Type": {"text/plain"}}, bytes.Repeat([]byte("x"), MaxRequestBytes+1)))
	if f.resp.StatusCode != 413 || !strings.Contains(string(f.body), "6291456") {
		t.Errorf("got %d %s, want 413", f.resp.StatusCode, f.body)
	}
	ts.s.mu.Lock()
	started := ts.s.env != nil
	ts.s.mu.Unlock()
	if started {
		t.Error("the function was started for a request it cannot take")
	}
	// Binary bodies are base64-encoded, so a smaller body can make an
	// event over the limit too.
	f = receive(t, ts.request("POST", "/", nil, bytes.Repeat([]byte{0xff}, 5<<20)))
	if f.resp.StatusCode != 413 {
		t.Errorf("a 5 MB binary body (a 6.7 MB event) got %d, want 413", f.resp.StatusCode)
	}
}

// A stream over the size limit is cut, and the function's POST gets 413.
func TestStreamOverLimitIsCut(t *testing.T) {
	ts := newTestServer(t, 30)
	ts.s.limits.max = 10
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "text/plain")
	st.chunk("123456")
	st.chunk("789012")
	if status, _ := st.answer(); status != 413 {
		t.Errorf("Runtime API answered %d, want 413", status)
	}
	f := receive(t, got)
	if string(f.body) != "1234567890" || !errors.Is(f.err, io.ErrUnexpectedEOF) {
		t.Errorf("body %q err %v, want 10 bytes and a cut", f.body, f.err)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool { return strings.Contains(ts.reqLog.String(), "cut: the response went over") })
}

// --throttle paces the stream after the full-speed part.
func TestThrottle(t *testing.T) {
	ts := newTestServer(t, 30)
	ts.s.cfg.Throttle = true
	ts.s.limits.fullSpeed, ts.s.limits.rate = 1000, 10000 // 10 kB/s after 1 kB
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "text/plain")
	start := time.Now()
	for range 4 {
		st.chunk(strings.Repeat("x", 1000))
	}
	st.end("", "")
	f := receive(t, got)
	// 3000 bytes after the first 1000 at 10 kB/s: about 300 ms (the
	// first throttled chunk starts the clock).
	if took := time.Since(start); took < 150*time.Millisecond || len(f.body) != 4000 {
		t.Errorf("4000 bytes took %s (got %d), want them paced", took, len(f.body))
	}
}

// Requests wait for each other: one invocation at a time.
func TestConcurrentRequestsQueue(t *testing.T) {
	ts := newTestServer(t, 30)
	first := ts.request("GET", "/first", nil, nil)
	e := ts.env(nil)
	inv1 := next(t, e)
	second := ts.request("GET", "/second", nil, nil)
	time.Sleep(100 * time.Millisecond)
	select {
	case <-second:
		t.Fatal("the second request finished while the first ran")
	default:
	}
	st := openStream(t, e, inv1.id, "text/plain")
	st.chunk("1")
	st.end("", "")
	inv2 := next(t, e)
	if path := decodeEvent(t, inv2.event)["rawPath"]; path != "/second" {
		t.Errorf("second invocation is for %v", path)
	}
	st2 := openStream(t, e, inv2.id, "text/plain")
	st2.chunk("2")
	st2.end("", "")
	if f := receive(t, first); string(f.body) != "1" {
		t.Errorf("first: %q", f.body)
	}
	if f := receive(t, second); string(f.body) != "2" {
		t.Errorf("second: %q", f.body)
	}
}

// A client that disconnects does not stop the function: its stream is read
// to the end and its POST answered 202.
func TestClientDisconnectFunctionRunsOn(t *testing.T) {
	ts := newTestServer(t, 30)
	resp := make(chan *http.Response, 1)
	go func() {
		r, err := http.Get(ts.url + "gone")
		if err == nil {
			resp <- r
		}
	}()
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "text/plain")
	st.chunk("first")
	r := <-resp
	buf := make([]byte, 5)
	io.ReadFull(r.Body, buf)
	r.Body.Close() // the client leaves
	time.Sleep(100 * time.Millisecond)
	for range 20 {
		st.chunk(strings.Repeat("y", 64<<10))
	}
	st.end("", "")
	if status, _ := st.answer(); status != 202 {
		t.Errorf("Runtime API answered %d, want 202", status)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool { return strings.Contains(ts.reqLog.String(), "the caller went away") })
}

// The Runtime API refuses unknown request ids, wrong methods and paths.
func TestRuntimeAPIErrors(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	for _, tc := range []struct {
		method, path string
		status       int
		errorType    string
	}{
		{"POST", "invocation/bogus/response", 400, "InvalidRequestID"},
		{"POST", "invocation/bogus/error", 400, "InvalidRequestID"},
		{"GET", "invocation/" + inv.id + "/response", 405, "MethodNotAllowed"},
		{"POST", "invocation/next", 405, "MethodNotAllowed"},
		{"GET", "init/error", 405, "MethodNotAllowed"},
		{"GET", "invocation/" + inv.id + "/other", 404, "UnknownPath"},
		{"GET", "nothing", 404, "UnknownPath"},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+e.addr+"/2018-06-01/runtime/"+tc.path, strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body["errorType"] != tc.errorType || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %v, want %d %s", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.errorType)
		}
	}
	resp, _ := http.Get("http://" + e.addr + "/2015-03-31/functions")
	if resp.StatusCode != 404 {
		t.Errorf("a path outside the Runtime API got %d", resp.StatusCode)
	}
	st := openStream(t, e, inv.id, "text/plain")
	st.end("", "")
	receive(t, got)
}

// GET /next carries the headers the runtime clients require.
func TestNextHeaders(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	before := time.Now()
	inv := next(t, e)
	h := inv.header
	if len(inv.id) != 36 || strings.Count(inv.id, "-") != 4 {
		t.Errorf("request id %q is not a UUID", inv.id)
	}
	if h.Get(headerFunctionARN) != "arn:aws:lambda:us-east-1:000000000000:function:test-fn" {
		t.Errorf("ARN %q", h.Get(headerFunctionARN))
	}
	if !strings.HasPrefix(h.Get(headerTraceID), "Root=1-") || !strings.Contains(h.Get(headerTraceID), ";Parent=") {
		t.Errorf("trace id %q", h.Get(headerTraceID))
	}
	if h.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	var ms int64
	if _, err := fmt.Sscan(h.Get(headerDeadline), &ms); err != nil || time.UnixMilli(ms).Sub(before) < 29*time.Second || time.UnixMilli(ms).Sub(before) > 31*time.Second {
		t.Errorf("deadline %q, want about 30 s from now", h.Get(headerDeadline))
	}
	ev := decodeEvent(t, inv.event)
	if rc := ev["requestContext"].(map[string]any); rc["requestId"] != inv.id {
		t.Errorf("requestContext.requestId %v, want the invocation's %s", rc["requestId"], inv.id)
	}
	st := openStream(t, e, inv.id, "text/plain")
	st.end("", "")
	receive(t, got)
}

// A 304 from the prelude sends no body, and that is no error; HEAD works.
func TestNoBodyStatusAndHead(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/cached", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, integrationContentType)
	st.chunk(`{"statusCode":304,"headers":{"etag":"\"x\""}}`)
	st.chunk("\x00\x00\x00\x00\x00\x00\x00\x00")
	st.chunk("ignored")
	st.end("", "")
	f := receive(t, got)
	if f.resp.StatusCode != 304 || len(f.body) != 0 || f.resp.Header.Get("Etag") != `"x"` {
		t.Errorf("got %d %q %v", f.resp.StatusCode, f.body, f.resp.Header)
	}
	got = ts.request("HEAD", "/head", nil, nil)
	st = openStream(t, e, next(t, e).id, "text/plain")
	st.chunk("not sent for HEAD")
	st.end("", "")
	if f := receive(t, got); f.resp.StatusCode != 200 || len(f.body) != 0 {
		t.Errorf("HEAD: %d %q", f.resp.StatusCode, f.body)
	}
	waitFor(t, 2*time.Second, "two log lines", func() bool { return strings.Count(ts.reqLog.String(), "\n") == 2 })
	if strings.Contains(ts.reqLog.String(), "went away") {
		t.Errorf("log:\n%s", ts.reqLog)
	}
}

// Every response carries the invocation's request id.
func TestResponseRequestID(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	st := openStream(t, e, inv.id, "text/plain")
	st.end("", "")
	if f := receive(t, got); f.resp.Header.Get("X-Amzn-Requestid") != inv.id {
		t.Errorf("x-amzn-requestid %q, want %q", f.resp.Header.Get("X-Amzn-Requestid"), inv.id)
	}
}

// aws-lambda-go streams without the response-mode header: a chunked body
// (and the prelude content type) is a stream all the same.
func TestStreamWithoutModeHeader(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	st := dial(t, e)
	st.write("POST /2018-06-01/runtime/invocation/" + next(t, e).id + "/response HTTP/1.1\r\n" +
		"Host: " + e.addr + "\r\nUser-Agent: Go-http-client/1.1\r\nTransfer-Encoding: chunked\r\n" +
		"Content-Type: " + integrationContentType + "\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n")
	st.chunk(`{"statusCode":202,"headers":{"x-go":"1"}}` + "\x00\x00\x00\x00\x00\x00\x00\x00")
	st.chunk("streamed")
	st.end("", "")
	f := receive(t, got)
	if f.resp.StatusCode != 202 || f.resp.Header.Get("X-Go") != "1" || string(f.body) != "streamed" {
		t.Errorf("got %d %v %q", f.resp.StatusCode, f.resp.Header, f.body)
	}
}

// A buffered result that is not JSON (a custom runtime's bytes) passes
// through with its Content-Type; claiming JSON and not being JSON is a 502.
func TestBufferedNotJSON(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	post(t, e, "invocation/"+next(t, e).id+"/response", http.Header{"Content-Type": {"text/csv"}}, "a,b\n1,2\n")
	if f := receive(t, got); f.resp.StatusCode != 200 || f.resp.Header.Get("Content-Type") != "text/csv" || string(f.body) != "a,b\n1,2\n" {
		t.Errorf("got %d %v %q", f.resp.StatusCode, f.resp.Header, f.body)
	}
	got = ts.request("GET", "/", nil, nil)
	post(t, e, "invocation/"+next(t, e).id+"/response", http.Header{"Content-Type": {"application/json"}}, "{broken")
	if f := receive(t, got); f.resp.StatusCode != 502 {
		t.Errorf("broken JSON: %d %q", f.resp.StatusCode, f.body)
	}
}

// TestForeignHostRefused: a request that names another host (a web page's
// cross-site request, or DNS rebinding) never reaches the function, which
// runs with the developer's AWS credentials.
func TestForeignHostRefused(t *testing.T) {
	ts := newTestServer(t, 30)
	req, _ := http.NewRequest("GET", ts.url+"env", nil)
	req.Host = "attacker.example:3000"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `not "attacker.example:3000"`) {
		t.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	if log := ts.reqLog.String(); log != "" {
		t.Errorf("the refused request was invoked: %s", log)
	}
	for _, host := range []string{"127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000", "127.0.0.1"} {
		if !loopbackHost(host) {
			t.Errorf("loopbackHost(%q) = false", host)
		}
	}
	for _, host := range []string{"attacker.example", "localhost.attacker.example:3000", "10.0.0.1:3000", ""} {
		if loopbackHost(host) {
			t.Errorf("loopbackHost(%q) = true", host)
		}
	}
}
