package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// env is one execution environment: a function process and the Runtime
// API server it talks to, on a port of its own. When it stops (a crash, a
// timeout, an init error, a restart), both go, and the next invocation gets
// a fresh env.
type env struct {
	s    *Server
	addr string // host:port of its Runtime API
	srv  *http.Server
	cmd  *exec.Cmd
	out  [2]*prefixWriter // the process's stdout and stderr

	queue chan *invocation // an invocation waiting for GET /next

	ready     chan struct{} // closed at the first GET /next
	readyOnce sync.Once
	started   time.Time

	stopping chan struct{} // closed when the env starts to stop
	stopOnce sync.Once
	cause    error // why it stopped; set before stopping is closed

	exited chan struct{} // closed once the process has exited
	// reaped is set as soon as Wait returns: from then on the pid may be
	// reused, so its group must not be signalled any more.
	reaped atomic.Bool

	mu       sync.Mutex
	current  *invocation     // handed out by GET /next, not yet finished
	finished map[string]bool // request ids already answered
	initErr  *FunctionError  // from POST /init/error
}

// Why an environment stopped, when nothing more specific is known.
var (
	errShutdown = errors.New("streamgen is shutting down")
	errRestart  = errors.New("the function is restarting")
)

// exitError: the process exited by itself.
type exitError struct{ err error }

func (e *exitError) Error() string {
	if e.err == nil {
		return "the function process exited (exit status 0)"
	}
	return "the function process exited (" + e.err.Error() + ")"
}

// timeoutError: an invocation ran past the function's timeout.
type timeoutError struct{ seconds int }

func (e *timeoutError) Error() string { return fmt.Sprintf("timed out after %d s", e.seconds) }

// initTimeoutError: the function did not ask for an invocation within
// Lambda's init limit.
type initTimeoutError struct{}

func (initTimeoutError) Error() string {
	return fmt.Sprintf("the function did not finish initializing within %s (Lambda's init limit)", initTimeout)
}

// startEnv starts a Runtime API server on a free port and the function
// process pointed at it. The caller holds s.mu.
func (s *Server) startEnv() (*env, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the Runtime API: %w", err)
	}
	e := &env{
		s:        s,
		addr:     ln.Addr().String(),
		queue:    make(chan *invocation),
		ready:    make(chan struct{}),
		stopping: make(chan struct{}),
		exited:   make(chan struct{}),
		finished: map[string]bool{},
		started:  time.Now(),
	}
	e.srv = &http.Server{Handler: e, ErrorLog: log.New(io.Discard, "", 0)}
	if s.argv == nil {
		go e.srv.Serve(ln)
		return e, nil // launchExternal
	}

	// The caller holds s.mu, which guards the settings a reload replaces.
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.project.TaskRoot
	cmd.Env = append(append([]string(nil), s.environ...), "AWS_LAMBDA_RUNTIME_API="+e.addr)
	e.out[0] = newPrefixWriter(s.fnOut, "[fn] ")
	e.out[1] = newPrefixWriter(s.fnOut, "[fn stderr] ")
	cmd.Stdout, cmd.Stderr = e.out[0], e.out[1]
	setProcessGroup(cmd)
	// If a grandchild keeps the output pipes open after the group is
	// killed, Wait gives up on them after this long.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("cannot start %s: %w", s.argv[0], err)
	}
	e.cmd = cmd
	// Serve only now that e.cmd is set: the process's first connections
	// wait in the listen queue until then.
	go e.srv.Serve(ln)
	go e.reap()
	return e, nil
}

// reap waits for the process to exit, stops the environment (a no-op if it
// was stopped on purpose) and logs an exit nobody asked for.
func (e *env) reap() {
	err := e.cmd.Wait()
	// Children the function left behind go with it.
	killGroup(e.cmd)
	e.reaped.Store(true)
	for _, w := range e.out {
		w.flush()
	}
	e.stop(&exitError{err})
	close(e.exited)
	var ee *exitError
	if errors.As(e.cause, &ee) {
		e.mu.Lock()
		initErr := e.initErr
		e.mu.Unlock()
		if initErr == nil {
			e.s.log.printf("%s; the next request starts it again", ee.Error())
		}
	}
}

// stop kills the process group and closes the Runtime API server, which
// breaks any response stream in flight. cause says why; the first cause
// wins.
func (e *env) stop(cause error) {
	e.stopOnce.Do(func() {
		e.cause = cause
		close(e.stopping)
		if !e.reaped.Load() {
			killGroup(e.cmd)
		}
		e.srv.Close()
		if e.cmd == nil {
			close(e.exited) // launchExternal: there is no process to wait for
		}
	})
}

// wait waits for the process to exit after stop.
func (e *env) wait() { <-e.exited }

func (e *env) stopped() bool {
	select {
	case <-e.stopping:
		return true
	default:
		return false
	}
}

// waitReady waits for the function's first GET /next. If it fails to
// initialize instead, the error is what the caller should see (an init
// error, the process's exit, or Lambda's init time limit).
func (e *env) waitReady(ctx context.Context) error {
	select {
	case <-e.stopping:
		return e.failure(nil)
	case <-e.ready:
		return nil
	default:
	}
	t := time.NewTimer(initTimeout)
	defer t.Stop()
	select {
	case <-e.ready:
		return nil
	case <-e.stopping:
		return e.failure(nil)
	case <-t.C:
		e.stop(initTimeoutError{})
		e.s.log.printf("%v; the next request starts it again", initTimeoutError{})
		return e.failure(nil)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failure describes, as a function error, why the environment stopped
// while inv (possibly nil) was running, in the words Lambda uses.
func (e *env) failure(inv *invocation) *FunctionError {
	<-e.stopping
	e.mu.Lock()
	initErr := e.initErr
	e.mu.Unlock()
	if initErr != nil {
		return initErr
	}
	if inv != nil {
		if crash := inv.crashError(); crash != nil {
			return crash
		}
	}
	reqID := ""
	if inv != nil {
		reqID = "RequestId: " + inv.id + " "
	}
	var (
		ee *exitError
		te *timeoutError
	)
	switch {
	case errors.As(e.cause, &te):
		return &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("%sError: Task timed out after %d.00 seconds", reqID, te.seconds), timeout: te}
	case errors.As(e.cause, &ee):
		status := "exit status 0"
		if ee.err != nil {
			status = ee.err.Error()
		}
		return &FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("%sError: Runtime exited with error: %s", reqID, status)}
	case errors.Is(e.cause, initTimeoutError{}):
		return &FunctionError{Type: "Sandbox.Timedout", Message: e.cause.Error()}
	default:
		return &FunctionError{Type: "Runtime.Unavailable", Message: e.cause.Error()}
	}
}

// finish ends inv's life in the environment: later posts for its request id
// are stale.
func (e *env) finish(inv *invocation) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current == inv {
		e.current = nil
	}
	e.finished[inv.id] = true
}
