package devserver

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newRESTServer is a testServer whose front end is a REST API stage
// "prod", with the given auth and function environment.
func newRESTServer(t *testing.T, auth string, env map[string]string) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{t: t, reqLog: &syncBuffer{}, log: &syncBuffer{}}
	p := &Project{Dir: dir, Name: "test-fn", TaskRoot: dir, Handler: "index.handler", Runtime: "nodejs24.x", Memory: 128, Timeout: 30,
		Front: FrontRestAPI, Stage: "prod", Auth: auth, Env: env}
	s, err := New(Config{Project: p, Launch: launchExternal, RequestLog: ts.reqLog, Log: ts.log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	ts.s, ts.url = s, hs.URL+"/prod/"
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return ts
}

// A request to the stage becomes a payload format 1.0 event: the path
// without the stage (percent-encoded as sent), every header and query
// value, the stage in requestContext, and a text body.
func TestRESTEvent(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	header := http.Header{"X-Multi": {"one", "two"}, "Cookie": {"a=1; b=2"}, "Content-Type": {"application/octet-stream"}, "User-Agent": {"rest-test/1"}}
	got := ts.request("POST", "/files/a%20b.txt?tag=x&tag=y&lang=en", header, []byte("héllo"))
	e := ts.env(nil)
	inv := next(t, e)
	ev := decodeEvent(t, inv.event)
	for key, want := range map[string]any{
		"resource": "/{proxy+}", "path": "/files/a%20b.txt", "httpMethod": "POST",
		"body": "héllo", "isBase64Encoded": false, "stageVariables": nil,
	} {
		if ev[key] != want {
			t.Errorf("event %s = %#v, want %#v", key, ev[key], want)
		}
	}
	if _, ok := ev["rawPath"]; ok {
		t.Error("a REST API event has no rawPath")
	}
	multi := ev["multiValueHeaders"].(map[string]any)
	if v := multi["X-Multi"].([]any); len(v) != 2 || v[0] != "one" || v[1] != "two" {
		t.Errorf("multiValueHeaders X-Multi = %v, want [one two]", v)
	}
	if h := ev["headers"].(map[string]any); h["X-Multi"] != "two" || h["Cookie"] != "a=1; b=2" || h["X-Forwarded-For"] != "127.0.0.1" {
		t.Errorf("headers = %v: want the last X-Multi, the Cookie header as sent, X-Forwarded-For", h)
	}
	if q := ev["queryStringParameters"].(map[string]any); q["tag"] != "y" || q["lang"] != "en" {
		t.Errorf("queryStringParameters = %v, want the last value of each", q)
	}
	if q := ev["multiValueQueryStringParameters"].(map[string]any)["tag"].([]any); len(q) != 2 || q[0] != "x" {
		t.Errorf("multiValueQueryStringParameters tag = %v, want [x y]", q)
	}
	if p := ev["pathParameters"].(map[string]any); p["proxy"] != "files/a b.txt" {
		t.Errorf("pathParameters = %v, want the decoded proxy path", p)
	}
	rc := ev["requestContext"].(map[string]any)
	if rc["stage"] != "prod" || rc["path"] != "/prod/files/a%20b.txt" || rc["requestId"] != inv.id || rc["resourcePath"] != "/{proxy+}" {
		t.Errorf("requestContext = %v", rc)
	}
	if id := rc["identity"].(map[string]any); id["sourceIp"] != "127.0.0.1" || id["userAgent"] != "rest-test/1" {
		t.Errorf("identity = %v", id)
	}
	st := openStream(t, e, inv.id, integrationContentType)
	st.chunk(`{"statusCode":200,"headers":{"content-type":"text/plain"},"multiValueHeaders":{"x-many":["a","b"]}}` + "\x00\x00\x00\x00\x00\x00\x00\x00")
	st.chunk("ok")
	st.end("", "")
	f := receive(t, got)
	if string(f.body) != "ok" || f.resp.StatusCode != 200 {
		t.Fatalf("got %d %q", f.resp.StatusCode, f.body)
	}
	if v := f.resp.Header.Values("X-Many"); len(v) != 2 {
		t.Errorf("X-Many = %v: a REST API sends multiValueHeaders", v)
	}
}

// The root of the stage is resource "/", without path parameters; a query
// string absent is null in both query maps.
func TestRESTRootEvent(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	got := ts.request("GET", "", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	ev := decodeEvent(t, inv.event)
	if ev["resource"] != "/" || ev["path"] != "/" || ev["pathParameters"] != nil || ev["queryStringParameters"] != nil || ev["multiValueQueryStringParameters"] != nil || ev["body"] != nil {
		t.Errorf("root event: %s", inv.event)
	}
	if status, _ := post(t, e, "invocation/"+inv.id+"/response", nil, `{"statusCode":204}`); status != 202 {
		t.Errorf("posting the response: %d", status)
	}
	receive(t, got)
}

// Another stage is refused, as is a request without the API key when the
// project's auth is api-key; neither reaches the function.
func TestRESTStageAndAPIKey(t *testing.T) {
	ts := newRESTServer(t, "api-key", nil)
	key := ts.s.APIKey()
	if len(key) < 20 {
		t.Fatalf("APIKey %q: want a made-up key", key)
	}
	base := strings.TrimSuffix(ts.url, "prod/")
	for _, c := range []struct {
		url, key string
	}{{base + "dev/hello", key}, {base + "hello", key}, {ts.url + "hello", ""}, {ts.url + "hello", "wrong"}} {
		req, _ := http.NewRequest("GET", c.url, nil)
		if c.key != "" {
			req.Header.Set("X-Api-Key", c.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || string(b) != `{"message":"Forbidden"}` {
			t.Errorf("%s (key %q): %d %s, want 403 Forbidden", c.url, c.key, resp.StatusCode, b)
		}
	}
	ts.s.mu.Lock()
	started := ts.s.env != nil
	ts.s.mu.Unlock()
	if started {
		t.Error("a refused request started the function")
	}
	got := ts.request("GET", "/hello", http.Header{"X-Api-Key": {key}}, nil)
	e := ts.env(nil)
	inv := next(t, e)
	rc := decodeEvent(t, inv.event)["requestContext"].(map[string]any)
	if id := rc["identity"].(map[string]any); id["apiKey"] != key || id["apiKeyId"] == nil {
		t.Errorf("identity = %v, want the API key and its id", id)
	}
	post(t, e, "invocation/"+inv.id+"/response", nil, `{"statusCode":200,"body":"hi"}`)
	if f := receive(t, got); f.resp.StatusCode != 200 || string(f.body) != "hi" {
		t.Errorf("with the key: %d %q", f.resp.StatusCode, f.body)
	}
}

// With CORS origins in the function's environment, the API answers
// preflight requests itself, naming only an allowed origin.
func TestRESTPreflight(t *testing.T) {
	ts := newRESTServer(t, "iam", map[string]string{"CORS_ALLOW_ORIGINS": "https://app.example.com"})
	for origin, want := range map[string]string{"https://app.example.com": "https://app.example.com", "https://evil.example": ""} {
		req, _ := http.NewRequest("OPTIONS", ts.url+"chat", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != want || resp.Header.Get("Access-Control-Allow-Methods") != "POST" {
			t.Errorf("preflight from %s: %d %v", origin, resp.StatusCode, resp.Header)
		}
	}
	// The template's lists, as API Gateway's MOCK gives them, whatever
	// was asked; and an OPTIONS request that is not a preflight is the
	// MOCK's too.
	ts.s.front.(*restFront).corsMethods, ts.s.front.(*restFront).corsHeaders = "OPTIONS,POST", "content-type"
	for _, asked := range []string{"DELETE", ""} {
		req, _ := http.NewRequest("OPTIONS", ts.url+"chat", nil)
		req.Header.Set("Origin", "https://app.example.com")
		if asked != "" {
			req.Header.Set("Access-Control-Request-Method", asked)
			req.Header.Set("Access-Control-Request-Headers", "x-evil")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Methods") != "OPTIONS,POST" || resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
			t.Errorf("OPTIONS asking %q: %d %v", asked, resp.StatusCode, resp.Header)
		}
	}
	ts.s.mu.Lock()
	defer ts.s.mu.Unlock()
	if ts.s.env != nil {
		t.Error("a preflight request started the function")
	}
}

// A failure before the first byte is API Gateway's 502.
func TestRESTFailureIs502(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	got := ts.request("GET", "/", nil, nil)
	e := ts.env(nil)
	inv := next(t, e)
	post(t, e, "invocation/"+inv.id+"/error", http.Header{"Lambda-Runtime-Function-Error-Type": {"Error"}}, `{"errorType":"Error","errorMessage":"boom"}`)
	f := receive(t, got)
	if f.resp.StatusCode != 502 || !strings.Contains(string(f.body), `"message":"Internal server error"`) || !strings.Contains(string(f.body), "boom") {
		t.Errorf("got %d %s, want 502 with API Gateway's message and the error", f.resp.StatusCode, f.body)
	}
}

// A stream that sends nothing for the idle timeout loses its caller, but
// the function runs on: its stream is read to the end and answered.
func TestRESTIdleTimeoutDropsTheCaller(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	ts.s.limits.idle = 300 * time.Millisecond
	got := ts.request("GET", "/slow", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "text/plain")
	st.chunk("first ")
	time.Sleep(700 * time.Millisecond)
	st.chunk("second")
	st.end("", "")
	if status, _ := st.answer(); status != 202 {
		t.Errorf("the function's stream was answered %d, want 202: it runs to its end", status)
	}
	f := receive(t, got)
	if string(f.body) != "first " || f.err == nil {
		t.Errorf("body %q err %v, want the first write and a cut connection", f.body, f.err)
	}
	waitFor(t, 2*time.Second, "the log line", func() bool { return strings.Contains(ts.reqLog.String(), "sent nothing for 300ms") })
}

// A stream is cut at the REST API's longest duration.
func TestRESTMaxDurationDropsTheCaller(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	ts.s.limits.maxDuration = 500 * time.Millisecond
	got := ts.request("GET", "/long", nil, nil)
	e := ts.env(nil)
	st := openStream(t, e, next(t, e).id, "text/plain")
	for range 8 {
		st.chunk("tick ")
		time.Sleep(100 * time.Millisecond)
	}
	st.end("", "")
	st.answer()
	f := receive(t, got)
	if n := strings.Count(string(f.body), "tick"); n < 3 || n > 7 || f.err == nil {
		t.Errorf("body %q err %v, want a few ticks, then a cut", f.body, f.err)
	}
	if !errors.Is(f.err, io.ErrUnexpectedEOF) && !strings.Contains(f.err.Error(), "EOF") {
		t.Errorf("err %v, want the connection closed mid-body", f.err)
	}
}

// A REST API streams its first 10 MB at full speed; a Function URL 6 MB.
func TestRESTLimits(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	if l := ts.s.limits; l.fullSpeed != 10<<20 || l.idle != 5*time.Minute || l.maxDuration != 15*time.Minute || l.max != MaxStreamedResponseBytes {
		t.Errorf("REST limits %+v", l)
	}
	if l := newTestServer(t, 30).s.limits; l.fullSpeed != FullSpeedBytes || l.idle != 0 || l.maxDuration != 0 {
		t.Errorf("Function URL limits %+v", l)
	}
}

// A body that is not UTF-8 arrives as text with its other bytes replaced,
// as API Gateway passes it without binary media types, and dev says so.
func TestRESTBinaryBodyNote(t *testing.T) {
	ts := newRESTServer(t, "iam", nil)
	got := ts.request("POST", "/up", http.Header{"Content-Type": {"image/png"}}, []byte{0x89, 'P', 'N', 'G', 0xff})
	e := ts.env(nil)
	inv := next(t, e)
	if ev := decodeEvent(t, inv.event); ev["body"] != "\uFFFDPNG\uFFFD" || ev["isBase64Encoded"] != false {
		t.Errorf("body %q isBase64Encoded %v", ev["body"], ev["isBase64Encoded"])
	}
	post(t, e, "invocation/"+inv.id+"/response", nil, `{"statusCode":200}`)
	receive(t, got)
	if !strings.Contains(ts.log.String(), "binaryMediaTypes") {
		t.Errorf("no note about the body in the log: %s", ts.log.String())
	}
}
