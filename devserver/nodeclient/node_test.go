package nodeclient

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// requireNode fails the test when Node.js 20 or later is missing: the
// runtime client cannot be tested without it, and a skip would hide that.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found on PATH: install Node.js 20 or later (https://nodejs.org, or e.g. `apt-get install nodejs`) to test the embedded runtime client")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	m := regexp.MustCompile(`^v(\d+)\.`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("node --version printed %q", out)
	}
	if major, _ := strconv.Atoi(string(m[1])); major < 20 {
		t.Fatalf("node %s is too old: install Node.js 20 or later", bytes.TrimSpace(out))
	}
	return node
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// nodeRun is the runtime client running as `node streamgen-runtime.mjs`,
// as the dev server starts it.
type nodeRun struct {
	cmd            *exec.Cmd
	api            *fakeAPI
	stdout, stderr *syncBuffer
	exited         chan struct{}
	waitErr        error
}

type runOptions struct {
	taskRoot string
	handler  string
	api      *fakeAPI
	env      []string // extra KEY=value
}

func startRuntime(t *testing.T, o runOptions) *nodeRun {
	t.Helper()
	node := requireNode(t)
	dir := t.TempDir()
	script := filepath.Join(dir, FileName)
	if err := os.WriteFile(script, Source, 0o644); err != nil {
		t.Fatal(err)
	}
	taskRoot, err := filepath.Abs(o.taskRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Dir = taskRoot
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"_HANDLER=" + o.handler,
		"LAMBDA_TASK_ROOT=" + taskRoot,
		"AWS_LAMBDA_RUNTIME_API=" + o.api.addr(),
		"AWS_LAMBDA_FUNCTION_NAME=fn",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/fn",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/27/[$LATEST]0123456789abcdef",
	}, o.env...)
	run := &nodeRun{cmd: cmd, api: o.api, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = run.stdout, run.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		run.waitErr = cmd.Wait()
		close(run.exited)
	}()
	t.Cleanup(run.stop)
	return run
}

// stop ends the process if it is still running (by its own process id).
func (r *nodeRun) stop() {
	select {
	case <-r.exited:
	default:
		r.cmd.Process.Kill()
		<-r.exited
	}
}

// waitExit waits for the process to end and returns its exit code.
func (r *nodeRun) waitExit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(timeout):
		t.Fatalf("runtime still running after %v\n%s", timeout, r.output())
	}
	var exitErr *exec.ExitError
	if errors.As(r.waitErr, &exitErr) {
		return exitErr.ExitCode()
	}
	if r.waitErr != nil {
		t.Fatalf("runtime: %v", r.waitErr)
	}
	return 0
}

func (r *nodeRun) running() bool {
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

func (r *nodeRun) output() string {
	return fmt.Sprintf("--- runtime stdout ---\n%s--- runtime stderr ---\n%s", r.stdout.String(), r.stderr.String())
}
