package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/devserver/nodeclient"
)

// Lambda's limits that the local Function URL enforces.
const (
	// MaxRequestBytes is the largest request (event) a Function URL
	// accepts: 6 MB.
	MaxRequestBytes = 6291456
	// MaxBufferedResponseBytes is the largest buffered (non-streamed)
	// response: 6 MB.
	MaxBufferedResponseBytes = 6291456
	// MaxStreamedResponseBytes is the largest streamed response: 200 MB.
	MaxStreamedResponseBytes = 209715200
	// FullSpeedBytes is how much of a streamed response Lambda sends at full
	// speed; after it, at most ThrottleBytesPerSecond (with Config.Throttle).
	FullSpeedBytes = 6291456
	// ThrottleBytesPerSecond is Lambda's rate for a stream's bytes after
	// the first FullSpeedBytes: 2 MB/s.
	ThrottleBytesPerSecond = 2097152

	// initTimeout is how long Lambda lets a function initialize (until its
	// first GET /next) before it gives up on the environment.
	initTimeout = 10 * time.Second
	// copyBufferSize is the buffer a streamed response is forwarded with:
	// large, so that big chunks pass in one read and one write.
	copyBufferSize = 256 << 10
)

// Launch selects the function process.
type Launch int

const (
	// LaunchClient runs the embedded Node.js runtime client (package
	// nodeclient) with `node`.
	LaunchClient Launch = iota
	// LaunchRIC runs the project's own npm aws-lambda-ric:
	// node <project>/node_modules/aws-lambda-ric/index.mjs.
	LaunchRIC
	// LaunchCommand runs Config.Command with `sh -c`, for any Runtime API
	// client (a Go binary built with aws-lambda-go, say).
	LaunchCommand

	// launchExternal starts no process; a client in the same process (a
	// test) talks to the Runtime API of s.env.
	launchExternal Launch = -1
)

// Config says what to run and where its output goes.
type Config struct {
	Project *Project
	Launch  Launch
	Command string // the shell command for LaunchCommand
	// Env holds KEY=VALUE variables (--env) set last, over the project's.
	Env []string
	// Throttle paces streamed responses at ThrottleBytesPerSecond after the
	// first FullSpeedBytes, as Lambda does.
	Throttle bool
	// Watch restarts the function, between invocations, when a file under
	// the project directory changes.
	Watch bool
	// APIKey is the key a REST API project with auth api-key takes in
	// x-api-key; empty makes one up (Server.APIKey tells it). Set, it is
	// required whatever the project's auth.
	APIKey string
	// MaxResponseBytes caps a streamed response; 0 means Lambda's
	// MaxStreamedResponseBytes. Raising it is for measuring, not for
	// behaving like Lambda.
	MaxResponseBytes int64

	// RequestLog gets one line per Function URL request; nil for none.
	RequestLog io.Writer
	// Log gets what happens to the function (start, init errors, exits,
	// restarts) and notes; nil for none.
	Log io.Writer
	// FunctionOutput gets the function's stdout and stderr, line by line,
	// prefixed with "[fn] " and "[fn stderr] "; nil for Log.
	FunctionOutput io.Writer
	// Environ is the environment to pass PATH, HOME and AWS credential,
	// profile, region and endpoint variables on from; nil for os.Environ().
	Environ []string
	// Reload, when set, reads the project again. The watcher calls it
	// when a settings file (template.yaml, .streamgen.json, package.json)
	// changes, so a new handler, memory, timeout or environment applies at
	// the restart; on an error the old settings stay.
	Reload func() (*Project, error)
}

// Server runs one function and serves its local Function URL. It is an
// http.Handler: each request is one invocation, queued while another runs
// (one invocation at a time, as in one Lambda execution environment).
type Server struct {
	cfg     Config
	project *Project
	tmpDir  string
	argv    []string // the function process's command line
	environ []string // its environment, without AWS_LAMBDA_RUNTIME_API
	region  string
	arn     string
	urlID   string

	log    *lineLog // lifecycle messages
	reqLog *lineLog // one line per request
	fnOut  *lineLog // the function's output

	// slot holds one token while an invocation (or a restart) runs.
	slot chan struct{}

	mu     sync.Mutex
	env    *env // the current execution environment; nil before the first start
	closed bool

	// ctx is cancelled by Close; background work (the watcher, restarts)
	// runs under it and is waited for with bg.
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup

	watching bool

	bufs   sync.Pool
	limits streamLimits
	front  frontEnd

	// inflight counts Function URL requests being handled, so Close can
	// let them finish their log lines.
	inflight atomic.Int64
}

// New prepares a server for cfg. It writes the embedded runtime client to
// a temporary directory (removed by Close) and checks that what the
// function process needs (node, the project's aws-lambda-ric) is there. It
// starts nothing.
func New(cfg Config) (*Server, error) {
	p := cfg.Project
	if p == nil {
		return nil, errors.New("devserver: Config.Project is nil")
	}
	if cfg.FunctionOutput == nil {
		cfg.FunctionOutput = cfg.Log
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	s := &Server{
		cfg:     cfg,
		project: p,
		slot:    make(chan struct{}, 1),
		urlID:   urlID(p.Name),
		limits:  lambdaStreamLimits,
	}
	if p.Front == FrontRestAPI && p.Auth == "api-key" && cfg.APIKey == "" {
		cfg.APIKey = "local-" + strings.ReplaceAll(newUUID(), "-", "")
		s.cfg.APIKey = cfg.APIKey
	}
	s.front = newFront(p, cfg)
	s.limits = s.front.limits(s.limits)
	if cfg.MaxResponseBytes > 0 {
		s.limits.max = cfg.MaxResponseBytes
	}
	// Outputs that are the same writer share one lineLog, so that lines
	// never interleave.
	logs := map[io.Writer]*lineLog{}
	logFor := func(w io.Writer) *lineLog {
		if w == nil || !reflect.TypeOf(w).Comparable() {
			return newLineLog(w)
		}
		if l, ok := logs[w]; ok {
			return l
		}
		logs[w] = newLineLog(w)
		return logs[w]
	}
	s.log, s.reqLog, s.fnOut = logFor(cfg.Log), logFor(cfg.RequestLog), logFor(cfg.FunctionOutput)
	s.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	// The region, as the function will see it: --env, else streamgen's
	// environment, else us-east-1.
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		for _, src := range [][]string{cfg.Env, cfg.Environ} {
			if s.region == "" {
				s.region = lookupEnv(src, name)
			}
		}
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	s.arn = fmt.Sprintf("arn:aws:lambda:%s:000000000000:function:%s", s.region, p.Name)

	env, err := s.functionEnviron(p)
	if err != nil {
		return nil, err
	}
	s.environ = env

	switch cfg.Launch {
	case LaunchClient, LaunchRIC:
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("node is not on PATH (%v): install Node.js 20 or newer, or pass --cmd to run another Runtime API client", err)
		}
		if cfg.Launch == LaunchRIC {
			ric := filepath.Join(p.Dir, "node_modules", "aws-lambda-ric", "index.mjs")
			if !fileExists(ric) {
				return nil, projectErrorf("--ric runs %s, which does not exist; run `npm install --save-dev aws-lambda-ric` in %s first (it builds native code: it needs cmake, autoconf, automake and libtool), or leave --ric out to use the built-in client", ric, p.Dir)
			}
			s.argv = []string{node, ric}
			break
		}
		dir, err := os.MkdirTemp("", "streamgen-dev-")
		if err != nil {
			return nil, fmt.Errorf("cannot create a temporary directory for the runtime client: %w", err)
		}
		client := filepath.Join(dir, nodeclient.FileName)
		if err := os.WriteFile(client, nodeclient.Source, 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("cannot write the runtime client: %w", err)
		}
		s.tmpDir = dir
		s.argv = []string{node, client}
	case LaunchCommand:
		if strings.TrimSpace(cfg.Command) == "" {
			return nil, projectErrorf("--cmd is empty; pass the command that starts your Runtime API client, e.g. --cmd ./bootstrap")
		}
		s.argv = []string{"/bin/sh", "-c", cfg.Command}
	case launchExternal:
		// No process: the tests run a Runtime API client themselves.
	default:
		return nil, fmt.Errorf("devserver: unknown Launch %d", cfg.Launch)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Project returns the project the server runs.
func (s *Server) Project() *Project { return s.proj() }

// APIKey is the key requests must send in x-api-key, "" when none is
// checked.
func (s *Server) APIKey() string {
	if r, ok := s.front.(*restFront); ok {
		return r.apiKey
	}
	return ""
}

// Endpoint names the local endpoint at addr (host:port), as the
// start-up line prints it: "Function URL: http://127.0.0.1:3000/", or
// "REST API stage prod: http://127.0.0.1:3000/prod/".
func (s *Server) Endpoint(addr string) string {
	return s.front.name() + ": http://" + addr + s.front.base()
}

// proj returns the project's current settings; a reload replaces them.
func (s *Server) proj() *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.project
}

// reload reads the project's settings again and applies them to the
// function processes started from now on. It runs only while the
// invocation slot is held, so no invocation sees settings change.
func (s *Server) reload() {
	if s.cfg.Reload == nil {
		return
	}
	p, err := s.cfg.Reload()
	if err != nil {
		s.log.printf("keeping the previous settings: %v", err)
		return
	}
	env, err := s.functionEnviron(p)
	if err != nil {
		s.log.printf("keeping the previous settings: %v", err)
		return
	}
	s.mu.Lock()
	s.project, s.environ = p, env
	s.mu.Unlock()
	s.log.printf("settings reloaded: handler %s, %d MB, %d s timeout", p.Handler, p.Memory, p.Timeout)
}

// Start starts the function process and waits until it asks for its first
// invocation or fails to initialize (the failure is logged, and the next
// request starts a fresh process), then starts watching the project's
// files if Config.Watch is set. Start is optional: the first request
// starts the function otherwise. It returns an error only when the process
// cannot be started at all, or ctx's error when ctx is done first.
func (s *Server) Start(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	_, err := s.readyEnv(ctx)
	s.release()
	var se *startError
	if errors.As(err, &se) {
		return se.err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.cfg.Watch {
		s.mu.Lock()
		start := !s.watching && !s.closed
		s.watching = true
		s.mu.Unlock()
		if start {
			s.background(s.watch)
		}
	}
	return nil
}

// background runs f in a goroutine that Close cancels and waits for.
func (s *Server) background(f func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		f(s.ctx)
	}()
}

// Serve answers Function URL requests on ln until ctx is done, then
// closes ln and every connection. It does not stop the function: Close
// does.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		hs.Close()
		<-errc
		return nil
	case err := <-errc:
		return err
	}
}

// Close stops the watcher and the function process (its whole process
// group), waits for it to exit and removes the temporary directory.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	e := s.env
	s.mu.Unlock()
	s.cancel()
	s.bg.Wait()
	if e != nil {
		e.stop(errShutdown)
		e.wait()
	}
	// Requests still in the handler end now that the function is gone.
	for deadline := time.Now().Add(2 * time.Second); s.inflight.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if s.tmpDir != "" {
		return os.RemoveAll(s.tmpDir)
	}
	return nil
}

// acquire takes the invocation slot: one invocation (or restart) at a time.
func (s *Server) acquire(ctx context.Context) error {
	select {
	case s.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) release() { <-s.slot }

// startError means the function process could not be started at all.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// readyEnv returns the current execution environment once its function
// has asked for an invocation, starting a new one if there is none or the
// last one stopped. The caller holds the slot. An error is an init failure
// (an *FunctionError, to show the caller) or a *startError.
func (s *Server) readyEnv(ctx context.Context) (*env, error) {
	s.mu.Lock()
	e := s.env
	if e == nil || e.stopped() {
		if s.closed {
			s.mu.Unlock()
			return nil, errShutdown
		}
		var err error
		e, err = s.startEnv()
		if err != nil {
			s.mu.Unlock()
			return nil, &startError{err}
		}
		s.env = e
	}
	s.mu.Unlock()
	return e, e.waitReady(ctx)
}

// restart replaces the environment old with a fresh one once no
// invocation runs (Lambda discards an environment after a timeout; a
// changed file needs a fresh one too), and waits for it to initialize. If
// old is no longer the current environment (a request has replaced it in
// the meantime), there is nothing to do.
func (s *Server) restart(ctx context.Context, old *env, why string, reload bool) {
	if err := s.acquire(ctx); err != nil {
		return
	}
	defer s.release()
	s.mu.Lock()
	current, closed := s.env, s.closed
	s.mu.Unlock()
	if closed || current != old {
		return
	}
	if old != nil {
		old.stop(errRestart)
		old.wait()
	}
	if reload {
		s.reload()
	}
	s.log.printf("restarting the function: %s", why)
	if _, err := s.readyEnv(ctx); err != nil {
		var se *startError
		if errors.As(err, &se) {
			s.log.printf("cannot start the function: %v", se.err)
		}
	}
}

// functionEnviron builds the function's environment (without
// AWS_LAMBDA_RUNTIME_API, which differs per process): the variables Lambda
// sets, the project's own, Config.Env, and from streamgen's environment
// only PATH, HOME and the AWS credential, profile, region and endpoint
// variables, so nothing else of the shell leaks in.
func (s *Server) functionEnviron(p *Project) ([]string, error) {
	vars := map[string]string{}
	for _, kv := range s.cfg.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && passedThrough(k) {
			vars[k] = v
		}
	}
	runtimeName := p.Runtime
	lambda := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        p.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(p.Memory),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + p.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"_HANDLER":                        p.Handler,
		"LAMBDA_TASK_ROOT":                p.TaskRoot,
		"AWS_REGION":                      s.region,
		"AWS_DEFAULT_REGION":              s.region,
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		// Lambda's NODE_PATH ends with the task root (/var/task); the
		// runtime's own module folders do not exist here.
		"NODE_PATH": p.TaskRoot,
	}
	if strings.HasPrefix(runtimeName, "nodejs") {
		lambda["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + runtimeName
	}
	for k, v := range lambda {
		vars[k] = v
	}
	for k, v := range p.Env {
		vars[k] = v
	}
	for _, kv := range s.cfg.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, projectErrorf("--env %s is not KEY=VALUE; write it as --env BUCKET=my-bucket", quote(kv))
		}
		switch k {
		case "_HANDLER", "LAMBDA_TASK_ROOT":
			return nil, projectErrorf("--env %s: streamgen sets %s from the project; pass --handler instead", quote(kv), k)
		case "AWS_LAMBDA_RUNTIME_API":
			return nil, projectErrorf("--env %s: streamgen sets AWS_LAMBDA_RUNTIME_API to its own Runtime API; leave it out", quote(kv))
		}
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// passedThrough reports whether a variable of streamgen's own environment
// reaches the function.
func passedThrough(name string) bool {
	switch name {
	case "PATH", "HOME",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_REGION", "AWS_DEFAULT_REGION":
		return true
	}
	// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> point the SDK at
	// real or local endpoints.
	return strings.HasPrefix(name, "AWS_ENDPOINT_URL")
}

func lookupEnv(environ []string, name string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}
