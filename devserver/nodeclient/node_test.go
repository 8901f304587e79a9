package nodeclient

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/internal/testtools"
)

// requireNode returns the Node.js release of the default Lambda runtime,
// which testtools installs on first use: the client is tested where
// Lambda would run it.
func requireNode(t *testing.T) string {
	t.Helper()
	return testtools.NodeFor(t, generator.DefaultRuntime).Bin
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
