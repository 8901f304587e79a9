package conformance

import (
	"bytes"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/llmfake"
	"github.com/streamgen/streamgen/internal/moto"
	"github.com/streamgen/streamgen/internal/testtools"
)

// TestTemplatesThroughDev runs generated projects (copies of the golden
// folders, which are complete projects) under `streamgen dev` with the
// embedded runtime client and calls them over HTTP: echo as is, s3-proxy
// against moto, an S3-compatible server, and llm-stream against the Bedrock
// ConverseStream fake. Each must stream: the test logs when every piece of
// the body arrived and checks that paced upstream data reaches the caller
// piece by piece, not all at the end.
func TestTemplatesThroughDev(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm install, moto and generated projects; skipped with -short")
	}
	for _, tool := range []string{"npm", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH; these tests run generated projects with the real tools (see .ci/run)", tool)
		}
	}
	binaries(t) // build once, before the parallel subtests
	t.Run("echo", testEchoTemplate)
	t.Run("echo behind a REST API", testEchoRESTTemplate)
	t.Run("s3-proxy", testS3ProxyTemplate)
	t.Run("llm-stream", testLLMStreamTemplate)
}

func testEchoTemplate(t *testing.T) {
	dir, node := copyGolden(t, "echo-sam") // no dependencies: no npm install
	dev := startDev(t, node, "--dir", dir, "--no-watch")
	header := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer secret"}, "Cookie": {"theme=dark"}}
	r := call(t, "POST", dev.URL+"echo?lang=en", []byte(`{"message":"hello"}`), header)
	logArrivals(t, "echo", r)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/x-ndjson" || r.Header.Get("Cache-Control") != "no-store" || r.Cut() {
		t.Fatalf("echo: %s", r.describe())
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("echo line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("echo sent %d lines, want 3: %s", len(lines), r.Body)
	}
	req, _ := lines[0]["request"].(map[string]any)
	if req["method"] != "POST" || req["path"] != "/echo" || fmt.Sprint(req["query"]) != "map[lang:en]" || req["id"] == "" {
		t.Errorf("echo request line: %v", lines[0])
	}
	hdrs, _ := lines[1]["headers"].(map[string]any)
	if hdrs["authorization"] != "[redacted]" || fmt.Sprint(lines[1]["cookies"]) != "[theme=[redacted]]" {
		t.Errorf("echo headers line: %v", lines[1])
	}
	if lines[2]["body"] != `{"message":"hello"}` || lines[2]["bytes"] != float64(19) {
		t.Errorf("echo body line: %v", lines[2])
	}
}

// testEchoRESTTemplate runs the generated echo handler of a REST API
// project under the embedded client and the real aws-lambda-ric: a request
// under the stage becomes a REST proxy event, and the handler streams its
// prelude and the request back, line by line, the same through both; so
// does `streamgen invoke` with the project's sample event.
func testEchoRESTTemplate(t *testing.T) {
	dir, node := copyGolden(t, "echo-sam-rest") // no dependencies: no npm install
	if err := os.Symlink(testtools.RIC(t), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	streamgen, _ := binaries(t)
	var bodies []string
	for _, client := range []struct {
		name string
		args []string
	}{{"embedded", nil}, {"ric", []string{"--ric"}}} {
		dev := startDev(t, node, append([]string{"--dir", dir, "--no-watch"}, client.args...)...)
		if !strings.HasSuffix(dev.URL, "/prod/") {
			t.Fatalf("%s: endpoint %s, want the prod stage's", client.name, dev.URL)
		}
		header := http.Header{"Content-Type": {"application/json"}, "Authorization": {"AWS4-HMAC-SHA256 secret"}, "Cookie": {"theme=dark"}}
		r := call(t, "POST", dev.URL+"echo?lang=en&lang=fr", []byte(`{"message":"hello"}`), header)
		logArrivals(t, "echo (REST, "+client.name+")", r)
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/x-ndjson" || r.Cut() {
			t.Fatalf("%s: %s", client.name, r.describe())
		}
		lines := strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n")
		if len(lines) != 3 {
			t.Fatalf("%s: want 3 lines: %s", client.name, r.describe())
		}
		var req struct {
			Request struct {
				Method, Path string
				Query        map[string]string
			}
		}
		var hdrs struct {
			Headers map[string]string
			Cookies []string
		}
		json.Unmarshal([]byte(lines[0]), &req)
		json.Unmarshal([]byte(lines[1]), &hdrs)
		if req.Request.Method != "POST" || req.Request.Path != "/echo" || req.Request.Query["lang"] != "en,fr" {
			t.Errorf("%s: request line %s", client.name, lines[0])
		}
		if hdrs.Headers["authorization"] != "[redacted]" || !slices.Equal(hdrs.Cookies, []string{"theme=[redacted]"}) {
			t.Errorf("%s: headers line %s", client.name, lines[1])
		}
		if lines[2] != `{"body":"{\"message\":\"hello\"}","encoding":"utf8","bytes":19}` {
			t.Errorf("%s: body line %s", client.name, lines[2])
		}
		// What must agree: the request and body lines (the id aside), and
		// which headers arrived (their values vary with port and trace).
		bodies = append(bodies, fmt.Sprint(req.Request, slices.Sorted(maps.Keys(hdrs.Headers)), hdrs.Cookies, lines[2]))

		inv, code, stderr := runInvoke(t, streamgen, node, append([]string{"--dir", dir, "--event", filepath.Join(dir, "events", "sample.json")}, client.args...)...)
		if code != 0 || !strings.Contains(string(inv.Body), `"path":"/echo"`) || !strings.Contains(string(inv.Body), `"tags":"a,b"`) {
			t.Errorf("%s: invoke --event events/sample.json: exit %d, body %s\n%s", client.name, code, inv.Body, stderr)
		}
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the embedded client and aws-lambda-ric streamed different requests back:\n%s\n%s", bodies[0], bodies[1])
	}
}

// pieceSize is what httputil.ReverseProxy reads at a time.
const pieceSize = 32 << 10

func testS3ProxyTemplate(t *testing.T) {
	t.Parallel()
	dir, node := copyGolden(t, "s3-proxy-sam")
	npmInstall(t, dir, node)

	motoURL := moto.Start(t)
	const bucket = "dev-test"
	hello := []byte("hello, world\n")
	random := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	paced := random[:8*pieceSize]
	moto.Do(t, "PUT", motoURL+"/"+bucket, nil, nil)
	moto.Do(t, "PUT", motoURL+"/"+bucket+"/public/hello.txt", hello, map[string]string{"Content-Type": "text/plain; charset=utf-8"})
	moto.Do(t, "PUT", motoURL+"/"+bucket+"/public/random.bin", random, nil)
	moto.Do(t, "PUT", motoURL+"/"+bucket+"/public/paced/half.bin", paced, nil)

	// The handler reaches moto through a proxy that hands out bodies under
	// paced/ in 32 KiB pieces 100 ms apart, like a slow S3 connection.
	const gap = 100 * time.Millisecond
	s3URL := pacingProxy(t, motoURL, "/paced/", gap)
	dev := startDev(t, node, "--dir", dir, "--no-watch", "--timeout", "30",
		"--env", "AWS_ENDPOINT_URL_S3="+s3URL, "--env", "AWS_REGION=us-east-1",
		"--env", "AWS_ACCESS_KEY_ID=test", "--env", "AWS_SECRET_ACCESS_KEY=test",
		"--env", "BUCKET="+bucket, "--env", "PREFIX=public/")

	r := call(t, "GET", dev.URL+"hello.txt", nil, nil)
	if r.Status != 200 || !bytes.Equal(r.Body, hello) || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		r.Header.Get("ETag") != fmt.Sprintf(`"%x"`, md5.Sum(hello)) || r.Cut() {
		t.Errorf("hello.txt: %s", r.describe())
	}

	r = call(t, "GET", dev.URL+"random.bin", nil, nil)
	logArrivals(t, "random.bin", r)
	if r.Status != 200 || !bytes.Equal(r.Body, random) || r.Cut() {
		t.Errorf("random.bin: %s; %s", r.describe(), bodyDiff(r.Body, random))
	}

	r = call(t, "GET", dev.URL+"random.bin", nil, http.Header{"Range": {"bytes=1000-1999"}})
	if r.Status != 206 || !bytes.Equal(r.Body, random[1000:2000]) || r.Header.Get("Content-Range") != fmt.Sprintf("bytes 1000-1999/%d", len(random)) {
		t.Errorf("range: %s", r.describe())
	}

	r = call(t, "GET", dev.URL+"missing.txt", nil, nil)
	if r.Status != 404 {
		t.Errorf("missing key: %s", r.describe())
	}

	r = call(t, "GET", dev.URL+"paced/half.bin", nil, nil)
	logArrivals(t, "paced/half.bin", r)
	if r.Status != 200 || !bytes.Equal(r.Body, paced) || r.Cut() {
		t.Fatalf("paced/half.bin: %s", r.describe())
	}
	// Eight pieces 100 ms apart: most must reach the caller on their own,
	// and the first long before the last.
	pieces := len(paced) / pieceSize
	if n := len(r.Bursts()); n < pieces/2 {
		t.Errorf("the paced object arrived in %d bursts, want about %d: it was buffered", n, pieces)
	}
	if span := r.Reads[len(r.Reads)-1].At - r.FirstByte(); span < time.Duration(pieces-2)*gap {
		t.Errorf("the paced object arrived within %v, want it spread over about %v", span, time.Duration(pieces-1)*gap)
	}
}

func testLLMStreamTemplate(t *testing.T) {
	t.Parallel()
	dir, node := copyGolden(t, "llm-stream-sam") // Amazon Bedrock
	npmInstall(t, dir, node)
	fake, err := llmfake.Start(llmfake.Bedrock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })

	// The model id picks the fake's scenario, so one dev per scenario.
	dev := func(scenario string) *devServer {
		return startDev(t, node, "--dir", dir, "--no-watch", "--timeout", "30",
			"--env", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME="+fake.URL, "--env", "MODEL_ID=fake."+scenario+"-v1:0",
			"--env", "AWS_REGION=us-east-1", "--env", "AWS_ACCESS_KEY_ID=test", "--env", "AWS_SECRET_ACCESS_KEY=test")
	}
	ask := func(d *devServer) (*result, []sseEvent) {
		r := call(t, "POST", d.URL, []byte(`{"prompt":"hi"}`), http.Header{"Content-Type": {"application/json"}})
		if r.Status != 200 || r.Header.Get("Content-Type") != "text/event-stream" || r.Cut() {
			t.Fatalf("POST /: %s", r.describe())
		}
		return r, parseSSE(t, r)
	}

	t.Run("paced", func(t *testing.T) {
		// 200 tokens 10 ms apart, each stamped with its send time by the fake.
		r, events := ask(dev("paced"))
		logArrivals(t, "paced", r)
		var delays []time.Duration
		for _, e := range events {
			if e.name != "token" {
				continue
			}
			var tok struct{ Text string }
			json.Unmarshal([]byte(e.data), &tok)
			sent, err := strconv.ParseInt(strings.TrimSpace(tok.Text), 10, 64)
			if err != nil {
				t.Fatalf("token %q is not a send time", tok.Text)
			}
			delays = append(delays, e.arrived-time.Duration(sent))
		}
		want := len(llmfake.Scenarios["paced"].Tokens)
		if len(delays) != want {
			t.Fatalf("%d tokens arrived, want %d", len(delays), want)
		}
		slices.Sort(delays)
		median, worst := delays[len(delays)/2], delays[len(delays)-1]
		t.Logf("token delay from the fake's send to the caller: median %v, max %v", median, worst)
		// A buffering front end would hold every token until the end: the
		// first would wait about 2 s.
		if median > 100*time.Millisecond {
			t.Errorf("median token delay %v: tokens do not stream through", median)
		}
		// The fake sends for about 2 s; so must the caller receive.
		if span := r.Reads[len(r.Reads)-1].At - r.FirstByte(); len(r.Reads) < want/4 || span < time.Second {
			t.Errorf("the %d tokens arrived in %d reads within %v: they were buffered", want, len(r.Reads), span)
		}
	})

	t.Run("upstream error", func(t *testing.T) {
		_, events := ask(dev("error"))
		var tokens []string
		for _, e := range events {
			if e.name == "token" {
				tokens = append(tokens, e.data)
			}
		}
		if len(tokens) != 2 || events[len(events)-1].name != "error" {
			t.Errorf("events %v, want two tokens and then error", events)
		}
	})
}

// sseEvent is one Server-Sent Event and when its last byte arrived, as
// wall-clock time in Unix nanoseconds.
type sseEvent struct {
	name, data string
	arrived    time.Duration
}

// parseSSE splits a text/event-stream body into events, dating each by the
// read that completed it.
func parseSSE(t *testing.T, r *result) []sseEvent {
	t.Helper()
	var out []sseEvent
	off, ri, readEnd := 0, 0, 0
	text := string(r.Body)
	for {
		i := strings.Index(text[off:], "\n\n")
		if i < 0 {
			break
		}
		end := off + i + 2
		for ri < len(r.Reads) && readEnd < end {
			readEnd += r.Reads[ri].N
			ri++
		}
		ev := sseEvent{arrived: time.Duration(r.Sent.Add(r.Reads[ri-1].At).UnixNano())}
		for _, line := range strings.Split(text[off:end-2], "\n") {
			if v, ok := strings.CutPrefix(line, "event:"); ok {
				ev.name = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "data:"); ok {
				ev.data += strings.TrimPrefix(v, " ")
			}
		}
		out = append(out, ev)
		off = end
	}
	if len(out) == 0 {
		t.Fatalf("no events in %q", r.Body)
	}
	return out
}

// logArrivals logs when each piece of the body arrived: every read the
// client made, up to 30 of them, then the last.
func logArrivals(t *testing.T, what string, r *result) {
	t.Helper()
	var b strings.Builder
	for i, rd := range r.Reads {
		if i == 30 && len(r.Reads) > 31 {
			last := r.Reads[len(r.Reads)-1]
			fmt.Fprintf(&b, " … (%d more) %v:%dB", len(r.Reads)-31, last.At.Round(100*time.Microsecond), last.N)
			break
		}
		fmt.Fprintf(&b, " %v:%dB", rd.At.Round(100*time.Microsecond), rd.N)
	}
	t.Logf("%s: headers at %v, %d bytes in %d reads (time:size):%s", what, r.Headers.Round(100*time.Microsecond), len(r.Body), len(r.Reads), b.String())
}

// copyGolden copies a golden folder, a complete generated project, to a
// temporary directory, and returns it with the Node.js release of the
// project's runtime, which the test runs it on.
func copyGolden(t *testing.T, name string) (string, testtools.Node) {
	t.Helper()
	src := filepath.Join("..", "..", "golden", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	b, err := os.ReadFile(filepath.Join(dst, ".streamgen.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Answers struct{ Runtime string } }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/.streamgen.json: %v", name, err)
	}
	node := testtools.NodeFor(t, m.Answers.Runtime)
	testtools.Record(t, "golden/%s (%s) under streamgen dev on Node.js %s", name, m.Answers.Runtime, node.Version)
	return dst, node
}

func npmInstall(t *testing.T, dir string, node testtools.Node) {
	t.Helper()
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	cmd.Env = node.Env(os.Environ())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install in %s: %v\n%s", dir, err, out)
	}
}

// pacingProxy forwards to target and hands out the bodies of GETs whose
// path contains marker one read at a time, gap apart. The reverse proxy
// reads 32 KiB at a time and flushes each read at once.
func pacingProxy(t *testing.T, target, marker string, gap time.Duration) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == "GET" && strings.Contains(resp.Request.URL.Path, marker) {
			resp.Body = &pacedBody{rc: resp.Body, gap: gap}
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

type pacedBody struct {
	rc      io.ReadCloser
	gap     time.Duration
	started bool
}

// Read fills b, the first time at once and each later time after the gap.
func (p *pacedBody) Read(b []byte) (int, error) {
	if p.started {
		time.Sleep(p.gap)
	}
	p.started = true
	n, err := io.ReadFull(p.rc, b)
	if err == io.ErrUnexpectedEOF {
		err = nil // the last, short piece; the next Read says EOF
	}
	return n, err
}

func (p *pacedBody) Close() error { return p.rc.Close() }
