package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/internal/testtools"
)

// lockedBuffer collects output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// fakeClient is a minimal Runtime API client for --cmd: it starts a
// grandchild (sleep) to show that the whole process group is stopped,
// writes both pids to $PIDS_FILE, and streams "hello <path>" back for each
// event ("/fail" fails after its first write).
const fakeClient = `
import http from 'node:http';
import fs from 'node:fs';
import { spawn } from 'node:child_process';

const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const child = spawn('sleep', ['300'], { stdio: 'ignore' });
fs.writeFileSync(process.env.PIDS_FILE, process.pid + ' ' + child.pid);
console.log('fake client ready');

function next() {
  return new Promise((resolve, reject) => {
    http.get(api + '/invocation/next', (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ id: res.headers['lambda-runtime-aws-request-id'], event: JSON.parse(body) }));
    }).on('error', reject);
  });
}

for (;;) {
  const { id, event } = await next();
  await new Promise((resolve) => {
    const req = http.request(api + '/invocation/' + id + '/response', {
      method: 'POST',
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Content-Type': 'text/plain',
        'Transfer-Encoding': 'chunked',
        'Trailer': 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.write('hello ' + event.rawPath);
    if (event.rawPath === '/fail') {
      const body = Buffer.from(JSON.stringify({ errorType: 'Error', errorMessage: 'boom', trace: [] })).toString('base64');
      req.addTrailers({ 'Lambda-Runtime-Function-Error-Type': 'Error', 'Lambda-Runtime-Function-Error-Body': body });
    }
    req.end();
  });
}
`

// needNodeCLI puts the Node.js release of the default runtime first on
// PATH, where dev looks node up.
func needNodeCLI(t *testing.T) {
	t.Helper()
	node := testtools.NodeFor(t, generator.DefaultRuntime)
	t.Setenv("PATH", node.Dir()+string(os.PathListSeparator)+os.Getenv("PATH"))
	testtools.Record(t, "on Node.js %s", node.Version)
}

// fakeProject writes a project whose function is the fake client.
func fakeProject(t *testing.T) (dir, pidsFile string) {
	t.Helper()
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "fake.mjs"), []byte(fakeClient), 0o644)
	os.WriteFile(filepath.Join(dir, ".streamgen.json"), []byte(`{"template":"echo","answers":{"name":"fake","runtime":"nodejs24.x","memory":256,"timeout":10}}`), 0o644)
	return dir, filepath.Join(dir, "pids")
}

func readPids(t *testing.T, file string) []int {
	t.Helper()
	var fn, child int
	b, err := os.ReadFile(file)
	if _, err2 := fmt.Sscan(string(b), &fn, &child); err != nil || err2 != nil {
		t.Fatalf("reading %s: %v %v", file, err, err2)
	}
	return []int{fn, child}
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

var functionURLLine = regexp.MustCompile(`(?m)^Function URL: (http://127\.0\.0\.1:\d+/)$`)

// streamgen dev prints the Function URL, serves requests with a log line
// each, and on cancel (what SIGINT does in main) stops the function and
// everything it started, and exits 0.
func TestDevServesAndStopsCleanly(t *testing.T) {
	needNodeCLI(t)
	dir, pids := fakeProject(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"dev", "--dir", dir, "--port", "0", "--cmd", "node fake.mjs", "--env", "PIDS_FILE=" + pids},
			strings.NewReader(""), &stdout, &stderr)
	}()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := functionURLLine.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no Function URL line\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if first, _, _ := strings.Cut(stdout.String(), "\n"); first != "Function URL: "+url[:len(url)-1]+"/" {
		t.Errorf("the first stdout line is %q", first)
	}

	resp, err := http.Get(url + "hi?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello /hi" {
		t.Errorf("got %d %q", resp.StatusCode, body)
	}

	// An error after the first byte: the body is cut, and the log says so.
	resp, err = http.Get(url + "fail")
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello /fail" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("fail: %q, %v; want the first write, then a cut", body, err)
	}

	procs := readPids(t, pids)
	for _, pid := range procs {
		if !running(pid) {
			t.Fatalf("process %d is not running", pid)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, want 0\nstderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("streamgen dev did not stop")
	}
	for _, pid := range procs {
		for end := time.Now().Add(3 * time.Second); running(pid) && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if running(pid) {
			t.Errorf("process %d still runs after streamgen dev stopped", pid)
		}
	}
	out := stdout.String()
	for _, want := range []string{"GET /hi?x=1 200 ttfb=", "bytes=9 ", "GET /fail 200", "cut: Error: boom"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "[fn] fake client ready") {
		t.Errorf("the function's output is not on stderr, prefixed:\n%s", stderr.String())
	}
}

// A port in use is a failure that says what to pass.
func TestDevPortInUse(t *testing.T) {
	needNodeCLI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir, _ := fakeProject(t)
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	code, _, stderr := runCLI(t, "dev", "--dir", dir, "--port", port, "--cmd", "node fake.mjs")
	if code != exitFailed || !strings.Contains(stderr, "--port 0") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// streamgen invoke writes the body to stdout and the status and timings
// to stderr; the exit code says whether the response was complete.
func TestInvoke(t *testing.T) {
	needNodeCLI(t)
	dir, pids := fakeProject(t)
	code, stdout, stderr := runCLI(t, "invoke", "--dir", dir, "--cmd", "node fake.mjs", "--env", "PIDS_FILE="+pids, "--path", "/there?x=1", "-H", "x-test: 1")
	if code != 0 || stdout != "hello /there" {
		t.Errorf("exit %d, stdout %q\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"< HTTP/1.1 200 OK\n", "< Content-Type: text/plain\n", "first byte ", "total ", "12 bytes"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, pid := range readPids(t, pids) {
		for end := time.Now().Add(3 * time.Second); running(pid) && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if running(pid) {
			t.Errorf("process %d still runs after streamgen invoke", pid)
		}
	}

	code, stdout, stderr = runCLI(t, "invoke", "--dir", dir, "--cmd", "node fake.mjs", "--env", "PIDS_FILE="+pids, "--path", "/fail")
	if code != exitFailed || stdout != "hello /fail" || !strings.Contains(stderr, "cut short after 11 bytes: Error: boom") {
		t.Errorf("fail: exit %d, stdout %q\nstderr:\n%s", code, stdout, stderr)
	}
}

// The generated echo project, through the built-in runtime client.
func TestInvokeGoldenEcho(t *testing.T) {
	needNodeCLI(t)
	code, stdout, stderr := runCLI(t, "invoke", "--dir", filepath.Join("..", "..", "golden", "echo-sam"),
		"--method", "post", "--path", "/echo?lang=en", "--header", "content-type: application/json", "--data", `{"message":"hi"}`)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	for _, want := range []string{`"method":"POST","path":"/echo","query":{"lang":"en"}`, `"body":"{\"message\":\"hi\"}","encoding":"utf8"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "< Content-Type: application/x-ndjson") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// Usage errors name the value and what to pass, and exit 2.
func TestDevInvokeUsageErrors(t *testing.T) {
	dir, _ := fakeProject(t)
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte("not json"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dev", "--port", "70000"}, `invalid --port "70000": it is not a TCP port; pass a port between 1 and 65535, or --port 0`},
		{[]string{"dev", "--port", "x"}, `invalid argument "x" for "--port"`},
		{[]string{"dev", "--ric", "--cmd", "x"}, "--ric and --cmd both choose the function process"},
		{[]string{"dev", "--timeout", "0"}, "invalid --timeout \"0\""},
		{[]string{"dev", "--memory", "64"}, "invalid --memory \"64\""},
		{[]string{"dev", "--env", "NOEQUALS"}, `invalid --env "NOEQUALS": it is not KEY=VALUE`},
		{[]string{"dev", "--dir", filepath.Join(dir, "missing")}, "no such directory"},
		{[]string{"dev", "--dir", t.TempDir()}, "is not a streamgen project"},
		{[]string{"dev", "--dir", dir}, `the handler "src/index.handler": no file src/index.mjs`},
		{[]string{"dev", "--dir", dir, "--cmd", "true", "--env", "_HANDLER=x"}, "pass --handler instead"},
		{[]string{"dev", "--dir", dir, "--ric", "--handler", "fake.handler"}, "npm install --save-dev aws-lambda-ric"},
		{[]string{"dev", "extra"}, `unknown command "extra"`},
		{[]string{"invoke", "--method", "TRACE"}, `invalid --method "TRACE": the front end does not take it; pass one of GET`},
		{[]string{"invoke", "--path", "relative"}, `invalid --path "relative"`},
		{[]string{"invoke", "--header", "no colon"}, `invalid --header "no colon": it is not NAME: VALUE`},
		{[]string{"invoke", "--event", event}, "is not valid JSON"},
		{[]string{"invoke", "--event", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"invoke", "--event", event, "--data", "x"}, "--event gives the whole event, so --data has nothing to change"},
		{[]string{"invoke", "--data", "@" + filepath.Join(dir, "none.txt")}, "pass @FILE with a readable file"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// --help documents the contract.
func TestDevHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "dev", "--help")
	for _, want := range []string{"Function URL: http://127.0.0.1:PORT/", "One invocation at a time", "concurrent requests wait their turn", "AWS_ENDPOINT_URL", "--no-watch", "--throttle", "cut:"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("dev --help lacks %q", want)
		}
	}
	code, stdout, _ = runCLI(t, "invoke", "--help")
	for _, want := range []string{"--event", "--data @FILE", "Exit codes: 0 the response was complete"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("invoke --help lacks %q", want)
		}
	}
}

func TestDevResponseLimitMustBePositive(t *testing.T) {
	code, stdout, stderr := runCLI(t, "dev", "--dir", t.TempDir(), "--response-limit", "0")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, `invalid --response-limit "0": it must be at least 1 MiB`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// dev says when the local node is not the runtime's Node.js major version.
func TestNodeVersionNote(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte("#!/bin/sh\necho v22.23.3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if note := nodeVersionNote("nodejs24.x"); !strings.Contains(note, "runs on nodejs24.x in Lambda, but the node on PATH is v22.23.3; install Node.js 24") {
		t.Errorf("nodejs24.x on node 22: note %q", note)
	}
	for _, runtime := range []string{"nodejs22.x", "", "provided.al2023"} {
		if note := nodeVersionNote(runtime); note != "" {
			t.Errorf("runtime %q on node 22: note %q, want none", runtime, note)
		}
	}
}
