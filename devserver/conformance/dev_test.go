package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/testtools"
)

// The binaries the tests drive, built once per `go test` run on first use.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the built binaries after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds streamgen and the aws-lambda-go function and returns their
// paths.
func binaries(t *testing.T) (streamgen, gofunction string) {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "streamgen-conformance-"); buildErr != nil {
			return
		}
		for _, b := range []struct{ out, pkg string }{
			{"streamgen", "github.com/streamgen/streamgen/cmd/streamgen"},
			// norpc: the provided.al2023 build, which talks only to the Runtime API.
			{"gofunction", "github.com/streamgen/streamgen/devserver/internal/gofunction"},
		} {
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(binDir, b.out), b.pkg)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "streamgen"), filepath.Join(binDir, "gofunction")
}

// devServer is one running `streamgen dev`.
type devServer struct {
	URL    string
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout []string // lines after the "Function URL" line
	stderr bytes.Buffer
	exited chan struct{}
}

var readyLine = regexp.MustCompile(`^(?:Function URL|REST API stage [A-Za-z0-9_]+): (http://127\.0\.0\.1:[0-9]+/(?:[A-Za-z0-9_]+/)?)$`)

// startDev runs `streamgen dev ARGS... --port 0`, with node first on
// PATH, and waits for its "Function URL:" line. At the end of the test it sends SIGINT and checks
// the contract: dev exits 0 and leaves no function process behind.
func startDev(t *testing.T, node testtools.Node, args ...string) *devServer {
	t.Helper()
	streamgen, _ := binaries(t)
	d := &devServer{exited: make(chan struct{})}
	d.cmd = exec.Command(streamgen, append([]string{"dev", "--port", "0"}, args...)...)
	d.cmd.Env = node.Env(os.Environ())
	d.cmd.Stderr = &lockedWriter{mu: &d.mu, w: &d.stderr}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		announced := false
		for sc.Scan() {
			line := sc.Text()
			if m := readyLine.FindStringSubmatch(line); m != nil && !announced {
				announced = true
				ready <- m[1]
				continue
			}
			d.mu.Lock()
			d.stdout = append(d.stdout, line)
			d.mu.Unlock()
		}
	}()
	go func() {
		d.cmd.Wait()
		close(d.exited)
	}()
	select {
	case d.URL = <-ready:
	case <-d.exited:
		t.Fatalf("streamgen dev %s exited before it was ready: %v\nstderr:\n%s", strings.Join(args, " "), d.cmd.ProcessState, d.Stderr())
	case <-time.After(60 * time.Second):
		d.cmd.Process.Kill()
		t.Fatalf("streamgen dev %s printed no endpoint line in 60 s\nstderr:\n%s", strings.Join(args, " "), d.Stderr())
	}
	t.Cleanup(func() { d.stop(t) })
	return d
}

// stop interrupts dev as a user's Ctrl-C would and checks that it exits 0
// and stops the function process it started.
func (d *devServer) stop(t *testing.T) {
	t.Helper()
	children := descendants(d.cmd.Process.Pid)
	d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
		if code := d.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("streamgen dev exited %d after SIGINT, want 0\nstderr:\n%s", code, d.Stderr())
		}
	case <-time.After(15 * time.Second):
		d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("streamgen dev was still running 15 s after SIGINT")
	}
	for _, pid := range children {
		if alive(pid) {
			t.Errorf("process %d (%s), started by streamgen dev, still runs after dev exited", pid, cmdline(pid))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Stderr returns what dev and the function logged so far.
func (d *devServer) Stderr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// Stdout returns dev's stdout lines after the "Function URL:" line: its
// request log.
func (d *devServer) Stdout() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.stdout...)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := ppid(p); ok {
			parent[p] = pp
		}
	}
	var out []int
	var walk func(int)
	walk = func(of int) {
		for p, pp := range parent {
			if pp == of {
				out = append(out, p)
				walk(p)
			}
		}
	}
	walk(pid)
	return out
}

// ppid reads a process's parent from /proc/PID/stat, whose second field
// (the command name, in parentheses) may itself hold spaces.
func ppid(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest) // state, ppid, ...
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// result is what an HTTP client saw of one response.
type result struct {
	Status int
	Header http.Header
	Body   []byte
	// Reads holds every body Read that returned data, timed from the
	// moment the request was sent.
	Reads []read
	// Sent is when the request was sent.
	Sent time.Time
	// Headers is when the status line and headers arrived; Done when the
	// body ended, cleanly or not.
	Headers, Done time.Duration
	// Err is the error that ended the body early: the body was cut.
	Err error
}

type read struct {
	At time.Duration
	N  int
}

func (r *result) Cut() bool { return r.Err != nil }

// FirstByte is when the first body byte arrived, or -1.
func (r *result) FirstByte() time.Duration {
	if len(r.Reads) == 0 {
		return -1
	}
	return r.Reads[0].At
}

// burst is body data that arrived together: reads less than 40 ms apart.
type burst struct {
	At   time.Duration
	Data []byte
}

func (r *result) Bursts() []burst {
	var out []burst
	off := 0
	for i, rd := range r.Reads {
		if i == 0 || rd.At-r.Reads[i-1].At >= 40*time.Millisecond {
			out = append(out, burst{At: rd.At})
		}
		b := &out[len(out)-1]
		b.Data = append(b.Data, r.Body[off:off+rd.N]...)
		off += rd.N
	}
	return out
}

// client is a plain net/http client: no compression (the body bytes are
// compared as sent), no connection reuse (each call is a fresh caller).
// An Expect: 100-continue request waits up to a second for the go-ahead.
var client = &http.Client{Transport: &http.Transport{
	DisableCompression: true, DisableKeepAlives: true, ExpectContinueTimeout: time.Second,
}}

// call sends one request and reads the response body as it arrives,
// noting when each piece came. It fails the test after 60 s.
func call(t *testing.T, method, url string, body []byte, header http.Header) *result {
	t.Helper()
	return callWithin(t, 60*time.Second, method, url, body, header)
}

// callWithin is call with another time limit.
func callWithin(t *testing.T, limit time.Duration, method, url string, body []byte, header http.Header) *result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	r := &result{Status: resp.StatusCode, Header: resp.Header, Sent: start, Headers: time.Since(start), Body: []byte{}}
	buf := make([]byte, 256<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			r.Reads = append(r.Reads, read{At: time.Since(start), N: n})
			r.Body = append(r.Body, buf[:n]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			r.Err = err
			break
		}
	}
	r.Done = time.Since(start)
	return r
}

// describe summarizes a result for a failure message.
func (r *result) describe() string {
	body := string(r.Body)
	if len(body) > 200 {
		body = fmt.Sprintf("%q… (%d bytes)", body[:200], len(r.Body))
	} else {
		body = strconv.Quote(body)
	}
	var bursts []string
	for _, b := range r.Bursts() {
		bursts = append(bursts, fmt.Sprintf("%d B at %v", len(b.Data), b.At.Round(time.Millisecond)))
	}
	return fmt.Sprintf("status %d, headers %v, body %s, cut %v (%v), bursts [%s], done at %v",
		r.Status, r.Header, body, r.Cut(), r.Err, strings.Join(bursts, ", "), r.Done.Round(time.Millisecond))
}
