package conformance

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/testtools"
)

// restKey is the API key the REST API servers take.
const restKey = "conformance-api-key-0123456789"

// TestRESTAPIConformance runs the fixture behind `streamgen dev` as a REST
// API stage with an API key, through the embedded client and the real
// aws-lambda-ric, and requires both to answer as API Gateway does: the
// Function URL scenarios that do not depend on the event's shape, with the
// REST API's 502; a write, a 400 ms pause and a second write as two
// pieces; the payload format 1.0 event; and the requests API Gateway
// refuses without invoking the function.
func TestRESTAPIConformance(t *testing.T) {
	fn, node := ricFixture(t)
	testtools.Record(t, "REST API front end: embedded client and aws-lambda-ric %s on Node.js %s", ricVersion(t), node.Version)
	common := []string{"--dir", fn, "--handler", "index.handler", "--timeout", "5", "--no-watch", "--front", "rest-api", "--stage", "prod", "--api-key", restKey}
	clients := []struct {
		name string
		dev  *devServer
	}{
		{"embedded", startDev(t, node, common...)},
		{"ric", startDev(t, node, append(common, "--ric")...)},
	}
	for _, c := range clients {
		if !strings.HasSuffix(c.dev.URL, "/prod/") {
			t.Fatalf("%s: endpoint %s, want the stage's URL", c.name, c.dev.URL)
		}
	}
	keyed := func(h http.Header) http.Header {
		out := h.Clone()
		if out == nil {
			out = http.Header{}
		}
		out.Set("X-Api-Key", restKey)
		return out
	}

	var shared []scenario
	for _, sc := range scenarios() {
		switch sc.name {
		case "plain", "status, headers and cookies", "setContentType", "error mid-stream", "empty body", "empty body after a prelude", "binary body", "20 MiB body":
			shared = append(shared, sc)
		case "error before the first write":
			sc.extra = func(t *testing.T, r *result) {
				if !strings.Contains(string(r.Body), `"message":"Internal server error"`) {
					t.Errorf("502 body %s, want API Gateway's message", r.Body)
				}
			}
			sc.goBodyDiffers = "the error body names the client's error type"
			shared = append(shared, sc)
		}
	}
	pause := scenario{name: "a write, a 400 ms pause, a second write", path: "/pause",
		want: expect{status: 200, header: map[string]string{"Content-Type": "text/plain"}, body: []byte("first\nsecond\n")},
		extra: func(t *testing.T, r *result) {
			b := r.Bursts()
			if len(b) != 2 || string(b[0].Data) != "first\n" || string(b[1].Data) != "second\n" {
				t.Fatalf("want two pieces, first\\n then second\\n; got %s", r.describe())
			}
			if gap := b[1].At - b[0].At; gap < 300*time.Millisecond || gap > 700*time.Millisecond {
				t.Errorf("the pieces arrived %v apart, want about 400 ms", gap)
			}
		},
		timing: func(r *result) []time.Duration {
			var out []time.Duration
			for _, b := range r.Bursts() {
				out = append(out, b.At)
			}
			return out
		}, slack: 200 * time.Millisecond}
	echo := scenario{name: "payload format 1.0 event", method: "POST", path: "/rest-echo/a%20b.txt?tag=x&tag=y&lang=en", reqBody: []byte("héllo"),
		reqHeader: http.Header{"Content-Type": {"text/plain"}, "X-Multi": {"one", "two"}, "User-Agent": {"conformance/1"}},
		want:      expect{status: 200, header: map[string]string{"Content-Type": "application/json"}},
		extra:     checkRESTEcho, comparable: comparableRESTEcho}

	for _, sc := range append(shared, pause, echo) {
		t.Run(sc.name, func(t *testing.T) {
			if sc.slow && testing.Short() {
				t.Skip("slow; skipped with -short")
			}
			got := map[string]*result{}
			for _, c := range clients {
				got[c.name] = runScenario(t, c.name, c.dev, sc, keyed(sc.reqHeader))
			}
			compareClients(t, sc, "embedded", got["embedded"], "ric", got["ric"], "")
		})
	}

	// API Gateway refuses these without invoking the function.
	t.Run("refused without invoking", func(t *testing.T) {
		for _, c := range clients {
			before := len(c.dev.Stdout())
			for _, req := range []struct {
				url    string
				header http.Header
			}{
				{c.dev.URL + "plain", nil},
				{c.dev.URL + "plain", http.Header{"X-Api-Key": {"not-the-key-at-all-000"}}},
				{strings.TrimSuffix(c.dev.URL, "prod/") + "staging/plain", keyed(nil)},
			} {
				r := call(t, "GET", req.url, nil, req.header)
				if r.Status != 403 || string(r.Body) != `{"message":"Forbidden"}` {
					t.Errorf("%s: %s: %s, want 403 Forbidden", c.name, req.url, r.describe())
				}
			}
			for deadline := time.Now().Add(5 * time.Second); len(c.dev.Stdout()) < before+3 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if strings.Contains(c.dev.Stderr(), "no scenario") {
				t.Errorf("%s: a refused request reached the function", c.name)
			}
		}
	})
}

// restEchoed is what the fixture's /rest-echo reports.
type restEchoed struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	Body                            string              `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	Stage                           string              `json:"stage"`
	ContextPath                     string              `json:"contextPath"`
	RequestID                       string              `json:"requestId"`
	Identity                        map[string]any      `json:"identity"`
}

func parseRESTEcho(t *testing.T, body []byte) restEchoed {
	t.Helper()
	var e restEchoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("rest-echo body is not JSON: %v\n%s", err, body)
	}
	return e
}

func checkRESTEcho(t *testing.T, r *result) {
	t.Helper()
	e := parseRESTEcho(t, r.Body)
	if e.Resource != "/{proxy+}" || e.Path != "/rest-echo/a%20b.txt" || e.HTTPMethod != "POST" || e.Stage != "prod" || e.ContextPath != "/prod/rest-echo/a%20b.txt" {
		t.Errorf("resource %q path %q method %q stage %q context path %q", e.Resource, e.Path, e.HTTPMethod, e.Stage, e.ContextPath)
	}
	if e.PathParameters["proxy"] != "rest-echo/a b.txt" {
		t.Errorf("pathParameters %v, want the decoded proxy path", e.PathParameters)
	}
	if e.Body != "héllo" || e.IsBase64Encoded {
		t.Errorf("body %q isBase64Encoded %v, want the text as sent", e.Body, e.IsBase64Encoded)
	}
	if !slices.Equal(e.MultiValueHeaders["X-Multi"], []string{"one", "two"}) || e.Headers["X-Multi"] != "two" {
		t.Errorf("X-Multi: multi %v single %q", e.MultiValueHeaders["X-Multi"], e.Headers["X-Multi"])
	}
	if !slices.Equal(e.MultiValueQueryStringParameters["tag"], []string{"x", "y"}) || e.QueryStringParameters["tag"] != "y" || e.QueryStringParameters["lang"] != "en" {
		t.Errorf("query: multi %v single %v", e.MultiValueQueryStringParameters, e.QueryStringParameters)
	}
	if e.Identity["apiKey"] != restKey || e.Identity["sourceIp"] != "127.0.0.1" || e.Identity["userAgent"] != "conformance/1" {
		t.Errorf("identity %v", e.Identity)
	}
	if got := r.Header.Values("X-Many"); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("X-Many %v: the prelude's multiValueHeaders must reach the caller", got)
	}
}

// comparableRESTEcho blanks what differs per request or per server.
func comparableRESTEcho(t *testing.T, body []byte) any {
	e := parseRESTEcho(t, body)
	e.RequestID = ""
	for _, m := range []map[string]string{e.Headers} {
		for k := range m {
			if k == "Host" || k == "X-Forwarded-Port" || k == "X-Amzn-Trace-Id" {
				m[k] = "(varies)"
			}
		}
	}
	for k := range e.MultiValueHeaders {
		if k == "Host" || k == "X-Forwarded-Port" || k == "X-Amzn-Trace-Id" {
			e.MultiValueHeaders[k] = nil
		}
	}
	return e
}
