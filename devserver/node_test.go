package devserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/testtools"
)

// needNode puts the Node.js release of runtime first on PATH for the
// test, where the server looks node up, and records it.
func needNode(t *testing.T, runtime string) {
	t.Helper()
	node := testtools.NodeFor(t, runtime)
	t.Setenv("PATH", node.Dir()+string(os.PathListSeparator)+os.Getenv("PATH"))
	testtools.Record(t, "on Node.js %s (%s)", node.Version, runtime)
}

// scenarioRuntime is the runtime of the scenario project: the one the real
// runtime client is built for.
const scenarioRuntime = testtools.RICRuntime

// scenarioProject copies testdata/scenarios to a temporary project; with
// ric, its node_modules is the real aws-lambda-ric that testtools
// provisions.
func scenarioProject(t *testing.T, ric bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"index.mjs", "buffered.mjs", "package.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "scenarios", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, ".streamgen.json"), []byte(`{"template":"test","answers":{"name":"scenarios","runtime":"`+scenarioRuntime+`","memory":512,"timeout":10}}`), 0o644)
	if ric {
		if err := os.Symlink(testtools.RIC(t), filepath.Join(dir, "node_modules")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func nodeServer(t *testing.T, dir string, launch Launch, handler string) (string, *syncBuffer) {
	t.Helper()
	p, err := LoadProject(dir, Overrides{Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	s, err := New(Config{
		Project: p, Launch: launch, Log: log, RequestLog: log,
		Env:     []string{"CUSTOM=from --env"},
		Environ: []string{"PATH=" + os.Getenv("PATH"), "STREAMGEN_TEST_SECRET=leaked", "AWS_REGION=eu-central-1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return hs.URL, log
}

// scenarioResult is what a client sees of one scenario.
type scenarioResult struct {
	status  int
	header  http.Header
	body    string
	cut     bool
	gaps    []time.Duration
	elapsed time.Duration
}

func runScenario(t *testing.T, url string) scenarioResult {
	t.Helper()
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	res := scenarioResult{status: resp.StatusCode, header: resp.Header}
	buf := make([]byte, 256<<10)
	var last time.Time
	var body strings.Builder
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			now := time.Now()
			if !last.IsZero() {
				res.gaps = append(res.gaps, now.Sub(last))
			}
			last = now
			body.Write(buf[:n])
		}
		if err != nil {
			res.cut = errors.Is(err, io.ErrUnexpectedEOF)
			break
		}
	}
	res.body, res.elapsed = body.String(), time.Since(start)
	return res
}

// checkScenarios runs the streaming scenarios against a server and checks
// what the Function URL client sees.
func checkScenarios(t *testing.T, url string) {
	r := runScenario(t, url+"/plain")
	if r.status != 200 || r.body != "a" || r.header.Get("Content-Type") != "application/octet-stream" || r.cut {
		t.Errorf("plain: %+v", r)
	}
	r = runScenario(t, url+"/timed")
	if r.body != "chunk1chunk2end" || len(r.gaps) != 2 || r.gaps[0] < 150*time.Millisecond || r.gaps[1] < 150*time.Millisecond {
		t.Errorf("timed: %q, gaps %v; want three reads about 200ms apart", r.body, r.gaps)
	}
	r = runScenario(t, url+"/http")
	if r.status != 201 || r.header.Get("X-A") != "b" || r.header.Get("Content-Type") != "text/event-stream" ||
		strings.Join(r.header.Values("Set-Cookie"), "|") != "c=1; Path=/|d=2" || r.body != "hello world" {
		t.Errorf("http: %d %v %q", r.status, r.header, r.body)
	}
	r = runScenario(t, url+"/contenttype")
	if r.header.Get("Content-Type") != "text/plain" || r.body != "typed" {
		t.Errorf("contenttype: %v %q", r.header, r.body)
	}
	r = runScenario(t, url+"/error")
	if r.status != 200 || r.body != "partial" || !r.cut {
		t.Errorf("error: %d %q cut %v; want the first write, then a cut", r.status, r.body, r.cut)
	}
	r = runScenario(t, url+"/errorfirst")
	var body map[string]string
	json.Unmarshal([]byte(r.body), &body)
	if r.status != 502 || body["errorType"] != "TypeError" || body["errorMessage"] != "boom before any write" {
		t.Errorf("errorfirst: %d %s", r.status, r.body)
	}
	r = runScenario(t, url+"/big")
	if len(r.body) != 32<<20 || r.cut {
		t.Errorf("big: %d bytes, cut %v", len(r.body), r.cut)
	} else {
		t.Logf("32 MiB in %s (%.0f MB/s)", r.elapsed, 32/r.elapsed.Seconds())
	}
}

// The built-in runtime client runs the scenarios as Lambda would.
func TestNodeClientScenarios(t *testing.T) {
	needNode(t, scenarioRuntime)
	url, log := nodeServer(t, scenarioProject(t, false), LaunchClient, "index.handler")
	checkScenarios(t, url)
	if t.Failed() {
		t.Log(log)
	}
}

// So does the real aws-lambda-ric, with --ric.
func TestRICScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	// The Node.js the client is built for: dev runs the `node` on PATH.
	needNode(t, testtools.RICRuntime)
	url, log := nodeServer(t, scenarioProject(t, true), LaunchRIC, "index.handler")
	checkScenarios(t, url)
	if t.Failed() {
		t.Log(log)
	}
}

// A buffered handler through the built-in client: its result and its error.
func TestNodeClientBuffered(t *testing.T) {
	needNode(t, scenarioRuntime)
	url, _ := nodeServer(t, scenarioProject(t, false), LaunchClient, "buffered.handler")
	r := runScenario(t, url+"/")
	if r.status != 200 || r.body != "buffered-body" || r.header.Get("Content-Type") != "text/plain" || r.header.Get("Set-Cookie") != "k=v" {
		t.Errorf("buffered: %d %v %q", r.status, r.header, r.body)
	}
	r = runScenario(t, url+"/error")
	if r.status != 502 || !strings.Contains(r.body, "buffered boom") {
		t.Errorf("buffered error: %d %q", r.status, r.body)
	}
}

// The function sees the event and the environment Lambda would give it,
// and nothing else of streamgen's environment.
func TestNodeClientEventAndEnvironment(t *testing.T) {
	needNode(t, scenarioRuntime)
	url, _ := nodeServer(t, scenarioProject(t, false), LaunchClient, "index.handler")
	r := runScenario(t, url+"/event?x=1")
	var got struct {
		Event     map[string]any    `json:"event"`
		RequestID string            `json:"requestId"`
		Env       map[string]string `json:"env"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	rc := got.Event["requestContext"].(map[string]any)
	if got.Event["rawQueryString"] != "x=1" || rc["requestId"] != got.RequestID || !strings.HasSuffix(rc["domainName"].(string), ".lambda-url.eu-central-1.on.aws") {
		t.Errorf("event %v, request id %s", got.Event, got.RequestID)
	}
	want := map[string]string{"name": "scenarios", "memory": "512", "handler": "index.handler", "tz": ":UTC", "custom": "from --env", "secret": ""}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("env %s=%q, want %q", k, got.Env[k], v)
		}
	}
}

// The golden echo project runs as generated.
func TestNodeClientGoldenEcho(t *testing.T) {
	needNode(t, "nodejs24.x") // golden/echo-sam's runtime
	url, _ := nodeServer(t, filepath.Join("..", "golden", "echo-sam"), LaunchClient, "")
	req, _ := http.NewRequest("POST", url+"/echo?lang=en&tags=a&tags=b", strings.NewReader(`{"message":"hello"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "theme=dark")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 3 {
		t.Fatalf("got %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	for _, want := range []string{`"path":"/echo"`, `"query":{"lang":"en","tags":"a,b"}`, `"cookies":["theme=[redacted]"]`, `"body":"{\"message\":\"hello\"}","encoding":"utf8"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("echo lacks %s:\n%s", want, body)
		}
	}
}
