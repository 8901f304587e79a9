package devserver

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls cond for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testServer is a Server whose function is played by the test itself (no
// process), behind an httptest front end.
type testServer struct {
	t      testing.TB
	s      *Server
	url    string // the Function URL, ending in "/"
	reqLog *syncBuffer
	log    *syncBuffer
}

func newTestServer(t testing.TB, timeout int) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{t: t, reqLog: &syncBuffer{}, log: &syncBuffer{}}
	p := &Project{Dir: dir, Name: "test-fn", TaskRoot: dir, Handler: "index.handler", Runtime: "nodejs24.x", Memory: 128, Timeout: timeout}
	s, err := New(Config{Project: p, Launch: launchExternal, RequestLog: ts.reqLog, Log: ts.log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	ts.s, ts.url = s, hs.URL+"/"
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return ts
}

// env waits for a running environment other than not (nil for any).
func (ts *testServer) env(not *env) *env {
	ts.t.Helper()
	var e *env
	waitFor(ts.t, 5*time.Second, "a function environment", func() bool {
		ts.s.mu.Lock()
		e = ts.s.env
		ts.s.mu.Unlock()
		return e != nil && e != not && !e.stopped()
	})
	return e
}

// fetched is a front-end response read to its end, with when each read
// arrived.
type fetched struct {
	resp    *http.Response
	body    []byte
	reads   []timedRead
	err     error // the body's read error, nil at a clean end
	started time.Time
}

type timedRead struct {
	at   time.Time
	data string
}

// request sends a request to the Function URL in the background; the
// channel gets the result once the body has ended.
func (ts *testServer) request(method, path string, header http.Header, body []byte) <-chan *fetched {
	out := make(chan *fetched, 1)
	go func() {
		req, _ := http.NewRequest(method, strings.TrimSuffix(ts.url, "/")+path, bytes.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		f := &fetched{started: time.Now()}
		client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		f.resp, f.err = client.Do(req)
		if f.err != nil {
			out <- f
			return
		}
		defer f.resp.Body.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := f.resp.Body.Read(buf)
			if n > 0 {
				f.body = append(f.body, buf[:n]...)
				f.reads = append(f.reads, timedRead{time.Now(), string(buf[:n])})
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				f.err = err
				break
			}
		}
		out <- f
	}()
	return out
}

func receive(t *testing.T, c <-chan *fetched) *fetched {
	t.Helper()
	select {
	case f := <-c:
		if f.resp == nil {
			t.Fatalf("request failed: %v", f.err)
		}
		return f
	case <-time.After(15 * time.Second):
		t.Fatal("no response within 15 s")
		return nil
	}
}

// nextInvocation is what GET /next returned.
type nextInvocation struct {
	id     string
	header http.Header
	event  []byte
}

// next does GET /invocation/next on e.
func next(t testing.TB, e *env) nextInvocation {
	t.Helper()
	resp, err := http.Get("http://" + e.addr + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		t.Fatalf("GET next: %v", err)
	}
	defer resp.Body.Close()
	event, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET next: %d %v", resp.StatusCode, err)
	}
	return nextInvocation{id: resp.Header.Get(headerRequestID), header: resp.Header, event: event}
}

// post sends a whole request to the Runtime API and returns the status
// and body of the answer.
func post(t *testing.T, e *env, path string, header http.Header, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.addr+"/2018-06-01/runtime/"+path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// rawStream is a streamed response written byte by byte over TCP, as
// aws-lambda-ric writes it.
type rawStream struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

// dial opens a raw connection to e's Runtime API.
func dial(t testing.TB, e *env) *rawStream {
	t.Helper()
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawStream{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// openStream starts a streamed response with aws-lambda-ric 4's headers.
func openStream(t testing.TB, e *env, id, contentType string) *rawStream {
	t.Helper()
	s := dial(t, e)
	s.write("POST /2018-06-01/runtime/invocation/" + id + "/response HTTP/1.1\r\n" +
		"Lambda-Runtime-Function-Response-Mode: streaming\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Type\r\n" +
		"Trailer: Lambda-Runtime-Function-Error-Body\r\n" +
		"Content-Type: " + contentType + "\r\n" +
		"Transfer-Encoding: chunked\r\n" +
		"Host: " + e.addr + "\r\n" +
		"Connection: keep-alive\r\n\r\n")
	return s
}

func (s *rawStream) write(raw string) {
	s.t.Helper()
	if _, err := io.WriteString(s.conn, raw); err != nil {
		s.t.Fatalf("writing to the Runtime API: %v", err)
	}
}

// chunk writes one chunk of the body.
func (s *rawStream) chunk(data string) { s.write(fmt.Sprintf("%x\r\n%s\r\n", len(data), data)) }

// end writes the last chunk, with an error in the trailers if errorType
// is not empty.
func (s *rawStream) end(errorType, errorMessage string) {
	if errorType == "" {
		s.write("0\r\n\r\n")
		return
	}
	body, _ := json.Marshal(map[string]any{"errorType": errorType, "errorMessage": errorMessage, "trace": []string{errorType + ": " + errorMessage, "    at handler (/var/task/index.mjs:1:1)"}})
	s.write("0\r\n" + trailerErrorType + ": " + errorType + "\r\n" + trailerErrorBody + ": " + base64.StdEncoding.EncodeToString(body) + "\r\n\r\n")
}

// answer reads the Runtime API's answer to the POST.
func (s *rawStream) answer() (int, string) {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		s.t.Fatalf("reading the Runtime API's answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// decodeEvent parses a Function URL event.
func decodeEvent(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, raw)
	}
	return ev
}
