package devserver

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The event follows the Function URL payload format 2.0.
func TestBuildEvent(t *testing.T) {
	r, _ := http.NewRequest("POST", "http://127.0.0.1:3000/a%20b/c?lang=en&tags=a&tags=b&empty=&x=%2F", strings.NewReader(""))
	r.Host = "127.0.0.1:3000"
	r.RemoteAddr = "127.0.0.5:51234"
	r.Proto = "HTTP/1.1"
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("User-Agent", "curl/8.5.0")
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Add("Cookie", "theme=dark; session=abc")
	r.Header.Add("Cookie", "third=3")
	received := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	raw, err := buildEvent(r, []byte(`{"message":"hello"}`), eventContext{
		requestID: "8f0e5a4c-1b2d-4e6f-9a8b-7c6d5e4f3a2b", urlID: urlID("fn"), region: "eu-west-1",
		traceID: "Root=1-65929e40-0123456789abcdef01234567", received: received,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := decodeEvent(t, raw)
	want := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": "/a%20b/c",
		"rawQueryString": "lang=en&tags=a&tags=b&empty=&x=%2F",
		"body":           `{"message":"hello"}`, "isBase64Encoded": false,
	}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s: %#v, want %#v", k, ev[k], v)
		}
	}
	if c := ev["cookies"].([]any); len(c) != 3 || c[0] != "theme=dark" || c[1] != "session=abc" || c[2] != "third=3" {
		t.Errorf("cookies %v", c)
	}
	h := ev["headers"].(map[string]any)
	for k, v := range map[string]string{
		"x-multi": "one,two", "user-agent": "curl/8.5.0", "content-type": "application/json; charset=utf-8",
		"host": "127.0.0.1:3000", "x-forwarded-for": "127.0.0.5", "x-forwarded-proto": "http", "x-forwarded-port": "3000",
		"x-amzn-trace-id": "Root=1-65929e40-0123456789abcdef01234567",
	} {
		if h[k] != v {
			t.Errorf("header %s: %v, want %q", k, h[k], v)
		}
	}
	if _, ok := h["cookie"]; ok {
		t.Error("the cookie header stayed in headers")
	}
	for k := range h {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lower case", k)
		}
	}
	q := ev["queryStringParameters"].(map[string]any)
	if q["lang"] != "en" || q["tags"] != "a,b" || q["empty"] != "" || q["x"] != "/" {
		t.Errorf("queryStringParameters %v", q)
	}
	rc := ev["requestContext"].(map[string]any)
	id := rc["apiId"].(string)
	if !regexp.MustCompile(`^[a-z2-7]{32}$`).MatchString(id) {
		t.Errorf("apiId %q is not like a Function URL id", id)
	}
	for k, v := range map[string]any{
		"accountId": "anonymous", "domainName": id + ".lambda-url.eu-west-1.on.aws", "domainPrefix": id,
		"requestId": "8f0e5a4c-1b2d-4e6f-9a8b-7c6d5e4f3a2b", "routeKey": "$default", "stage": "$default",
		"time": "01/Jan/2024:12:00:00 +0000", "timeEpoch": float64(1704110400000),
	} {
		if rc[k] != v {
			t.Errorf("requestContext.%s: %#v, want %#v", k, rc[k], v)
		}
	}
	httpc := rc["http"].(map[string]any)
	for k, v := range map[string]string{"method": "POST", "path": "/a%20b/c", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.5", "userAgent": "curl/8.5.0"} {
		if httpc[k] != v {
			t.Errorf("requestContext.http.%s: %v, want %q", k, httpc[k], v)
		}
	}
}

// Binary bodies are base64-encoded; text types are not; a GET without a
// body has neither body nor cookies nor query parameters.
func TestBuildEventBodies(t *testing.T) {
	for _, tc := range []struct {
		contentType string
		body        string
		base64      bool
	}{
		{"text/plain", "plain", false},
		{"text/html; charset=utf-8", "<p>", false},
		{"application/json", `{"a":1}`, false},
		{"application/xml", "<a/>", false},
		{"application/javascript", "x()", false},
		{"application/x-www-form-urlencoded", "a=1&b=2", true},
		{"application/octet-stream", "\x00\xff", true},
		{"image/png", "\x89PNG", true},
		{"", "no type", true},
	} {
		r, _ := http.NewRequest("POST", "http://localhost/", nil)
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		raw, _ := buildEvent(r, []byte(tc.body), eventContext{received: time.Now()})
		ev := decodeEvent(t, raw)
		want := tc.body
		if tc.base64 {
			want = base64.StdEncoding.EncodeToString([]byte(tc.body))
		}
		if ev["body"] != want || ev["isBase64Encoded"] != tc.base64 {
			t.Errorf("%q: body %v isBase64Encoded %v, want %q %v", tc.contentType, ev["body"], ev["isBase64Encoded"], want, tc.base64)
		}
	}
	r, _ := http.NewRequest("GET", "http://localhost/", nil)
	raw, _ := buildEvent(r, nil, eventContext{received: time.Now()})
	ev := decodeEvent(t, raw)
	for _, k := range []string{"body", "cookies", "queryStringParameters"} {
		if _, ok := ev[k]; ok {
			t.Errorf("a GET without body, cookies or query has %s: %v", k, ev[k])
		}
	}
	if ev["isBase64Encoded"] != false || ev["rawQueryString"] != "" {
		t.Errorf("isBase64Encoded %v rawQueryString %v", ev["isBase64Encoded"], ev["rawQueryString"])
	}
}

// Through the front end, the function gets what the client sent.
func TestFrontEndEvent(t *testing.T) {
	ts := newTestServer(t, 30)
	got := ts.request("PUT", "/items/1?force=true", http.Header{"Content-Type": {"application/octet-stream"}, "Cookie": {"a=1"}}, []byte{1, 2, 3})
	e := ts.env(nil)
	inv := next(t, e)
	ev := decodeEvent(t, inv.event)
	if ev["rawPath"] != "/items/1" || ev["rawQueryString"] != "force=true" || ev["body"] != "AQID" || ev["isBase64Encoded"] != true {
		t.Errorf("event %s", inv.event)
	}
	if h := ev["headers"].(map[string]any); h["content-length"] != "3" {
		t.Errorf("content-length %v", h["content-length"])
	}
	if m := ev["requestContext"].(map[string]any)["http"].(map[string]any)["method"]; m != "PUT" {
		t.Errorf("method %v", m)
	}
	st := openStream(t, e, inv.id, "text/plain")
	st.end("", "")
	receive(t, got)
}
