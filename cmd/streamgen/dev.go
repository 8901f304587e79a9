package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/streamgen/streamgen/devserver"
	"github.com/streamgen/streamgen/generator"
)

// devCommands returns the commands that run a project locally: dev and
// invoke.
func (a *app) devCommands() []*cobra.Command {
	return []*cobra.Command{a.devCommand(), a.invokeCommand()}
}

// functionFlags are the flags dev and invoke share: which project, how to
// run its function, and overrides of its settings.
type functionFlags struct {
	dir     string
	handler string
	command string
	ric     bool
	timeout int
	memory  int
	env     []string
	front   string
	stage   string
	apiKey  string
}

func (ff *functionFlags) register(f *pflag.FlagSet) {
	f.StringVar(&ff.dir, "dir", ".", "the project directory (where .streamgen.json, template.yaml or cdk.json is)")
	f.StringVar(&ff.handler, "handler", "", "handler FILE.EXPORT relative to --dir, e.g. src/index.handler (default: from template.yaml, else src/index.handler)")
	f.IntVar(&ff.timeout, "timeout", 0, fmt.Sprintf("function timeout in seconds, %d-%d (default: the project's)", generator.MinTimeout, generator.MaxTimeout))
	f.IntVar(&ff.memory, "memory", 0, fmt.Sprintf("function memory in MB, %d-%d, as AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default: the project's)", generator.MinMemory, generator.MaxMemory))
	f.StringArrayVar(&ff.env, "env", nil, "environment variable KEY=VALUE for the function, repeatable; wins over the project's")
	f.BoolVar(&ff.ric, "ric", false, "run the project's own npm aws-lambda-ric (node_modules/aws-lambda-ric) instead of the built-in client")
	f.StringVar(&ff.command, "cmd", "", "run COMMAND (with sh -c, in the task root) as the function process: any Runtime API client")
	f.StringVar(&ff.front, "front", "", "front end to emulate: url (a Function URL) or rest-api (a REST API stage) (default: the project's)")
	f.StringVar(&ff.stage, "stage", "", "the REST API's stage, served under /STAGE/ (default: the project's, else "+generator.DefaultStage+")")
	f.StringVar(&ff.apiKey, "api-key", "", "the key a REST API takes in x-api-key (default: made up and printed when the project's auth is api-key)")
}

// check validates the shared flags; flags names the ones given explicitly.
func (ff *functionFlags) check(flags *pflag.FlagSet) error {
	var errs []error
	if flags.Changed("timeout") {
		if err := generator.ValidateTimeout(ff.timeout); err != nil {
			errs = append(errs, err)
		}
	}
	if flags.Changed("memory") {
		if err := generator.ValidateMemory(ff.memory); err != nil {
			errs = append(errs, err)
		}
	}
	if ff.ric && ff.command != "" {
		errs = append(errs, usagef("--ric and --cmd both choose the function process; pass one of them"))
	}
	if flags.Changed("cmd") && strings.TrimSpace(ff.command) == "" {
		errs = append(errs, &generator.InvalidError{Field: "--cmd", Value: ff.command, Reason: "it is empty", Hint: "pass the command that starts your Runtime API client, e.g. --cmd ./bootstrap"})
	}
	if flags.Changed("handler") && ff.handler == "" {
		errs = append(errs, &generator.InvalidError{Field: "--handler", Reason: "it is empty", Hint: "pass FILE.EXPORT, e.g. --handler src/index.handler, or leave the flag out"})
	}
	if flags.Changed("front") && !slices.Contains(generator.FrontChoices, ff.front) {
		errs = append(errs, &generator.InvalidError{Field: "--front", Value: ff.front, Reason: "not a front end streamgen emulates", Hint: "pass --front " + strings.Join(generator.FrontChoices, " or --front ")})
	}
	if flags.Changed("stage") {
		if err := generator.ValidateStage(ff.stage); err != nil {
			errs = append(errs, err)
		}
	}
	if flags.Changed("api-key") && len(ff.apiKey) < 20 {
		errs = append(errs, &generator.InvalidError{Field: "--api-key", Value: ff.apiKey, Reason: "API Gateway keys are at least 20 characters", Hint: "pass a longer key, or leave the flag out for a made-up one"})
	}
	if flags.Changed("dir") && ff.dir == "" {
		errs = append(errs, &generator.InvalidError{Field: "--dir", Reason: "it is empty", Hint: "pass the project directory, e.g. --dir ./my-stream"})
	}
	for _, kv := range ff.env {
		if k, _, ok := strings.Cut(kv, "="); !ok || !validEnvName(k) {
			errs = append(errs, &generator.InvalidError{Field: "--env", Value: kv, Reason: "it is not KEY=VALUE with a KEY of letters, digits and underscores", Hint: "write it as --env BUCKET=my-bucket"})
		}
	}
	return errors.Join(errs...)
}

func validEnvName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// server loads the project and prepares a devserver for it.
func (ff *functionFlags) server(cfg devserver.Config) (*devserver.Server, error) {
	overrides := devserver.Overrides{
		Handler:          ff.handler,
		Timeout:          ff.timeout,
		Memory:           ff.memory,
		Front:            ff.front,
		Stage:            ff.stage,
		SkipHandlerCheck: ff.command != "",
	}
	project, err := devserver.LoadProject(ff.dir, overrides)
	if err != nil {
		return nil, devError(err)
	}
	cfg.Project = project
	// Flags keep winning when the watcher reloads the project's files.
	cfg.Reload = func() (*devserver.Project, error) { return devserver.LoadProject(ff.dir, overrides) }
	cfg.Env = ff.env
	cfg.APIKey = ff.apiKey
	switch {
	case ff.ric:
		cfg.Launch = devserver.LaunchRIC
	case ff.command != "":
		cfg.Launch, cfg.Command = devserver.LaunchCommand, ff.command
	}
	srv, err := devserver.New(cfg)
	if err != nil {
		return nil, devError(err)
	}
	return srv, nil
}

// devError keeps a project or flag problem a usage error (exit 2) and makes
// anything else a failure (exit 1).
func devError(err error) error {
	var pe *devserver.ProjectError
	if errors.As(err, &pe) {
		return err
	}
	return failure{err}
}

// describe writes what is about to run, and what the loader skipped, to w.
func describe(w io.Writer, srv *devserver.Server, ff *functionFlags) {
	p := srv.Project()
	runner := "the built-in Node.js runtime client"
	switch {
	case ff.ric:
		runner = "node_modules/aws-lambda-ric"
	case ff.command != "":
		runner = "--cmd " + strconv.Quote(ff.command)
	}
	runtime := p.Runtime
	if runtime == "" {
		runtime = "runtime unknown"
	}
	fmt.Fprintf(w, "streamgen: running %s: handler %s in %s with %s (%s, %d MB, %d s timeout; settings from %s)\n",
		p.Name, p.Handler, displayDir(p.TaskRoot), runner, runtime, p.Memory, p.Timeout, p.Source)
	printNotes(w, p)
	if key := srv.APIKey(); key != "" {
		fmt.Fprintf(w, "streamgen: the REST API takes the API key %s in x-api-key (--api-key sets another)\n", key)
	}
	if ff.command == "" {
		if note := nodeVersionNote(p.Runtime); note != "" {
			fmt.Fprintf(w, "streamgen: note: %s\n", note)
		}
	}
}

// nodeVersionNote says when the node on PATH is not the Node.js major
// version of the project's Lambda runtime, since behaviour differs between
// versions (stream buffer sizes, module loading); "" when they match or
// either is unknown.
func nodeVersionNote(runtime string) string {
	want, ok := strings.CutPrefix(strings.TrimSuffix(runtime, ".x"), "nodejs")
	if !ok || want == "" {
		return ""
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "" // New reports a missing node
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return ""
	}
	version := strings.TrimSpace(string(out))
	if major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), "."); major == want {
		return ""
	}
	return fmt.Sprintf("the function runs on %s in Lambda, but the node on PATH is %s; install Node.js %s to run it here as Lambda does", runtime, version, want)
}

// printNotes writes what the project loader could not use.
func printNotes(w io.Writer, p *devserver.Project) {
	for _, n := range p.Notes {
		fmt.Fprintf(w, "streamgen: note: %s\n", generator.SanitizeMessage(n))
	}
}

type devFlags struct {
	functionFlags
	port          int
	throttle      bool
	noWatch       bool
	responseLimit int // MiB
}

func (a *app) devCommand() *cobra.Command {
	var df devFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the project's function behind a local Function URL or REST API",
		Long: `Run the project's function locally behind a stand-in for its front end: a
Function URL, or an API Gateway REST API stage.

streamgen dev starts the function with the settings Lambda gives it (handler,
memory, timeout and environment variables from template.yaml, else
.streamgen.json) and a local Lambda Runtime API, then serves
http://127.0.0.1:PORT/ (a REST API project: http://127.0.0.1:PORT/STAGE/).
Each request becomes an event of the front end (a Function URL's payload
format 2.0, a REST API's proxy event, payload format 1.0) and the response
streams back as the front end sends it: the status and headers of
HttpResponseStream.from, every write as it happens, a cut connection when
the handler fails mid-stream, 502 when it fails before the first byte.

A REST API project also gets API Gateway's rules: other stages are refused
(403), with auth api-key so is a request without the key in x-api-key (a key
is made up and printed at start, or pass --api-key), OPTIONS requests are
answered without invoking the function when the function's environment has
CORS_ALLOW_ORIGINS (with the methods and headers the SAM template's OPTIONS
methods allow; a CDK app's are not read, so the requested ones are
allowed), and a stream is cut after 5 minutes without a byte or 15 minutes
in all (the function runs on). --front and --stage choose the front end for
a directory that does not say.

Lambda's rules apply:
  - One invocation at a time per function process, as in one Lambda
    execution environment: concurrent requests wait their turn.
  - The function's timeout: the response is cut (or 502 if nothing was
    sent) and the process is restarted.
  - Request bodies up to 6 MB (else 413, without invoking), buffered
    responses up to 6 MB, streamed responses up to 200 MB (then cut).
    --throttle paces a stream at 2 MB/s after its first 6 MB (a REST
    API's: 10 MB).
  - A client that disconnects does not stop the function: it runs to its end.

The function restarts when it crashes (on the next request) and, between
requests, when a file under the project changes (node_modules, .git, cdk.out
and .aws-sam are not watched; --no-watch turns this off). A change to
template.yaml, .streamgen.json or package.json also reloads the settings
(flags still win); if the file no longer loads, the old settings stay.

It runs with the built-in Node.js runtime client, which speaks the Runtime
API like aws-lambda-ric; --ric runs the project's own aws-lambda-ric instead
and --cmd any Runtime API client (e.g. a Go binary built with aws-lambda-go).
Its environment: the variables Lambda sets (AWS_LAMBDA_*, _HANDLER,
LAMBDA_TASK_ROOT, AWS_REGION, TZ=:UTC, NODE_PATH), the project's, then --env.
From your shell only these pass through, so the AWS SDK reaches real or local
endpoints and nothing else leaks in: PATH, HOME, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_DEFAULT_PROFILE,
AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_REGION, AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.

Output: once the function has started (or failed to initialize), stdout gets
one line "Function URL: http://127.0.0.1:PORT/" (or "REST API stage prod:
http://127.0.0.1:PORT/prod/"), then one line per request:
method, path, status, time to first byte, bytes, total time, and "cut:
REASON" when a body was cut short. stderr gets the function's own output,
each line prefixed "[fn] " (its stdout) or "[fn stderr] ", and what happens to
the function (ready, init errors, exits, restarts).

Ctrl-C (or SIGTERM) stops the function and everything it started, and exits 0.

Exit codes: 0 stopped, 1 the server could not start, 2 usage error.`,
		Example: `  streamgen dev
  streamgen dev --dir ./my-stream --port 0
  streamgen dev --env BUCKET=my-assets --env AWS_ENDPOINT_URL_S3=http://127.0.0.1:5000
  streamgen dev --throttle --timeout 60
  streamgen dev --cmd ./bootstrap    # e.g. a Go binary built with aws-lambda-go
  curl -N http://127.0.0.1:3000/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := df.check(cmd.Flags()); err != nil {
				return err
			}
			if df.port < 0 || df.port > 65535 {
				return &generator.InvalidError{Field: "--port", Value: strconv.Itoa(df.port), Reason: "it is not a TCP port", Hint: "pass a port between 1 and 65535, or --port 0 for a free one"}
			}
			return a.runDev(df)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	df.register(f)
	f.IntVar(&df.port, "port", 3000, "port of the local endpoint on 127.0.0.1; 0 picks a free one")
	f.BoolVar(&df.throttle, "throttle", false, "pace streamed responses at 2 MB/s after the first 6 MB (REST API: 10 MB), as AWS does")
	f.IntVar(&df.responseLimit, "response-limit", devserver.MaxStreamedResponseBytes>>20, "cut streamed responses after this many MiB (Lambda's limit is 200); raise it only to measure")
	f.BoolVar(&df.noWatch, "no-watch", false, "do not restart the function when the project's files change")
	f.SortFlags = false
	return cmd
}

func (a *app) runDev(df devFlags) error {
	if df.responseLimit < 1 {
		return &generator.InvalidError{Field: "--response-limit", Value: strconv.Itoa(df.responseLimit), Reason: "it must be at least 1 MiB", Hint: "leave it out for Lambda's 200"}
	}
	srv, err := df.server(devserver.Config{
		Throttle:         df.throttle,
		MaxResponseBytes: int64(df.responseLimit) << 20,
		Watch:            !df.noWatch,
		RequestLog:       a.stdout,
		Log:              a.stderr,
		FunctionOutput:   a.stderr,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(df.port)))
	if err != nil {
		return failure{fmt.Errorf("cannot listen on 127.0.0.1:%d (%v); pass another --port, or --port 0 for a free one", df.port, err)}
	}
	defer ln.Close()
	describe(a.stderr, srv, &df.functionFlags)
	if err := srv.Start(a.ctx); err != nil {
		if a.ctx.Err() != nil {
			return nil // interrupted while starting: stopped
		}
		return failure{err}
	}
	fmt.Fprintln(a.stdout, srv.Endpoint(ln.Addr().String()))
	if err := srv.Serve(a.ctx, ln); err != nil {
		return failure{fmt.Errorf("serving the local endpoint: %w", err)}
	}
	// Ctrl-C or SIGTERM: the deferred Close stops the function.
	return nil
}

type invokeFlags struct {
	functionFlags
	method  string
	path    string
	headers []string
	data    string
	event   string
}

// functionURLMethods are the methods a Function URL accepts.
var functionURLMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func (a *app) invokeCommand() *cobra.Command {
	var inf invokeFlags
	cmd := &cobra.Command{
		Use:   "invoke",
		Short: "Invoke the project's function once, as through its front end",
		Long: `Invoke the project's function once, as a request to its front end (a
Function URL or a REST API) would, and print the response.

The request (--method, --path with an optional query, --header, --data)
becomes an event of the front end (a Function URL's payload format 2.0, a
REST API's proxy event with the stage in requestContext; --path is then the
path below the stage), or --event FILE gives the event as it is. The
function runs as under "streamgen dev" (same settings, environment, runtime
client and limits) and stops afterwards. A REST API's x-api-key check is
skipped: invoke calls the function, not the stage.

The response body goes to stdout as it arrives, unbuffered. Then stderr gets
the status and headers ("< " lines) and the request id, time to first byte,
total time and size ("* " line). The function's own output goes to stderr,
each line prefixed "[fn] " or "[fn stderr] ".

--data sends a body as given; --data @FILE reads it from FILE and --data @-
from stdin. The event carries the body as text only for text/*,
application/json, application/xml and application/javascript content types
(set one with --header 'content-type: application/json'); other bodies,
and bodies without a content type, are base64-encoded, as Lambda does.

Exit codes: 0 the response was complete (whatever its status), 1 the
function failed, timed out or its body was cut short, 2 usage error.`,
		Example: `  streamgen invoke
  streamgen invoke --path '/echo?lang=en' --header 'content-type: application/json' --data '{"message":"hi"}'
  streamgen invoke --method POST --data @request.json --header 'content-type: application/json'
  streamgen invoke --event events/sample.json
  streamgen invoke --dir ./my-stream --timeout 5 --env LOG_LEVEL=debug`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := inf.check(cmd.Flags()); err != nil {
				return err
			}
			return a.runInvoke(cmd.Flags(), inf)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	f := cmd.Flags()
	f.StringVar(&inf.method, "method", "GET", "HTTP method: "+strings.Join(functionURLMethods, ", ")+"; POST when --data is given")
	f.StringVar(&inf.path, "path", "/", "request path, with an optional query string, e.g. '/echo?lang=en'")
	f.StringArrayVarP(&inf.headers, "header", "H", nil, "request header 'NAME: VALUE', repeatable")
	f.StringVarP(&inf.data, "data", "d", "", "request body; @FILE reads it from FILE, @- from stdin")
	f.StringVar(&inf.event, "event", "", "a file with the whole event (JSON) to invoke with, instead of building one from --method, --path, --header and --data")
	inf.register(f)
	f.SortFlags = false
	return cmd
}

func (a *app) runInvoke(flags *pflag.FlagSet, inf invokeFlags) error {
	var (
		req   *http.Request
		event []byte
		err   error
	)
	if flags.Changed("event") {
		for _, name := range []string{"method", "path", "header", "data"} {
			if flags.Changed(name) {
				return usagef("--event gives the whole event, so --%s has nothing to change; pass one or the other", name)
			}
		}
		if event, err = readEventFile(inf.event); err != nil {
			return err
		}
	} else if req, err = a.buildRequest(flags, inf); err != nil {
		return err
	}

	srv, err := inf.server(devserver.Config{Log: a.stderr, FunctionOutput: a.stderr})
	if err != nil {
		return err
	}
	defer srv.Close()
	// Ctrl-C stops the function at once rather than waiting for the
	// response, which could take until the function's timeout.
	defer context.AfterFunc(a.ctx, func() { srv.Close() })()
	printNotes(a.stderr, srv.Project())
	out := &trackingWriter{w: a.stdout}
	var res *devserver.Result
	if event != nil {
		res = srv.InvokeEvent(a.ctx, event, out)
	} else {
		res = srv.InvokeRequest(a.ctx, req, out)
	}
	if a.ctx.Err() != nil && (res == nil || !res.Complete()) {
		return failure{errors.New("interrupted before the response ended")}
	}
	if out.n > 0 && out.last != '\n' {
		fmt.Fprintln(a.stderr)
	}
	printSummary(a.stderr, res)
	switch {
	case res.Cut:
		return failure{fmt.Errorf("the response was cut short after %d bytes: %s", res.Bytes, generator.SanitizeMessage(res.Err.Error()))}
	case res.Err != nil:
		return failure{fmt.Errorf("the invocation failed: %s", generator.SanitizeMessage(res.Err.Error()))}
	}
	return nil
}

// readEventFile reads --event FILE, which must hold JSON.
func readEventFile(name string) ([]byte, error) {
	if name == "" {
		return nil, &generator.InvalidError{Field: "--event", Reason: "it is empty", Hint: "pass a JSON file, e.g. --event events/sample.json"}
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("--event %s: %v; pass a JSON file, e.g. --event events/sample.json", generator.Quote(name), err)
	}
	if !json.Valid(b) {
		return nil, usagef("--event %s is not valid JSON; pass an event of the project's front end, e.g. --event events/sample.json", generator.Quote(name))
	}
	return b, nil
}

// buildRequest makes the HTTP request --method, --path, --header and
// --data describe, as the local Function URL would receive it.
func (a *app) buildRequest(flags *pflag.FlagSet, inf invokeFlags) (*http.Request, error) {
	method := strings.ToUpper(inf.method)
	if !flags.Changed("method") && flags.Changed("data") {
		method = http.MethodPost // a body without a method: POST, as curl does
	}
	known := false
	for _, m := range functionURLMethods {
		known = known || m == method
	}
	if !known {
		return nil, &generator.InvalidError{Field: "--method", Value: inf.method, Reason: "the front end does not take it", Hint: "pass one of " + strings.Join(functionURLMethods, ", ")}
	}
	u, err := url.ParseRequestURI(inf.path)
	if err != nil || !strings.HasPrefix(inf.path, "/") || u.Host != "" {
		return nil, &generator.InvalidError{Field: "--path", Value: inf.path, Reason: "it is not a path starting with /", Hint: "pass e.g. --path '/echo?lang=en'"}
	}
	var body []byte
	if flags.Changed("data") {
		switch {
		case inf.data == "@-":
			if body, err = io.ReadAll(a.stdin); err != nil {
				return nil, failure{fmt.Errorf("reading --data @- from stdin: %w", err)}
			}
		case strings.HasPrefix(inf.data, "@"):
			if body, err = os.ReadFile(inf.data[1:]); err != nil {
				return nil, usagef("--data %s: %v; pass @FILE with a readable file, or the body itself", generator.Quote(inf.data), err)
			}
		default:
			body = []byte(inf.data)
		}
	}
	req, err := http.NewRequestWithContext(a.ctx, method, "http://127.0.0.1"+inf.path, bytes.NewReader(body))
	if err != nil {
		return nil, &generator.InvalidError{Field: "--path", Value: inf.path, Reason: err.Error(), Hint: "pass e.g. --path '/echo?lang=en'"}
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("User-Agent", "streamgen/"+streamgenVersion())
	req.Header.Set("Accept", "*/*")
	for _, h := range inf.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || !validHeaderName(name) {
			return nil, &generator.InvalidError{Field: "--header", Value: h, Reason: "it is not NAME: VALUE", Hint: "write it as --header 'content-type: application/json'"}
		}
		value = strings.TrimSpace(value)
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, &generator.InvalidError{Field: "--header", Value: h, Reason: "its value has a line break or NUL", Hint: "pass one header per --header"}
		}
		if strings.EqualFold(name, "host") {
			req.Host = value
			continue
		}
		if strings.EqualFold(name, "user-agent") || strings.EqualFold(name, "accept") {
			req.Header.Del(name)
		}
		req.Header.Add(name, value)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return req, nil
}

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// trackingWriter remembers the last byte written, so the summary can start
// on a line of its own.
type trackingWriter struct {
	w    io.Writer
	n    int64
	last byte
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		t.n += int64(n)
		t.last = p[n-1]
	}
	return n, err
}

// printSummary writes the status, headers and timings of an invocation.
func printSummary(w io.Writer, res *devserver.Result) {
	if res.Status != 0 {
		fmt.Fprintf(w, "< HTTP/1.1 %d %s\n", res.Status, http.StatusText(res.Status))
		names := make([]string, 0, len(res.Header))
		for name := range res.Header {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			for _, v := range res.Header[name] {
				fmt.Fprintf(w, "< %s: %s\n", name, generator.SanitizeMessage(v))
			}
		}
	}
	fmt.Fprintf(w, "* request %s: first byte %s, total %s, %d bytes\n", res.RequestID, res.FirstByte.Round(100_000), res.Duration.Round(100_000), res.Bytes)
}
