package devserver

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// capturedRead is one "RAW conn#N read" line of a capture: the bytes
// aws-lambda-ric sent in one read, and when.
type capturedRead struct {
	at   time.Duration
	conn int
	data string
}

var rawLine = regexp.MustCompile(`^\s*([0-9.]+)ms RAW conn#(\d+) read \d+ bytes: (".*")$`)

// readCapture parses the RAW lines of a capture in testdata/wire.
func readCapture(t *testing.T, name string) []capturedRead {
	t.Helper()
	f, err := os.Open("testdata/wire/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var reads []capturedRead
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		m := rawLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseFloat(m[1], 64)
		conn, _ := strconv.Atoi(m[2])
		data, err := strconv.Unquote(m[3])
		if err != nil {
			t.Fatalf("%s: cannot unquote %s: %v", name, m[3], err)
		}
		reads = append(reads, capturedRead{at: time.Duration(ms * float64(time.Millisecond)), conn: conn, data: data})
	}
	if len(reads) == 0 {
		t.Fatalf("%s has no RAW lines", name)
	}
	return reads
}

// capturedAnswer is everything the client sent to answer one invocation.
type capturedAnswer struct {
	requestID string // as captured: req-1, req-2...
	reads     []capturedRead
}

var answerLine = regexp.MustCompile(`^POST /2018-06-01/runtime/invocation/(req-\d+)/`)

// answers groups a capture's POST reads by invocation. Reads on the POST
// connection that do not start a request continue the last one.
func answers(reads []capturedRead) []capturedAnswer {
	var out []capturedAnswer
	for _, r := range reads {
		if strings.HasPrefix(r.data, "GET ") {
			continue
		}
		if m := answerLine.FindStringSubmatch(r.data); m != nil {
			out = append(out, capturedAnswer{requestID: m[1]})
		}
		if len(out) > 0 {
			last := &out[len(out)-1]
			last.reads = append(last.reads, r)
		}
	}
	return out
}

// replay plays a captured answer to the Runtime API over a raw connection,
// with the captured pauses between reads, for the invocation id. It returns
// the Runtime API's answer.
func replay(t *testing.T, e *env, a capturedAnswer, id string) (int, string) {
	t.Helper()
	conn := dial(t, e)
	reads := fixContentLength(a.reads)
	for i, r := range reads {
		if i > 0 {
			time.Sleep(r.at - reads[i-1].at)
		}
		conn.write(strings.Replace(r.data, "/invocation/"+a.requestID+"/", "/invocation/"+id+"/", 1))
	}
	return conn.answer()
}

var contentLengthLine = regexp.MustCompile(`(?i)\r\ncontent-length: \d+\r\n`)

// fixContentLength makes a captured Content-Length match the captured body.
// The captures had the paths in stack traces rewritten (see
// testdata/wire/README.md), which changed the length of error bodies but
// not the header.
func fixContentLength(reads []capturedRead) []capturedRead {
	head, _, ok := strings.Cut(reads[0].data, "\r\n\r\n")
	if !ok || !contentLengthLine.MatchString(head+"\r\n") {
		return reads
	}
	body := len(reads[0].data) - len(head) - 4
	for _, r := range reads[1:] {
		body += len(r.data)
	}
	out := append([]capturedRead(nil), reads...)
	out[0].data = contentLengthLine.ReplaceAllString(head+"\r\n", "\r\ncontent-length: "+strconv.Itoa(body)+"\r\n") + "\r\n" + reads[0].data[len(head)+4:]
	return out
}

// The bytes aws-lambda-ric 4.0.2 sent for six streaming handlers, replayed
// as captured, reach a Function URL client as Lambda delivers them.
func TestReplayRIC4StreamingCapture(t *testing.T) {
	captured := answers(readCapture(t, "ric4-wire.log"))
	if len(captured) != 6 {
		t.Fatalf("the capture has %d answers, want 6", len(captured))
	}
	type want struct {
		status      int
		contentType string
		header      [2]string
		body        string
		cut         bool
		minGap      time.Duration // between the client's reads
		errorType   string
	}
	wants := map[string]want{
		"req-1": {status: 200, contentType: "application/octet-stream", body: "a"},
		"req-2": {status: 200, contentType: "application/octet-stream", body: "chunk1chunk2end", minGap: 250 * time.Millisecond},
		"req-3": {status: 201, header: [2]string{"X-A", "b"}, body: "hello world"},
		"req-4": {status: 200, contentType: "text/plain", body: "typed"},
		"req-5": {status: 200, contentType: "application/octet-stream", body: "partial", cut: true},
		"req-6": {status: 502, contentType: "application/json", errorType: "TypeError"},
	}
	ts := newTestServer(t, 30)
	for _, a := range captured {
		t.Run(a.requestID, func(t *testing.T) {
			w := wants[a.requestID]
			got := ts.request("GET", "/"+a.requestID, nil, nil)
			e := ts.env(nil)
			inv := next(t, e)
			if status, answer := replay(t, e, a, inv.id); status != 202 || answer != `{"status":"OK"}` {
				t.Errorf("Runtime API answered %d %s, want 202 {\"status\":\"OK\"}", status, answer)
			}
			f := receive(t, got)
			if f.resp.StatusCode != w.status {
				t.Errorf("status %d, want %d", f.resp.StatusCode, w.status)
			}
			if w.contentType != "" && f.resp.Header.Get("Content-Type") != w.contentType {
				t.Errorf("Content-Type %q, want %q", f.resp.Header.Get("Content-Type"), w.contentType)
			}
			if w.header[0] != "" && f.resp.Header.Get(w.header[0]) != w.header[1] {
				t.Errorf("%s: %q, want %q", w.header[0], f.resp.Header.Get(w.header[0]), w.header[1])
			}
			if w.errorType != "" {
				var body map[string]string
				json.Unmarshal(f.body, &body)
				if body["errorType"] != w.errorType {
					t.Errorf("body %s, want errorType %s", f.body, w.errorType)
				}
			} else if string(f.body) != w.body {
				t.Errorf("body %q, want %q", f.body, w.body)
			}
			if cut := errors.Is(f.err, io.ErrUnexpectedEOF); cut != w.cut {
				t.Errorf("body ended with %v; cut %v, want %v", f.err, cut, w.cut)
			}
			for i := 1; w.minGap > 0 && i < len(f.reads); i++ {
				if gap := f.reads[i].at.Sub(f.reads[i-1].at); gap < w.minGap {
					t.Errorf("reads %d and %d %s apart, want the captured pause (over %s)", i-1, i, gap, w.minGap)
				}
			}
			if w.minGap > 0 && len(f.reads) != 3 {
				t.Errorf("the client read %d times, want once per write (3)", len(f.reads))
			}
		})
	}
}

// A buffered handler's result and its error, as aws-lambda-ric sent them.
func TestReplayRIC4BufferedCapture(t *testing.T) {
	captured := answers(readCapture(t, "ric4-buf-wire.log"))
	if len(captured) != 2 {
		t.Fatalf("the capture has %d answers, want 2", len(captured))
	}
	ts := newTestServer(t, 30)
	for i, want := range []struct {
		status int
		body   string
	}{{200, "buffered-body"}, {502, "buffered boom"}} {
		got := ts.request("GET", "/", nil, nil)
		e := ts.env(nil)
		inv := next(t, e)
		if status, _ := replay(t, e, captured[i], inv.id); status != 202 {
			t.Errorf("%s: Runtime API answered %d, want 202", captured[i].requestID, status)
		}
		f := receive(t, got)
		if f.resp.StatusCode != want.status || !strings.Contains(string(f.body), want.body) {
			t.Errorf("%s: got %d %s, want %d with %q", captured[i].requestID, f.resp.StatusCode, f.body, want.status, want.body)
		}
	}
}

// A streaming handler that returns without ending its stream: the client
// connects for its answer and sends nothing (ric4-return-wire.log). The
// invocation hangs until the timeout, then the caller gets 502.
func TestReplayRIC4ReturnOnlyCapture(t *testing.T) {
	ts := newTestServer(t, 1)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	next(t, e)
	dial(t, e) // connected, silent
	f := receive(t, got)
	if f.resp.StatusCode != 502 || !strings.Contains(string(f.body), "Sandbox.Timedout") {
		t.Errorf("got %d %s, want a 502 for the timeout", f.resp.StatusCode, f.body)
	}
}
