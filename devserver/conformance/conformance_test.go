// Package conformance drives `streamgen dev` from the outside, the way a
// user's HTTP client meets it, and holds it to what AWS's own runtime
// clients do. It has only tests.
//
// TestStreamingConformance runs every scenario of one fixture handler
// (testdata/fn/index.mjs) through three function processes behind
// `streamgen dev`: streamgen's embedded Node.js runtime client, the real
// aws-lambda-ric that AWS ships in its Node.js images (provisioned by
// internal/testtools, built for and run on Node.js 24 as the nodejs24.x
// runtime pairs them), and a Go function built with the official
// aws-lambda-go library (devserver/internal/gofunction). It records status,
// headers, body bytes, when each piece of the body arrived and whether the
// body was cut, and requires the three to agree.
//
// TestInvoke does the same for a few scenarios through `streamgen invoke`,
// TestLimits checks the 200 MB response cap and --throttle, and
// TestTemplatesThroughDev runs the generated projects (the golden folders)
// under `streamgen dev` against local stand-ins for S3 and model APIs.
//
// The real runtime client is required, never skipped: internal/testtools
// installs it on first use. `go test -short` skips the slow parts:
// the 20 MiB body, the timeouts, the limits and the generated projects.
package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/streamgen/streamgen/internal/testtools"
)

// The Node.js fixture and the Go function write these; keep in step with
// testdata/fn/index.mjs and devserver/internal/gofunction.
const (
	largeSize       = 20 << 20
	functionTimeout = 2 * time.Second
	tickGap         = 250 * time.Millisecond
	// tickSlack is how far a gap between timed chunks may stray from
	// tickGap: generous, as these machines are shared.
	tickSlack = 150 * time.Millisecond
)

func largeBody() []byte {
	b := make([]byte, largeSize)
	for i := range b {
		b[i] = byte(i*7 + i>>16)
	}
	return b
}

// scenario is one request to the fixture and what any correct runtime
// client and front end must answer.
// runScenario sends sc's request to dev with header, and checks the
// response in a subtest named for the client; it returns the response for
// comparing clients.
func runScenario(t *testing.T, client string, dev *devServer, sc scenario, header http.Header) *result {
	t.Helper()
	method := sc.method
	if method == "" {
		method = "GET"
	}
	r := call(t, method, strings.TrimSuffix(dev.URL, "/")+sc.path, sc.reqBody, header)
	t.Run(client, func(t *testing.T) {
		t.Logf("%s %s: %s", method, sc.path, r.describe())
		checkCommon(t, r)
		sc.want.check(t, r)
		if sc.extra != nil {
			sc.extra(t, r)
		}
	})
	return r
}

type scenario struct {
	name      string
	method    string
	path      string
	reqBody   []byte
	reqHeader http.Header
	slow      bool // skipped with -short
	want      expect
	// extra checks what expect cannot say.
	extra func(t *testing.T, r *result)
	// comparable maps a body to what must be equal across clients; nil
	// compares the bytes.
	comparable func(t *testing.T, body []byte) any
	// goBodyDiffers says why the Go function's body may differ from the
	// Node.js clients' in this scenario; empty means it may not.
	goBodyDiffers string
	// timing, when set, picks the moments of a response that must agree
	// across clients within slack.
	timing func(r *result) []time.Duration
	slack  time.Duration
}

// expect is the part of a response every client must produce exactly.
type expect struct {
	status int
	// header holds exact values; "" means the header must be absent.
	header  map[string]string
	cookies []string // Set-Cookie lines, in order
	body    []byte   // nil: not checked here
	cut     bool
}

func (w expect) check(t *testing.T, r *result) {
	t.Helper()
	if r.Status != w.status {
		t.Errorf("status %d, want %d", r.Status, w.status)
	}
	for k, v := range w.header {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if w.cookies != nil && !slices.Equal(r.Header.Values("Set-Cookie"), w.cookies) {
		t.Errorf("Set-Cookie %q, want %q", r.Header.Values("Set-Cookie"), w.cookies)
	}
	if w.body != nil && !bytes.Equal(r.Body, w.body) {
		t.Errorf("body differs from the expected %d bytes: %s", len(w.body), bodyDiff(r.Body, w.body))
	}
	if r.Cut() != w.cut {
		t.Errorf("body cut = %v (%v), want %v", r.Cut(), r.Err, w.cut)
	}
}

// checkCommon holds for every response: nothing of the Runtime API leaks
// to the caller.
func checkCommon(t *testing.T, r *result) {
	t.Helper()
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "lambda-runtime-") {
			t.Errorf("the Runtime API header %s leaked into the response", k)
		}
	}
	if ct := r.Header.Get("Content-Type"); strings.Contains(ct, "vnd.awslambda") {
		t.Errorf("Content-Type %q: the prelude's content type leaked into the response", ct)
	}
	if bytes.HasPrefix(r.Body, []byte(`{"statusCode"`)) {
		t.Errorf("the prelude leaked into the body: %.80q", r.Body)
	}
}

func scenarios() []scenario {
	text := map[string]string{"Content-Type": "text/plain"}
	echoBody := []byte{0xff, 0x00, 0x80, 'a', '\n'}
	return []scenario{
		{name: "plain", path: "/plain", want: expect{status: 200,
			header: map[string]string{"Content-Type": "application/octet-stream"}, body: []byte("hello world\n")}},
		{name: "timed", path: "/timed", want: expect{status: 200,
			header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, body: []byte("tick 1\ntick 2\ntick 3\n")},
			extra: checkTicks, timing: burstGaps, slack: tickSlack},
		{name: "status, headers and cookies", path: "/http", want: expect{status: 201,
			header:  map[string]string{"Content-Type": "text/plain", "X-Scenario": "http", "Cache-Control": "no-store"},
			cookies: []string{"a=1; Path=/", "b=2; HttpOnly"}, body: []byte("created\n")}},
		{name: "setContentType", path: "/content-type", want: expect{status: 200,
			header: map[string]string{"Content-Type": "text/csv"}, body: []byte("a,b\n1,2\n")}},
		{name: "error mid-stream", path: "/error-mid", want: expect{status: 200, header: text, body: []byte("partial "), cut: true}},
		{name: "error before the first write", path: "/error-before", want: expect{status: 502},
			goBodyDiffers: "an error returned by a Go handler goes to /error with its own errorType, a Node.js one to /response trailers"},
		{name: "empty body", path: "/empty", want: expect{status: 200, body: []byte{}}},
		{name: "empty body after a prelude", path: "/empty-prelude", want: expect{status: 200,
			header: map[string]string{"X-Empty": "yes"}, body: []byte{}}},
		{name: "binary body", path: "/binary", want: expect{status: 200,
			header: map[string]string{"Content-Type": "application/octet-stream"}, body: allBytes()}},
		{name: "20 MiB body", path: "/large", slow: true, want: expect{status: 200,
			header: map[string]string{"Content-Type": "application/octet-stream"}, body: largeBody()}},
		{name: "never ends: function timeout", path: "/never-ends", slow: true,
			want: expect{status: 200, header: text, body: []byte("waiting\n"), cut: true}, extra: checkTimeout,
			timing: func(r *result) []time.Duration { return []time.Duration{r.Done} }, slack: 500 * time.Millisecond},
		{name: "plain after the timeout", path: "/plain", want: expect{status: 200, body: []byte("hello world\n")}},
		{name: "request echo", method: "POST", path: "/echo?b=two&a=1&a=3", reqBody: echoBody,
			reqHeader: http.Header{
				"Content-Type": {"application/octet-stream"}, "X-Multi": {"one", "two"},
				"Cookie": {"c1=v1; c2=v2"}, "User-Agent": {"conformance/1"},
			},
			want:       expect{status: 200, header: map[string]string{"Content-Type": "application/json"}},
			extra:      func(t *testing.T, r *result) { checkEcho(t, r.Body, echoBody) },
			comparable: comparableEcho},
		// Sent as curl sends a large body: the server may answer before
		// reading it, and a client that is still writing would see the
		// connection reset instead of the status.
		{name: "request over 6 MB", method: "POST", path: "/echo", reqBody: bytes.Repeat([]byte("x"), 7<<20),
			reqHeader: http.Header{"Expect": {"100-continue"}}, want: expect{status: 413}},
	}
}

func TestStreamingConformance(t *testing.T) {
	_, gofunction := binaries(t)
	fn, node := ricFixture(t)
	testtools.Record(t, "embedded client and aws-lambda-ric %s on Node.js %s, aws-lambda-go function", ricVersion(t), node.Version)
	common := []string{"--dir", fn, "--handler", "index.handler", "--timeout", fmt.Sprint(functionTimeout.Seconds()), "--no-watch"}
	clients := []struct {
		name string
		dev  *devServer
	}{
		{"embedded", startDev(t, node, common...)},
		{"ric", startDev(t, node, append(common, "--ric")...)},
		{"go", startDev(t, node, append(common, "--cmd", gofunction)...)},
	}

	requests := 0
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			if sc.slow && testing.Short() {
				t.Skip("slow; skipped with -short")
			}
			got := map[string]*result{}
			for _, c := range clients {
				got[c.name] = runScenario(t, c.name, c.dev, sc, sc.reqHeader)
				requests++
			}
			compareClients(t, sc, "embedded", got["embedded"], "ric", got["ric"], "")
			compareClients(t, sc, "embedded", got["embedded"], "go", got["go"], sc.goBodyDiffers)
		})
	}

	// One log line per request on stdout. dev logs a request after its
	// response has gone out, so the last line can trail the client's read:
	// give it a moment.
	for _, c := range clients {
		want := requests / len(clients)
		for deadline := time.Now().Add(5 * time.Second); len(c.dev.Stdout()) < want && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if n := len(c.dev.Stdout()); n < want {
			t.Errorf("%s: streamgen dev printed %d stdout lines for %d requests, want one per request:\n%s",
				c.name, n, requests/len(clients), strings.Join(c.dev.Stdout(), "\n"))
		}
	}
}

// fixtureProject copies testdata/fn to a temporary project and, unless
// ricModules is empty, links the installed aws-lambda-ric into its
// node_modules, where `streamgen dev --ric` looks for it.
// ricFixture returns the fixture project with the real aws-lambda-ric in
// its node_modules, and the Node.js release that client is built for and
// runs on (that of testtools.RICRuntime, as in AWS's images).
func ricFixture(t *testing.T) (string, testtools.Node) {
	t.Helper()
	node := testtools.NodeFor(t, testtools.RICRuntime)
	return fixtureProject(t, testtools.RIC(t)), node
}

// ricVersion is the version of aws-lambda-ric that testtools installed.
func ricVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testtools.RIC(t), "aws-lambda-ric", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ Version string }
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	return pkg.Version
}

func fixtureProject(t *testing.T, ricModules string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/fn/index.mjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.mjs"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if ricModules == "" {
		return dir
	}
	if err := os.Symlink(ricModules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// compareClients requires two clients' answers to one scenario to agree on
// everything a caller can see: exactly, or for the scenario's timing,
// within its slack.
func compareClients(t *testing.T, sc scenario, an string, a *result, bn string, b *result, bodyMayDiffer string) {
	t.Helper()
	if a == nil || b == nil {
		return
	}
	type seen struct {
		Status int
		Header map[string][]string
		Body   any
		Cut    bool
		Bursts int
	}
	view := func(r *result) seen {
		s := seen{Status: r.Status, Header: map[string][]string{}, Cut: r.Cut()}
		for _, k := range []string{"Content-Type", "Cache-Control", "X-Scenario", "X-Empty", "Set-Cookie"} {
			if v := r.Header.Values(k); v != nil {
				s.Header[k] = v
			}
		}
		switch {
		case bodyMayDiffer != "":
		case sc.comparable != nil:
			s.Body = sc.comparable(t, r.Body)
		case len(r.Body) <= 512:
			s.Body = fmt.Sprintf("%q", r.Body)
		default:
			s.Body = fmt.Sprintf("%d bytes, sha256 %x", len(r.Body), sha256.Sum256(r.Body))
		}
		if sc.name == "timed" {
			s.Bursts = len(r.Bursts())
		}
		return s
	}
	if sc.timing != nil {
		ta, tb := sc.timing(a), sc.timing(b)
		if len(ta) != len(tb) {
			t.Errorf("%s and %s: timing %v against %v", an, bn, ta, tb)
		}
		for i := range min(len(ta), len(tb)) {
			if d := ta[i] - tb[i]; d > sc.slack || d < -sc.slack {
				t.Errorf("%s and %s: timing %v against %v, more than %v apart", an, bn, ta, tb, sc.slack)
				break
			}
		}
	}
	if diff := cmp.Diff(view(a), view(b)); diff != "" {
		t.Errorf("%s and %s answer differently (-%s +%s):\n%s\n%s's body against %s's: %s", an, bn, an, bn, diff, bn, an, bodyDiff(b.Body, a.Body))
	}
}

// burstGaps gives the time between consecutive bursts of the body.
func burstGaps(r *result) []time.Duration {
	bursts := r.Bursts()
	var gaps []time.Duration
	for i := 1; i < len(bursts); i++ {
		gaps = append(gaps, bursts[i].At-bursts[i-1].At)
	}
	return gaps
}

// checkTicks: three lines, each in its own burst, about tickGap apart, the
// first long before the last was written.
func checkTicks(t *testing.T, r *result) {
	t.Helper()
	bursts := r.Bursts()
	if len(bursts) != 3 {
		t.Fatalf("the body arrived in %d bursts, want 3 (one per write)", len(bursts))
	}
	for i, b := range bursts {
		if want := fmt.Sprintf("tick %d\n", i+1); string(b.Data) != want {
			t.Errorf("burst %d is %q, want %q", i, b.Data, want)
		}
		if i > 0 {
			if gap := b.At - bursts[i-1].At; gap < tickGap-tickSlack || gap > tickGap+tickSlack {
				t.Errorf("burst %d came %v after the one before, want %v ± %v", i, gap, tickGap, tickSlack)
			}
		}
	}
}

// checkTimeout: the first write reached the caller at once; the body was
// cut about when the function timed out.
func checkTimeout(t *testing.T, r *result) {
	t.Helper()
	if fb := r.FirstByte(); fb < 0 || fb > time.Second {
		t.Errorf("the first write arrived at %v, want it at once", fb)
	}
	if r.Done < functionTimeout-200*time.Millisecond || r.Done > functionTimeout+3*time.Second {
		t.Errorf("the body ended %v after the request, want about the %v function timeout", r.Done, functionTimeout)
	}
}

// echoed is the fixture's summary of its event.
type echoed struct {
	Version         string            `json:"version"`
	Method          string            `json:"method"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Query           map[string]string `json:"query"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	BodyBase64      string            `json:"bodyBase64"`
	SourceIP        string            `json:"sourceIp"`
	UserAgent       string            `json:"userAgent"`
}

func parseEcho(t *testing.T, body []byte) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("echo body %q: %v", body, err)
	}
	return e
}

// checkEcho checks the Function URL event (payload format 2.0) built from
// the echo request.
func checkEcho(t *testing.T, body, sent []byte) {
	t.Helper()
	e := parseEcho(t, body)
	want := echoed{
		Version: "2.0", Method: "POST", RawPath: "/echo", RawQueryString: "b=two&a=1&a=3",
		// Repeated parameters and headers are joined with commas, as
		// Function URLs do.
		Query:   map[string]string{"a": "1,3", "b": "two"},
		Cookies: []string{"c1=v1", "c2=v2"},
		// A body that is not text must arrive base64-encoded.
		IsBase64Encoded: true, BodyBase64: base64.StdEncoding.EncodeToString(sent),
		SourceIP: "127.0.0.1", UserAgent: "conformance/1",
		Headers: e.Headers,
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	for k, v := range map[string]string{"x-multi": "one,two", "content-type": "application/octet-stream", "user-agent": "conformance/1"} {
		if e.Headers[k] != v {
			t.Errorf("event header %s = %q, want %q (headers %v)", k, e.Headers[k], v, e.Headers)
		}
	}
	for k := range e.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("event header %q is not lower case", k)
		}
	}
	if e.Headers["host"] == "" {
		t.Errorf("event has no host header: %v", e.Headers)
	}
}

// comparableEcho is the echo with the values that differ per request
// (trace ids) or per dev server (its port) blanked out.
func comparableEcho(t *testing.T, body []byte) any {
	e := parseEcho(t, body)
	for k := range e.Headers {
		switch {
		case strings.HasPrefix(k, "x-amzn-"):
			e.Headers[k] = "(per request)"
		case k == "host" || k == "x-forwarded-port":
			e.Headers[k] = "(per server)"
		}
	}
	return e
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// bodyDiff says where got first differs from want.
func bodyDiff(got, want []byte) string {
	n := min(len(got), len(want))
	for i := range n {
		if got[i] != want[i] {
			return fmt.Sprintf("%d bytes, first difference at offset %d (%#x, want %#x)", len(got), i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d bytes, want %d (a prefix matches)", len(got), len(want))
	}
	return "equal"
}
