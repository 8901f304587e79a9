package devserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary play a function process: with
// DEVSERVER_TEST_FUNCTION set, it is a small Runtime API client instead.
func TestMain(m *testing.M) {
	if mode := os.Getenv("DEVSERVER_TEST_FUNCTION"); mode != "" {
		os.Exit(testFunction(mode))
	}
	os.Exit(m.Run())
}

// testFunction is a Runtime API client written with net/http. Mode "init-error"
// fails to initialize; mode "serve" answers each event by its rawPath:
//
//	/pid    streams its process id
//	/spawn  starts `sleep 300` and streams "<own pid> <child pid>"
//	/crash  exits with status 3 without answering
//	/bye    answers, then exits with status 0 before asking for more
//	/hang   never answers
//	other   streams "hello from <rawPath>"
func testFunction(mode string) int {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	fmt.Println("test function starting")
	fmt.Fprintln(os.Stderr, "a line on stderr\rwith a record break")
	if mode == "init-error" {
		body := `{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find module 'nope'","trace":[]}`
		req, _ := http.NewRequest("POST", base+"/init/error", strings.NewReader(body))
		req.Header.Set(headerErrorType, "Runtime.ImportModuleError")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		return 1
	}
	for {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "Failed to get next invocation:", err)
			return 1
		}
		id := resp.Header.Get(headerRequestID)
		var ev struct {
			RawPath string `json:"rawPath"`
		}
		json.NewDecoder(resp.Body).Decode(&ev)
		resp.Body.Close()
		var answer string
		switch ev.RawPath {
		case "/pid":
			answer = strconv.Itoa(os.Getpid())
		case "/spawn":
			child := exec.Command("sleep", "300")
			if err := child.Start(); err != nil {
				answer = "spawn failed: " + err.Error()
			} else {
				answer = fmt.Sprintf("%d %d", os.Getpid(), child.Process.Pid)
			}
		case "/crash":
			os.Exit(3)
		case "/hang":
			select {}
		default:
			answer = "hello from " + ev.RawPath
		}
		req, _ := http.NewRequest("POST", base+"/invocation/"+id+"/response", io.MultiReader(strings.NewReader(answer)))
		req.ContentLength = -1 // chunked
		req.Header.Set(headerResponseMode, "streaming")
		req.Header.Set("Content-Type", "text/plain")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		if ev.RawPath == "/bye" {
			time.Sleep(200 * time.Millisecond)
			return 0
		}
	}
}

// processServer runs the test binary as the function (--cmd).
func processServer(t *testing.T, mode string, timeout int, watch bool) (*Server, string, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	log := &syncBuffer{}
	p := &Project{Dir: dir, Name: "proc-fn", TaskRoot: dir, Handler: "index.handler", Memory: 128, Timeout: timeout}
	s, err := New(Config{
		Project: p,
		Launch:  LaunchCommand,
		Command: "exec " + shellQuote(os.Args[0]),
		Env:     []string{"DEVSERVER_TEST_FUNCTION=" + mode},
		Watch:   watch,
		Log:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return s, hs.URL, log
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// alive reports whether a process exists (and is not a zombie).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

// A crashed process is replaced on the next request.
func TestProcessCrashRestarts(t *testing.T) {
	s, url, log := processServer(t, "serve", 30, false)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, pid1 := get(t, url+"/pid")
	status, body := get(t, url+"/crash")
	if status != 502 || !strings.Contains(body, "Runtime.ExitError") || !strings.Contains(body, "exit status 3") {
		t.Errorf("crash: %d %s", status, body)
	}
	status, pid2 := get(t, url+"/pid")
	if status != 200 || pid2 == pid1 || pid2 == "" {
		t.Errorf("after the crash: %d, pid %s then %s", status, pid1, pid2)
	}
	if !strings.Contains(log.String(), "[fn] test function starting") || !strings.Contains(log.String(), "[fn stderr] a line on stderr\n") ||
		!strings.Contains(log.String(), "[fn stderr] with a record break\n") {
		t.Errorf("function output not prefixed line by line:\n%s", log)
	}
}

// A process that exits between invocations is replaced without failing
// the next request, as Lambda starts a fresh environment.
func TestProcessExitBetweenInvocations(t *testing.T) {
	_, url, log := processServer(t, "serve", 30, false)
	if status, body := get(t, url+"/bye"); status != 200 || body != "hello from /bye" {
		t.Fatalf("bye: %d %q", status, body)
	}
	if status, body := get(t, url+"/after"); status != 200 || body != "hello from /after" {
		t.Errorf("the request after the exit got %d %q\n%s", status, body, log)
	}
}

// Close kills the whole process group, grandchildren included.
func TestCloseKillsProcessGroup(t *testing.T) {
	s, url, _ := processServer(t, "serve", 30, false)
	status, body := get(t, url+"/spawn")
	var fn, child int
	if _, err := fmt.Sscan(body, &fn, &child); status != 200 || err != nil {
		t.Fatalf("spawn: %d %q", status, body)
	}
	if !alive(fn) || !alive(child) {
		t.Fatal("the processes are not running")
	}
	s.Close()
	waitFor(t, 3*time.Second, "the function and its child to be gone", func() bool { return !alive(fn) && !alive(child) })
}

// A timeout kills the process; a fresh one takes the next request.
func TestProcessTimeoutRestarts(t *testing.T) {
	_, url, log := processServer(t, "serve", 1, false)
	_, pid1 := get(t, url+"/pid")
	status, body := get(t, url+"/hang")
	if status != 502 || !strings.Contains(body, "Task timed out after 1.00 seconds") {
		t.Errorf("hang: %d %s", status, body)
	}
	p1, _ := strconv.Atoi(pid1)
	waitFor(t, 3*time.Second, "the timed-out process to be gone", func() bool { return !alive(p1) })
	status, pid2 := get(t, url+"/pid")
	if status != 200 || pid2 == pid1 {
		t.Errorf("after the timeout: %d, pid %s then %s", status, pid1, pid2)
	}
	if !strings.Contains(log.String(), "restarting the function: the last invocation timed out after 1 s") {
		t.Errorf("log:\n%s", log)
	}
}

// An init error is logged at start, and each request reports it.
func TestProcessInitError(t *testing.T) {
	s, url, log := processServer(t, "init-error", 30, false)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "init error: Runtime.ImportModuleError: Cannot find module 'nope'") {
		t.Errorf("log:\n%s", log)
	}
	status, body := get(t, url+"/")
	if status != 502 || !strings.Contains(body, "Runtime.ImportModuleError") {
		t.Errorf("got %d %s", status, body)
	}
}

// A changed file restarts the function between requests.
func TestWatchRestartsOnChange(t *testing.T) {
	s, url, log := processServer(t, "serve", 30, true)
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, pid1 := get(t, url+"/pid")
	os.MkdirAll(filepath.Join(s.project.Dir, "node_modules"), 0o755)
	os.WriteFile(filepath.Join(s.project.Dir, "node_modules", "ignored.js"), []byte("x"), 0o644)
	time.Sleep(3 * pollInterval)
	if strings.Contains(log.String(), "restarting") {
		t.Fatalf("a change under node_modules restarted the function:\n%s", log)
	}
	os.WriteFile(filepath.Join(s.project.Dir, "index.mjs"), []byte("changed"), 0o644)
	waitFor(t, 5*time.Second, "the restart", func() bool { return strings.Contains(log.String(), "restarting the function: index.mjs changed") })
	_, pid2 := get(t, url+"/pid")
	if pid2 == pid1 {
		t.Errorf("same process %s after the change", pid1)
	}
}

// A change to a settings file reloads the project at the restart; a
// change to code does not, and a reload that fails keeps the old settings.
func TestWatchReloadsSettings(t *testing.T) {
	s, url, log := processServer(t, "serve", 30, true)
	dir, original := s.project.Dir, *s.project
	var reloads atomic.Int32
	s.cfg.Reload = func() (*Project, error) {
		if reloads.Add(1) == 2 {
			return nil, errors.New("template.yaml: not valid YAML")
		}
		p := original
		p.Timeout = 7
		return &p, nil
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	get(t, url+"/pid")
	os.WriteFile(filepath.Join(dir, "index.mjs"), []byte("code"), 0o644)
	waitFor(t, 5*time.Second, "the restart", func() bool { return strings.Contains(log.String(), "index.mjs changed") })
	if reloads.Load() != 0 {
		t.Fatal("a code change reloaded the settings")
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", log)
		}
	})
	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte("Timeout: 7"), 0o644)
	waitFor(t, 5*time.Second, "the reload", func() bool {
		return strings.Contains(log.String(), "settings reloaded: handler index.handler, 128 MB, 7 s timeout")
	})
	if got := s.Project().Timeout; got != 7 {
		t.Errorf("timeout after the reload = %d, want 7", got)
	}
	os.WriteFile(filepath.Join(dir, "template.yaml"), []byte("Timeout: [8"), 0o644)
	waitFor(t, 5*time.Second, "the failed reload", func() bool {
		return strings.Contains(log.String(), "keeping the previous settings: template.yaml: not valid YAML")
	})
	if got := s.Project().Timeout; got != 7 {
		t.Errorf("timeout after a failed reload = %d, want 7", got)
	}
	if code, _ := get(t, url+"/pid"); code != 200 {
		t.Errorf("status %d after the reloads", code)
	}
}
