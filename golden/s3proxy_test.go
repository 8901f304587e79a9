package golden

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/moto"
	"github.com/streamgen/streamgen/internal/testtools"
)

// TestS3ProxyAgainstS3Server runs the generated s3-proxy handler, through the
// streamify shim, against a real S3-compatible server (moto in server mode)
// on 127.0.0.1: byte-exact GETs of text, binary and multi-MB objects, ranges,
// conditional requests, HEAD, 404, hostile keys that must never reach S3, and
// a connection cut mid-stream that must end the response instead of hanging.
// The same checks run against the esbuild bundle deployment uses.
func TestS3ProxyAgainstS3Server(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3-compatible server and runs npm install; skipped with -short")
	}
	requireTools(t, "node", "npm", "python3")
	dir := copyTree(t, "s3-proxy-sam")
	testtools.Record(t, "s3-proxy-sam against moto on Node.js %s", dir.node.Version)
	run(t, dir, 5*time.Minute, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
	copyFile(t, "testdata/invoke-batch.mjs", filepath.Join(dir.path, "invoke-batch.mjs"))

	s3URL := moto.Start(t)
	const bucket, prefix = "streamgen-test", "public/"
	hello := []byte("hello, world\n")
	allBytes := make([]byte, 256*1024)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	big := make([]byte, 8<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	moto.Do(t, "PUT", s3URL+"/"+bucket, nil, nil)
	moto.Do(t, "PUT", s3URL+"/"+bucket+"/public/hello.txt", hello, map[string]string{
		"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "max-age=60", "Content-Disposition": `inline; filename="hello.txt"`,
	})
	moto.Do(t, "PUT", s3URL+"/"+bucket+"/public/bin/all-bytes.bin", allBytes, map[string]string{"Content-Type": "application/octet-stream"})
	moto.Do(t, "PUT", s3URL+"/"+bucket+"/public/big/8mib.bin", big, nil)
	moto.Do(t, "PUT", s3URL+"/"+bucket+"/secret.txt", []byte("outside the prefix"), nil)
	moto.Do(t, "PUT", s3URL+"/"+bucket+"/public/reports/2024/summary.pdf", []byte("%PDF-1.7 sample"), map[string]string{"Content-Type": "application/pdf"})
	helloETag := fmt.Sprintf(`"%x"`, md5.Sum(hello))

	proxy := newS3Proxy(t, s3URL)
	env := []string{
		"AWS_ENDPOINT_URL_S3=" + proxy.url, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"BUCKET=" + bucket, "PREFIX=" + prefix,
	}

	// The bundle `sam build` and `cdk deploy` produce: the same esbuild
	// options as the SAM template's Metadata and the CDK stack's bundling.
	run(t, dir, 2*time.Minute, "npx", "esbuild", "src/index.mjs", "--bundle", "--platform=node", "--format=esm",
		"--target=node24", "--minify", "--outfile=dist/index.mjs",
		"--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);")
	if info, err := os.Stat(filepath.Join(dir.path, "dist/index.mjs")); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("bundle size: %d KiB", info.Size()/1024)
		if info.Size() > 1<<20 {
			t.Errorf("bundle is %d bytes; it should stay under 1 MiB", info.Size())
		}
	}

	// The README's "run the sample event" snippet, against the same server.
	runReadmeSnippet(t, dir, env)

	for _, module := range []string{"src/index.mjs", "dist/index.mjs"} {
		t.Run(module, func(t *testing.T) {
			events := []proxyCase{
				{name: "text", ev: getEvent("GET", "/hello.txt", nil), status: 200, body: hello, headers: map[string]string{
					"content-type": "text/plain; charset=utf-8", "content-length": "13", "cache-control": "max-age=60",
					"content-disposition": `inline; filename="hello.txt"`, "etag": helloETag, "accept-ranges": "bytes",
				}},
				{name: "binary", ev: getEvent("GET", "/bin/all-bytes.bin", nil), status: 200, body: allBytes},
				{name: "8 MiB", ev: getEvent("GET", "/big/8mib.bin", nil), status: 200, body: big},
				{name: "range", ev: getEvent("GET", "/hello.txt", map[string]string{"range": "bytes=0-4"}), status: 206, body: []byte("hello"),
					headers: map[string]string{"content-range": "bytes 0-4/13", "content-length": "5"}},
				{name: "range of binary", ev: getEvent("GET", "/bin/all-bytes.bin", map[string]string{"range": "bytes=1000-1999"}), status: 206, body: allBytes[1000:2000]},
				{name: "unsatisfiable range", ev: getEvent("GET", "/hello.txt", map[string]string{"range": "bytes=100-200"}), status: 416,
					headers: map[string]string{"content-range": "bytes */13"}},
				{name: "if-none-match", ev: getEvent("GET", "/hello.txt", map[string]string{"if-none-match": helloETag}), status: 304, body: []byte{}},
				{name: "if-modified-since", ev: getEvent("GET", "/hello.txt", map[string]string{"if-modified-since": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}), status: 304, body: []byte{}},
				{name: "HEAD", ev: getEvent("HEAD", "/hello.txt", nil), status: 200, body: []byte{}, headers: map[string]string{"content-length": "13", "etag": helloETag}},
				{name: "missing", ev: getEvent("GET", "/nope.txt", nil), status: 404},
				{name: "key outside the prefix is not reachable", ev: getEvent("GET", "/secret.txt", nil), status: 404},
				{name: "POST", ev: getEvent("POST", "/hello.txt", nil), status: 405, headers: map[string]string{"allow": "GET, HEAD"}},
			}
			results := invokeBatch(t, dir, module, env, events)
			for i, c := range events {
				c.check(t, results[i])
			}

			// Hostile keys: 400 each, and not a single request reaches S3.
			before := proxy.requests.Load()
			var hostile []proxyCase
			for _, p := range []string{
				"/", "/%2e%2e/secret.txt", "/../secret.txt", "/a/../../secret.txt", "/%2E%2E%2Fsecret.txt",
				"/a%5Cb", "/a\\b", "/a%00b", "/%0a", "//etc/passwd", "/a/./b", "/%zz", "/%252e%252e/secret.txt",
				"/" + strings.Repeat("k", 1100), "/%c0%ae%c0%ae/secret.txt", "/a\x01b",
			} {
				hostile = append(hostile, proxyCase{name: "hostile " + p, ev: getEvent("GET", p, nil), status: 400})
			}
			results = invokeBatch(t, dir, module, env, hostile)
			for i, c := range hostile {
				c.check(t, results[i])
			}
			if n := proxy.requests.Load() - before; n != 0 {
				t.Errorf("hostile keys caused %d requests to S3, want none", n)
			}

			// The connection to S3 is cut after 1 MiB of the 8 MiB body: the
			// caller must get a cut body and an ended stream, not a hang.
			proxy.cutAfter.Store(1 << 20)
			defer proxy.cutAfter.Store(0)
			results = invokeBatch(t, dir, module, env, []proxyCase{{ev: getEvent("GET", "/big/8mib.bin", nil)}})
			r := results[0]
			switch {
			case r.Rejected != "":
				t.Errorf("cut mid-stream: invoke rejected (a hang or an unended stream): %s", r.Rejected)
			// What reaches the caller is the 1 MiB S3 sent, less what the
			// SDK's socket had read but not yet handed on when it closed:
			// Node.js discards a destroyed stream's buffer, at most its
			// high-water marks (64 KiB each on Node.js 22 and later).
			case r.StatusCode != 200 || r.BodyLength > 1<<20 || r.BodyLength < 1<<20-256<<10 || r.Error == nil:
				t.Errorf("cut mid-stream: status %d, %d of %d bytes, error %v; want 200, a body cut within 256 KiB below 1 MiB, and an error", r.StatusCode, r.BodyLength, len(big), r.Error)
			}
		})
	}
}

type proxyCase struct {
	name      string
	ev        map[string]any
	timeoutMs int // the function timeout invoke() gives the handler; 0: 20000
	status    int
	body      []byte            // nil: not checked
	headers   map[string]string // checked when set
}

type batchResult struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	BodyLength int               `json:"bodyLength"`
	BodySHA256 string            `json:"bodySha256"`
	BodyText   string            `json:"bodyText"`
	Error      map[string]any    `json:"error"`
	Rejected   string            `json:"rejected"`
	MS         int               `json:"ms"`
}

func (c proxyCase) check(t *testing.T, r batchResult) {
	t.Helper()
	if r.Rejected != "" {
		t.Errorf("%s: invoke rejected: %s", c.name, r.Rejected)
		return
	}
	if r.StatusCode != c.status {
		t.Errorf("%s: status %d, want %d (body %q, error %v)", c.name, r.StatusCode, c.status, r.BodyText, r.Error)
	}
	if c.body != nil {
		sum := sha256.Sum256(c.body)
		if r.BodyLength != len(c.body) || r.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: body of %d bytes differs from the object's %d bytes", c.name, r.BodyLength, len(c.body))
		}
	}
	for k, v := range c.headers {
		if r.Headers[k] != v {
			t.Errorf("%s: header %s = %q, want %q", c.name, k, r.Headers[k], v)
		}
	}
	if c.status >= 400 && !strings.Contains(r.BodyText, `"error"`) {
		t.Errorf("%s: error body %q is not a JSON error", c.name, r.BodyText)
	}
	if r.Error != nil {
		t.Errorf("%s: function error %v", c.name, r.Error)
	}
}

// getEvent builds a Function URL event (payload format 2.0) for a request.
// rawPath is what Lambda passes: percent-encoding intact.
func getEvent(method, rawPath string, headers map[string]string) map[string]any {
	h := map[string]string{"host": "abc.lambda-url.us-east-1.on.aws", "user-agent": "streamgen-test"}
	for k, v := range headers {
		h[k] = v
	}
	return map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": rawPath, "rawQueryString": "",
		"headers": h, "isBase64Encoded": false,
		"requestContext": map[string]any{
			"http":      map[string]any{"method": method, "path": rawPath, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "streamgen-test"},
			"requestId": "test-request", "routeKey": "$default", "stage": "$default",
		},
	}
}

// invokeBatch runs events through module in one node process.
func invokeBatch(t *testing.T, dir project, module string, env []string, cases []proxyCase) []batchResult {
	t.Helper()
	var events []map[string]any
	for _, c := range cases {
		events = append(events, map[string]any{"event": c.ev, "timeoutMs": cmp.Or(c.timeoutMs, 20000)})
	}
	b, _ := json.Marshal(events)
	f := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dir.node.Bin, "invoke-batch.mjs", module, f)
	cmd.Dir = dir.path
	cmd.Env = append(dir.node.Env(os.Environ()), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan struct{})
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill(); close(done) })
	out, err := cmd.Output()
	if !timer.Stop() {
		<-done
		t.Fatalf("node invoke-batch.mjs hung; stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("node invoke-batch.mjs: %v\n%s", err, stderr.String())
	}
	var results []batchResult
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
		t.Fatalf("bad output (%v): %.500s\nstderr: %s", err, out, stderr.String())
	}
	return results
}

// s3Proxy sits between the handler and moto: it counts requests (to prove
// hostile keys never reach S3) and can cut a response body after a number of
// bytes (to fail S3 mid-stream).
type s3Proxy struct {
	url      string
	requests atomic.Int64
	cutAfter atomic.Int64 // 0: pass everything
}

func newS3Proxy(t *testing.T, target string) *s3Proxy {
	t.Helper()
	p := &s3Proxy{}
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if limit := p.cutAfter.Load(); limit > 0 && r.Method == "GET" {
			w = &cuttingWriter{ResponseWriter: w, left: limit}
		}
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.url = "http://" + l.Addr().String()
	return p
}

// cuttingWriter passes the first `left` bytes of a body, then aborts the
// connection (http.ErrAbortHandler makes the server drop it).
type cuttingWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cuttingWriter) Write(b []byte) (int, error) {
	if int64(len(b)) > c.left {
		c.ResponseWriter.Write(b[:c.left])
		if f, ok := c.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	c.left -= int64(len(b))
	return c.ResponseWriter.Write(b)
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
