package nodeclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	invocationPrefix = "/2018-06-01/runtime/invocation/"
	nextTarget       = invocationPrefix + "next"
	initErrorTarget  = "/2018-06-01/runtime/init/error"
	startTimeout     = 15 * time.Second // node start-up on a busy machine
)

func responseTarget(id string) string { return invocationPrefix + id + "/response" }
func errorTarget(id string) string    { return invocationPrefix + id + "/error" }

// scenarioTaskRoot installs the recorded scenario handler as index.js in a
// CommonJS task root, as it was when aws-lambda-ric was recorded (so the line
// numbers in stack traces match too).
func scenarioTaskRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	handler, err := os.ReadFile(filepath.Join("testdata", "wire", "scenario-handler.cjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.js"), handler, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"type":"commonjs"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// modesByID maps req-N to the "mode" of the N-th event.
func modesByID(t *testing.T, events []string) map[string]string {
	t.Helper()
	modes := map[string]string{}
	for i, event := range events {
		var e struct{ Mode string }
		if err := json.Unmarshal([]byte(event), &e); err != nil {
			t.Fatal(err)
		}
		modes[fmt.Sprintf("req-%d", i+1)] = e.Mode
	}
	return modes
}

// TestStreamingScenarioMatchesRic4 runs the recorded streaming scenario
// (plain, timed, HttpResponseStream, setContentType, error mid-stream, error
// before the first write) and compares every byte posted with what
// aws-lambda-ric 4.0.2 sent (testdata/wire/ric4-wire.log).
func TestStreamingScenarioMatchesRic4(t *testing.T) {
	ref := readCapture(t, "ric4-wire.log")
	events := readEvents(t, "scenario-events.jsonl")
	api := startFakeAPI(t, eventsFrom(events))
	run := startRuntime(t, runOptions{taskRoot: scenarioTaskRoot(t), handler: "index.handler", api: api})

	posts := map[string]*wireRequest{}
	for id, mode := range modesByID(t, events) {
		posts[mode] = api.waitRequest(startTimeout, "POST", responseTarget(id), run)
	}
	// After the last response the client asks for the next event again.
	if !api.waitFor(5*time.Second, func() bool { return len(api.completedLocked("GET", nextTarget)) == len(events)+1 }) {
		t.Fatalf("expected %d GET next requests\n%s", len(events)+1, run.output())
	}

	for mode, got := range posts {
		t.Run(mode, func(t *testing.T) {
			compareStreamedPost(t, ref.postFor(t, mode, "response"), got)
		})
	}

	requests, conns := api.snapshot()
	compareGets(t, ref.gets(), requests)

	// One connection carries every GET .../next, another every POST.
	connOf := map[string]map[int]bool{"GET": {}, "POST": {}}
	for _, r := range requests {
		connOf[r.Method][r.Conn] = true
	}
	if len(conns) != 2 || len(connOf["GET"]) != 1 || len(connOf["POST"]) != 1 || shareKey(connOf["GET"], connOf["POST"]) {
		t.Errorf("want one connection for GET next and one for the responses; got %d connections, GET on %v, POST on %v",
			len(conns), connOf["GET"], connOf["POST"])
	}

	// The timed mode writes, sleeps 300 ms, writes, sleeps 300 ms, ends:
	// each chunk leaves when written.
	timed := posts["timed"]
	if len(timed.ChunkAt) == 3 {
		for i, gap := range []time.Duration{timed.ChunkAt[1].Sub(timed.ChunkAt[0]), timed.ChunkAt[2].Sub(timed.ChunkAt[1])} {
			if gap < 200*time.Millisecond || gap > 1500*time.Millisecond {
				t.Errorf("timed: chunk %d arrived %v after the previous one, want about 300ms", i+2, gap)
			}
		}
		api.mu.Lock()
		servedAt := api.nextAt["req-2"]
		api.mu.Unlock()
		if first := timed.ChunkAt[0].Sub(servedAt); first > 250*time.Millisecond {
			t.Errorf("timed: first chunk arrived %v after the event was served, want it at once", first)
		}
	}

	// Logs look like CloudWatch: time, request id, level, message.
	stdout := run.stdout.String()
	for _, pattern := range []string{
		`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-1\tINFO\tinvoked req-1 arn:aws:lambda:us-east-1:123456789012:function:fn \d+ mode= plain$`,
		`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-5\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"boom mid-stream","stack":\["Error: boom mid-stream",`,
		`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\treq-6\tERROR\tInvoke Error \t\{"errorType":"TypeError","errorMessage":"boom before any write",`,
	} {
		if !regexp.MustCompile(pattern).MatchString(stdout) {
			t.Errorf("stdout has no line matching %s\n%s", pattern, run.output())
		}
	}
}

func shareKey(a, b map[int]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// compareStreamedPost checks one streamed POST against the recording: request
// line, headers (names, order, values; Host's port aside), chunk boundaries
// and bytes, trailers.
func compareStreamedPost(t *testing.T, want, got *wireRequest) {
	t.Helper()
	if got.Method != want.Method || got.Target != want.Target || got.Proto != want.Proto {
		t.Errorf("request line: got %s %s %s, want %s %s %s", got.Method, got.Target, got.Proto, want.Method, want.Target, want.Proto)
	}
	if g, w := normalizedHeaders(got.Headers), normalizedHeaders(want.Headers); !slices.Equal(g, w) {
		t.Errorf("headers:\n got  %q\n want %q", g, w)
	}
	if !slices.EqualFunc(got.Chunks, want.Chunks, bytes.Equal) {
		t.Errorf("chunks:\n got  %q\n want %q", got.Chunks, want.Chunks)
	}
	gotNames, wantNames := fieldNames(got.Trailers), fieldNames(want.Trailers)
	if !slices.Equal(gotNames, wantNames) {
		t.Errorf("trailer names: got %q, want %q", gotNames, wantNames)
	}
	if len(want.Trailers) == 0 {
		return
	}
	if g, w := got.trailer("Lambda-Runtime-Function-Error-Type"), want.trailer("Lambda-Runtime-Function-Error-Type"); g != w {
		t.Errorf("error type trailer: got %q, want %q", g, w)
	}
	compareErrorJSON(t, decodeBase64(t, want.trailer("Lambda-Runtime-Function-Error-Body")),
		decodeBase64(t, got.trailer("Lambda-Runtime-Function-Error-Body")))
}

func fieldNames(fields []field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

func decodeBase64(t *testing.T, text string) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		t.Fatalf("base64 %q: %v", text, err)
	}
	return data
}

var (
	errorJSONShape = regexp.MustCompile(`^\{"errorType":.*,"errorMessage":.*,"trace":\[.*\]\}$`)
	// A stack frame in the handler file; its directory differs between runs.
	userFrame = regexp.MustCompile(`\((?:[^()]*/)?index\.js:(\d+:\d+)\)$`)
)

type rapidError struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

// compareErrorJSON compares two {errorType, errorMessage, trace} bodies:
// key order, type, message, the first trace line, and the frames in the
// handler file (paths normalised). Frames inside the runtime differ by design.
func compareErrorJSON(t *testing.T, want, got []byte) {
	t.Helper()
	for _, body := range [][]byte{want, got} {
		if !errorJSONShape.Match(body) {
			t.Errorf("error body %s is not {errorType, errorMessage, trace} in that order", body)
		}
	}
	var w, g rapidError
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("error body %s: %v", got, err)
	}
	if g.ErrorType != w.ErrorType || g.ErrorMessage != w.ErrorMessage {
		t.Errorf("error: got %s %q, want %s %q", g.ErrorType, g.ErrorMessage, w.ErrorType, w.ErrorMessage)
	}
	if len(g.Trace) == 0 || len(w.Trace) == 0 || g.Trace[0] != w.Trace[0] {
		t.Errorf("trace[0]: got %q, want %q", first(g.Trace), first(w.Trace))
	}
	wu, gu := userFrames(w.Trace), userFrames(g.Trace)
	if len(wu) == 0 || !slices.Equal(gu, wu) {
		t.Errorf("frames in the handler file:\n got  %q\n want %q\n(full trace %q)", gu, wu, g.Trace)
	}
}

func first(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[0]
}

func userFrames(trace []string) []string {
	var frames []string
	for _, line := range trace {
		if userFrame.MatchString(line) {
			frames = append(frames, userFrame.ReplaceAllString(line, "(index.js:$1)"))
		}
	}
	return frames
}

// compareGets checks every GET .../next sent against the recorded one.
func compareGets(t *testing.T, want []*wireRequest, got []*wireRequest) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("capture has no GET")
	}
	ref := want[0]
	for _, r := range got {
		if r.Method != "GET" {
			continue
		}
		line := r.Method + " " + r.Target + " " + r.Proto
		wantLine := ref.Method + " " + ref.Target + " " + ref.Proto
		if line != wantLine {
			t.Errorf("GET request line %q, want %q", line, wantLine)
		}
		if g, w := normalizedHeaders(r.Headers), normalizedHeaders(ref.Headers); !slices.Equal(g, w) {
			t.Errorf("GET headers:\n got  %q\n want %q", g, w)
		}
	}
}

// TestBufferedScenarioMatchesRic4 compares a plain async handler's result and
// error posts with aws-lambda-ric 4.0.2's (testdata/wire/ric4-buf-wire.log).
func TestBufferedScenarioMatchesRic4(t *testing.T) {
	ref := readCapture(t, "ric4-buf-wire.log")
	events := readEvents(t, "scenario-events-buffered.jsonl")
	taskRoot := scenarioTaskRoot(t)
	api := startFakeAPI(t, eventsFrom(events))
	run := startRuntime(t, runOptions{taskRoot: taskRoot, handler: "index.buffered", api: api})

	ok := api.waitRequest(startTimeout, "POST", responseTarget("req-1"), run)
	failed := api.waitRequest(startTimeout, "POST", errorTarget("req-2"), run)
	if !api.waitFor(5*time.Second, func() bool { return len(api.completedLocked("GET", nextTarget)) == 3 }) {
		t.Fatalf("expected 3 GET next requests\n%s", run.output())
	}

	t.Run("ok", func(t *testing.T) {
		want := ref.postFor(t, "ok", "response")
		if g, w := normalizedHeaders(ok.Headers), normalizedHeaders(want.Headers); !slices.Equal(g, w) {
			t.Errorf("headers:\n got  %q\n want %q", g, w)
		}
		if ok.Proto != want.Proto || !bytes.Equal(ok.Body, want.Body) {
			t.Errorf("got %s body %q, want %s body %q", ok.Proto, ok.Body, want.Proto, want.Body)
		}
	})

	t.Run("error", func(t *testing.T) {
		want := ref.postFor(t, "error", "error")
		if g, w := fieldNames(failed.Headers), fieldNames(want.Headers); !slices.Equal(g, w) {
			t.Errorf("header names:\n got  %q\n want %q", g, w)
		}
		for _, name := range []string{"Host", "Accept", "content-type", "User-Agent"} {
			g, w := normalizedHeaders([]field{{name, failed.header(name)}}), normalizedHeaders([]field{{name, want.header(name)}})
			if g[0] != w[0] {
				t.Errorf("%s: got %q, want %q", name, g[0].Value, w[0].Value)
			}
		}
		if n, err := strconv.Atoi(failed.header("content-length")); err != nil || n != len(failed.Body) {
			t.Errorf("content-length %q for a %d-byte body", failed.header("content-length"), len(failed.Body))
		}
		compareXRayCause(t, want.header("lambda-runtime-function-xray-error-cause"),
			failed.header("lambda-runtime-function-xray-error-cause"), taskRoot)
		compareErrorJSON(t, want.Body, failed.Body)
	})

	requests, _ := api.snapshot()
	compareGets(t, ref.gets(), requests)
}

type xrayCause struct {
	WorkingDirectory string `json:"working_directory"`
	Exceptions       []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Stack   []struct {
			Path  string `json:"path"`
			Line  *int   `json:"line"`
			Label string `json:"label"`
		} `json:"stack"`
	} `json:"exceptions"`
	Paths []string `json:"paths"`
}

var xrayShape = regexp.MustCompile(`^\{"working_directory":".*","exceptions":\[\{"type":".*","message":".*","stack":\[.*\]\}\],"paths":\[.*\]\}$`)

// compareXRayCause compares lambda-runtime-function-xray-error-cause values:
// shape, type, message, and the frames in the handler file (relative to the
// working directory, which is the task root).
func compareXRayCause(t *testing.T, want, got, taskRoot string) {
	t.Helper()
	for _, v := range []string{want, got} {
		if !xrayShape.MatchString(v) {
			t.Errorf("x-ray cause %s has not the recorded shape", v)
		}
	}
	var w, g xrayCause
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("x-ray cause %s: %v", got, err)
	}
	if g.WorkingDirectory != taskRoot {
		t.Errorf("working_directory %q, want the task root %q", g.WorkingDirectory, taskRoot)
	}
	if len(g.Exceptions) != 1 || len(w.Exceptions) != 1 {
		t.Fatalf("exceptions: got %d, want 1", len(g.Exceptions))
	}
	ge, we := g.Exceptions[0], w.Exceptions[0]
	if ge.Type != we.Type || ge.Message != we.Message {
		t.Errorf("exception: got %s %q, want %s %q", ge.Type, ge.Message, we.Type, we.Message)
	}
	frames := func(c xrayCause, root string) []string {
		var out []string
		for _, f := range c.Exceptions[0].Stack {
			if strings.HasPrefix(f.Path, root+"/") {
				line := "null"
				if f.Line != nil {
					line = strconv.Itoa(*f.Line)
				}
				out = append(out, fmt.Sprintf("%s:%s %s", strings.TrimPrefix(f.Path, root+"/"), line, f.Label))
			}
		}
		return out
	}
	wf, gf := frames(w, w.WorkingDirectory), frames(g, taskRoot)
	if len(wf) == 0 || !slices.Equal(gf, wf) {
		t.Errorf("x-ray frames in the task:\n got  %q\n want %q", gf, wf)
	}
	if !slices.Contains(g.Paths, filepath.Join(taskRoot, "index.js")) {
		t.Errorf("x-ray paths %q lack the handler file", g.Paths)
	}
}

// TestReturnWithoutEndHangs: a streaming handler that returns without ending
// its stream logs a warning, opens the POST and never sends a byte, as
// aws-lambda-ric does (testdata/wire/ric4-return-wire.log).
func TestReturnWithoutEndHangs(t *testing.T) {
	ref := readCapture(t, "ric4-return-wire.log")
	if !slices.Equal(ref.Accepted, []int{1, 2}) || ref.RawConns[2] {
		t.Fatalf("capture: want conn#2 accepted and silent, got accepted %v, sending %v", ref.Accepted, ref.RawConns)
	}

	api := startFakeAPI(t, eventsFrom(readEvents(t, "scenario-events-returnonly.jsonl")))
	run := startRuntime(t, runOptions{taskRoot: scenarioTaskRoot(t), handler: "index.handler", api: api})
	if !api.waitFor(startTimeout, func() bool { return len(api.conns) == 2 && len(api.nextAt) == 1 }) {
		t.Fatalf("the response connection was not opened\n%s", run.output())
	}
	time.Sleep(time.Second)
	requests, conns := api.snapshot()
	if n := conns[1].bytes.Load(); n != 0 {
		t.Errorf("the response connection carried %d bytes, want none", n)
	}
	if len(requests) != 1 || len(conns) != 2 {
		t.Errorf("got %d requests on %d connections, want the first GET only, and one silent connection", len(requests), len(conns))
	}
	if !run.running() {
		t.Errorf("runtime exited; it should hang like Lambda\n%s", run.output())
	}
	warning := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT[\d:.]+Z\treq-1\tWARN\tStreaming handlers ignore return values\.$`)
	if !warning.MatchString(run.stdout.String()) {
		t.Errorf("no warning logged\n%s", run.output())
	}
}

// TestInitErrors: load failures go to POST /runtime/init/error (shaped like
// aws-lambda-ric's node:http request) and the process exits non-zero.
func TestInitErrors(t *testing.T) {
	badSyntax := t.TempDir()
	if err := os.WriteFile(filepath.Join(badSyntax, "bad.mjs"), []byte("export const = ;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, taskRoot, handler string
		env                     []string
		errorType               string
		message                 *regexp.Regexp
	}{
		{"missing module", "testdata/tasks/mixed", "nope.handler", nil,
			"Runtime.ImportModuleError", regexp.MustCompile(`^Error: Cannot find module 'nope'\nRequire stack:\n- .*` + regexp.QuoteMeta(FileName) + `$`)},
		{"missing export", "testdata/tasks/mixed", "index.nothere", nil,
			"Runtime.HandlerNotFound", regexp.MustCompile(`^index\.nothere is undefined or not exported$`)},
		{"missing nested export", "testdata/tasks/esm", "src/app.api.v2.handler", nil,
			"Runtime.HandlerNotFound", regexp.MustCompile(`^src/app\.api\.v2\.handler is undefined or not exported$`)},
		{"not a function", "testdata/tasks/esm", "src/app.api.v1", nil,
			"Runtime.HandlerNotFound", regexp.MustCompile(`^src/app\.api\.v1 is not a function$`)},
		{"malformed name", "testdata/tasks/mixed", "../index.handler", nil,
			"Runtime.MalformedHandlerName", regexp.MustCompile(`not a valid handler name`)},
		{"syntax error", badSyntax, "bad.handler", nil,
			"Runtime.UserCodeSyntaxError", regexp.MustCompile(`^SyntaxError: `)},
		{"callback on nodejs24", "testdata/tasks/mixed", "legacy.callback", []string{"AWS_EXECUTION_ENV=AWS_Lambda_nodejs24.x"},
			"Runtime.CallbackHandlerDeprecated", regexp.MustCompile(`Node\.js 24`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := startFakeAPI(t, nil)
			run := startRuntime(t, runOptions{taskRoot: c.taskRoot, handler: c.handler, api: api, env: c.env})
			post := api.waitRequest(startTimeout, "POST", initErrorTarget, run)

			wantNames := []string{"Content-Type", "Content-Length", "Lambda-Runtime-Function-Error-Type", "Host", "Connection"}
			if got := fieldNames(post.Headers); !slices.Equal(got, wantNames) {
				t.Errorf("header names %q, want %q", got, wantNames)
			}
			if post.header("Content-Type") != "application/json" || post.header("Connection") != "keep-alive" ||
				post.header("Content-Length") != strconv.Itoa(len(post.Body)) || !hostPort.MatchString(post.header("Host")) {
				t.Errorf("header values %q for a %d-byte body", post.Headers, len(post.Body))
			}
			if got := post.header("Lambda-Runtime-Function-Error-Type"); got != c.errorType {
				t.Errorf("error type header %q, want %q", got, c.errorType)
			}
			var body rapidError
			if err := json.Unmarshal(post.Body, &body); err != nil || !errorJSONShape.Match(post.Body) {
				t.Fatalf("body %s: %v", post.Body, err)
			}
			if body.ErrorType != c.errorType || !c.message.MatchString(body.ErrorMessage) {
				t.Errorf("body: %s %q, want %s matching %s", body.ErrorType, body.ErrorMessage, c.errorType, c.message)
			}
			if code := run.waitExit(t, 10*time.Second); code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			if !strings.Contains(run.stdout.String(), "\t-\tERROR\tInit Error \t{\"errorType\":\""+c.errorType+"\"") {
				t.Errorf("init error not logged\n%s", run.output())
			}
			requests, _ := api.snapshot()
			for _, r := range requests {
				if r.Method == "GET" {
					t.Errorf("asked for an invocation after a failed init")
				}
			}
		})
	}
}

// invokeOnce runs one handler for one event and returns the POST it made.
func invokeOnce(t *testing.T, o runOptions, event fakeEvent, what string) (*wireRequest, *nodeRun) {
	t.Helper()
	o.api = startFakeAPI(t, []fakeEvent{event})
	run := startRuntime(t, o)
	target := responseTarget("req-1")
	if what == "error" {
		target = errorTarget("req-1")
	}
	return o.api.waitRequest(startTimeout, "POST", target, run), run
}

// TestHandlerFormats loads handlers from an ES module .js file (nested
// export, module root), an .mjs file, a CommonJS .cjs file and a default
// export.
func TestHandlerFormats(t *testing.T) {
	t.Run("esm js nested", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: "testdata/tasks/esm", handler: "src/app.api.v1.handler"}, fakeEvent{
			Body: `{"hello":"esm"}`,
			Headers: []field{
				{"Lambda-Runtime-Cognito-Identity", `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`},
				{"Lambda-Runtime-Client-Context", `{"custom":{"k":"v"}}`},
			},
		}, "response")
		if post.header("Content-Type") != "application/json" || len(post.Chunks) != 1 {
			t.Fatalf("got %q chunks %q\n%s", post.Headers, post.Chunks, run.output())
		}
		var got struct {
			Format  string
			Event   map[string]string
			Context map[string]any
			TraceID string
		}
		if err := json.Unmarshal(post.Chunks[0], &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"functionName": "fn", "functionVersion": "$LATEST", "memoryLimitInMB": "128",
			"logGroupName": "/aws/lambda/fn", "logStreamName": "2026/11/27/[$LATEST]0123456789abcdef",
			"invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn", "awsRequestId": "req-1",
			"remainingPositive": true, "callbackWaitsForEmptyEventLoop": true,
			"identity":      map[string]any{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
			"clientContext": map[string]any{"custom": map[string]any{"k": "v"}},
		}
		if got.Format != "esm" || got.Event["hello"] != "esm" || fmt.Sprint(got.Context) != fmt.Sprint(want) {
			t.Errorf("got %+v\nwant context %v", got, want)
		}
		if got.TraceID != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" {
			t.Errorf("_X_AMZN_TRACE_ID = %q", got.TraceID)
		}
	})

	t.Run("mjs", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: "testdata/tasks/mixed", handler: "index.handler"}, fakeEvent{Body: `{}`}, "response")
		want := [][]byte{[]byte(`{"statusCode":200,"headers":{"x-format":"mjs"}}`), make([]byte, 8), []byte("mjs req-1")}
		if post.header("Content-Type") != "application/vnd.awslambda.http-integration-response" ||
			!slices.EqualFunc(post.Chunks, want, bytes.Equal) {
			t.Errorf("got %q chunks %q, want %q\n%s", post.Headers, post.Chunks, want, run.output())
		}
	})

	t.Run("cjs", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: "testdata/tasks/mixed", handler: "legacy.handler"}, fakeEvent{Body: `{}`}, "response")
		if !slices.EqualFunc(post.Chunks, [][]byte{[]byte("cjs")}, bytes.Equal) || len(post.Trailers) != 0 {
			t.Errorf("chunks %q trailers %q\n%s", post.Chunks, post.Trailers, run.output())
		}
	})

	t.Run("default export", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: "testdata/tasks/mixed", handler: "index.fromDefault"}, fakeEvent{Body: `{}`}, "response")
		if string(post.Body) != `"found through the default export"` {
			t.Errorf("body %q\n%s", post.Body, run.output())
		}
	})

	t.Run("mjs buffered", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: "testdata/tasks/mixed", handler: "index.buffered"}, fakeEvent{Body: `{"x":1}`}, "response")
		if string(post.Body) != `{"format":"mjs","echo":{"x":1},"requestId":"req-1"}` || post.header("content-length") != strconv.Itoa(len(post.Body)) {
			t.Errorf("body %q headers %q\n%s", post.Body, post.Headers, run.output())
		}
	})
}

// TestStreamDetails covers the response stream API beyond the recording.
func TestStreamDetails(t *testing.T) {
	esm := "testdata/tasks/esm"
	cases := []struct {
		handler, event, contentType string
		chunks                      []string
	}{
		// write(object) sends JSON; setContentType after a write throws; the
		// stream exposes no HTTP request methods.
		{"src/app.details", `{}`, "application/octet-stream",
			[]string{`{"a":1}`, "Runtime.InvalidStreamingOperation: Cannot set content-type, too late.", "undefined"}},
		// end(data) after HttpResponseStream.from() without a write: no prelude.
		{"src/app.endOnly", `{"data":"x"}`, "application/vnd.awslambda.http-integration-response", []string{"x"}},
		// write('') sends the prelude (with cookies) and no empty chunk.
		{"src/app.emptyWrite", `{}`, "application/vnd.awslambda.http-integration-response",
			[]string{`{"statusCode":302,"headers":{"location":"/x"},"cookies":["a=1"]}`, "\x00\x00\x00\x00\x00\x00\x00\x00"}},
		// pipeline() from an async generator: one chunk per write.
		{"src/app.piped", `{}`, "application/octet-stream", []string{"one ", "two ", "three"}},
	}
	for _, c := range cases {
		t.Run(c.handler, func(t *testing.T) {
			post, run := invokeOnce(t, runOptions{taskRoot: esm, handler: c.handler}, fakeEvent{Body: c.event}, "response")
			var got []string
			for _, chunk := range post.Chunks {
				got = append(got, string(chunk))
			}
			if post.header("Content-Type") != c.contentType || !slices.Equal(got, c.chunks) || len(post.Trailers) != 0 {
				t.Errorf("got Content-Type %q chunks %q trailers %q\nwant %q %q\n%s",
					post.header("Content-Type"), got, post.Trailers, c.contentType, c.chunks, run.output())
			}
		})
	}

	t.Run("not async", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: esm, handler: "src/app.notAsync"}, fakeEvent{Body: `{}`}, "response")
		if !slices.EqualFunc(post.Chunks, [][]byte{[]byte("sync")}, bytes.Equal) ||
			post.trailer("Lambda-Runtime-Function-Error-Type") != "Error" {
			t.Fatalf("chunks %q trailers %q\n%s", post.Chunks, post.Trailers, run.output())
		}
		var body rapidError
		if err := json.Unmarshal(decodeBase64(t, post.trailer("Lambda-Runtime-Function-Error-Body")), &body); err != nil {
			t.Fatal(err)
		}
		if body.ErrorType != "Error" || body.ErrorMessage != "Streaming does not support non-async handlers." {
			t.Errorf("error body %+v", body)
		}
	})
}

// TestCallbackHandlers runs (event, context, callback) handlers, which the
// Node.js 22 runtime still supports.
func TestCallbackHandlers(t *testing.T) {
	mixed := "testdata/tasks/mixed"
	t.Run("callback", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: mixed, handler: "legacy.callback"}, fakeEvent{Body: `{"mode":"cb"}`}, "response")
		if string(post.Body) != `{"via":"callback","mode":"cb"}` {
			t.Errorf("body %q\n%s", post.Body, run.output())
		}
		if !strings.Contains(run.stdout.String(), "\t-\tWARN\t") {
			t.Errorf("no deprecation warning at init\n%s", run.output())
		}
	})
	t.Run("waits for the empty event loop", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: mixed, handler: "legacy.callbackWaits"}, fakeEvent{Body: `{}`}, "response")
		if string(post.Body) != `"posted after the timer"` {
			t.Errorf("body %q\n%s", post.Body, run.output())
		}
		// The timer's log line was written before the result was posted.
		if !strings.Contains(run.stdout.String(), "\treq-1\tINFO\ttimer done") {
			t.Errorf("result posted before the event loop was empty\n%s", run.output())
		}
	})
	t.Run("error", func(t *testing.T) {
		post, run := invokeOnce(t, runOptions{taskRoot: mixed, handler: "legacy.callbackError"}, fakeEvent{Body: `{}`}, "error")
		var body rapidError
		if err := json.Unmarshal(post.Body, &body); err != nil || body.ErrorType != "TypeError" || body.ErrorMessage != "callback failure" {
			t.Errorf("body %s (%v)\n%s", post.Body, err, run.output())
		}
	})
}

// TestCrashes: an uncaught exception or unhandled rejection fails the current
// invocation and ends the process; a promise that can never settle fails the
// invocation and the loop goes on.
func TestCrashes(t *testing.T) {
	esm := "testdata/tasks/esm"
	cases := []struct {
		handler, errorType, message, log string
		exitCode                         int
	}{
		{"src/app.uncaught", "RangeError", "thrown from a timer", "Uncaught Exception", 129},
		{"src/app.rejection", "Runtime.UnhandledPromiseRejection", "Error: nobody catches this", "Unhandled Promise Rejection", 128},
		{"src/app.neverSettles", "Runtime.NodeJsExit", "", "Invoke Error", -1},
	}
	for _, c := range cases {
		t.Run(c.handler, func(t *testing.T) {
			post, run := invokeOnce(t, runOptions{taskRoot: esm, handler: c.handler}, fakeEvent{Body: `{}`}, "error")
			var body rapidError
			if err := json.Unmarshal(post.Body, &body); err != nil {
				t.Fatalf("body %s: %v", post.Body, err)
			}
			if body.ErrorType != c.errorType || (c.message != "" && body.ErrorMessage != c.message) {
				t.Errorf("error %s %q, want %s %q", body.ErrorType, body.ErrorMessage, c.errorType, c.message)
			}
			if c.exitCode > 0 {
				if code := run.waitExit(t, 10*time.Second); code != c.exitCode {
					t.Errorf("exit status %d, want %d", code, c.exitCode)
				}
			} else if !run.api.waitFor(5*time.Second, func() bool { return len(run.api.completedLocked("GET", nextTarget)) == 2 }) {
				t.Errorf("the runtime did not carry on with the next invocation\n%s", run.output())
			}
			if !strings.Contains(run.stdout.String(), "\treq-1\tERROR\t"+c.log+" \t{") {
				t.Errorf("no %q log record\n%s", c.log, run.output())
			}
		})
	}
}

// TestNoGlobalAwslambda: AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA=1 leaves the
// global undefined.
func TestNoGlobalAwslambda(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{nil, `{"awslambda":"object"}`},
		{[]string{"AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA=1"}, `{"awslambda":"undefined"}`},
	} {
		post, run := invokeOnce(t, runOptions{taskRoot: "testdata/tasks/mixed", handler: "noglobal.handler", env: c.env}, fakeEvent{Body: `{}`}, "response")
		if string(post.Body) != c.want {
			t.Errorf("env %q: body %s, want %s\n%s", c.env, post.Body, c.want, run.output())
		}
	}
}

// TestJSONLogFormat: AWS_LAMBDA_LOG_FORMAT=JSON writes one JSON record per line.
func TestJSONLogFormat(t *testing.T) {
	_, run := invokeOnce(t, runOptions{taskRoot: scenarioTaskRoot(t), handler: "index.handler", env: []string{"AWS_LAMBDA_LOG_FORMAT=JSON"}},
		fakeEvent{Body: `{"mode":"plain"}`}, "response")
	line, _, _ := strings.Cut(run.stdout.String(), "\n")
	var record map[string]any
	if err := json.Unmarshal([]byte(line), &record); err != nil {
		t.Fatalf("first stdout line %q: %v", line, err)
	}
	msg, _ := record["message"].(string)
	if record["level"] != "INFO" || record["requestId"] != "req-1" || !strings.HasPrefix(msg, "invoked req-1 arn:") || record["timestamp"] == nil {
		t.Errorf("record %v", record)
	}
}

// TestLargeStreamBackpressure streams 256 MiB through pipeline() while the
// Runtime API holds off reading for a second: write()'s return value and
// 'drain' keep the runtime's memory flat, and every byte arrives.
func TestLargeStreamBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: streams 256 MiB")
	}
	const size = 256 << 20
	api := startFakeAPI(t, []fakeEvent{{Body: fmt.Sprintf(`{"bytes":%d}`, size)}})
	api.discardBodies = true
	api.stallBodies = time.Second
	run := startRuntime(t, runOptions{taskRoot: "testdata/tasks/esm", handler: "src/app.big", api: api})
	post := api.waitRequest(2*time.Minute, "POST", responseTarget("req-1"), run)
	if post.BodyBytes != size || len(post.Trailers) != 0 {
		t.Fatalf("received %d bytes, trailers %q; want %d bytes\n%s", post.BodyBytes, post.Trailers, size, run.output())
	}
	elapsed := post.ChunkAt[len(post.ChunkAt)-1].Sub(post.ChunkAt[0])
	t.Logf("256 MiB in %d chunks, %v after the first chunk (%.0f MiB/s)", len(post.ChunkAt), elapsed, float64(size>>20)/elapsed.Seconds())

	if !api.waitFor(5*time.Second, func() bool { return strings.Contains(run.stdout.String(), "maxRss=") }) {
		t.Fatalf("handler did not report its memory\n%s", run.output())
	}
	m := regexp.MustCompile(`sent=(\d+) drains=(\d+) maxRss=(\d+)`).FindStringSubmatch(run.stdout.String())
	if m == nil {
		t.Fatalf("no memory report\n%s", run.output())
	}
	if m[2] == "0" {
		t.Errorf("the response stream never asked the handler to wait ('drain') although the reader stalled")
	}
	if rss, _ := strconv.ParseInt(m[3], 10, 64); rss > 200<<20 {
		t.Errorf("resident set reached %d MiB while streaming 256 MiB: the stream is buffering", rss>>20)
	}
}
