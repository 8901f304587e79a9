package check

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// checkFunction runs the rules about one function: its runtime, timeout
// and logs, its front ends against its handler.
func (c *checker) checkFunction(fn *function) {
	at := func(p place) (string, int) { return p.file, p.line }
	if v, ok := strings.CutPrefix(fn.runtime, "nodejs"); ok {
		major, err := strconv.Atoi(strings.TrimSuffix(v, ".x"))
		if err == nil && major <= 20 {
			c.addFor(fn, Finding{Rule: "SG009", File: fn.file, Line: fn.line, Message: fmt.Sprintf("function %s runs on %s, which is deprecated: use nodejs24.x (or nodejs22.x)", fn.id, fn.runtime)})
		}
	}

	var info handlerInfo
	module := ""
	node := fn.runtime == "" || fn.runtime == unknown || strings.HasPrefix(fn.runtime, "nodejs")
	if fn.entry == "" && fn.handler != "" && fn.codeDir != "" && !fn.bundled && node {
		if i := strings.LastIndex(fn.handler, "."); i > 0 {
			module = path.Join(fn.codeDir, fn.handler[:i])
			fn.entry = c.resolveModule(module)
			if fn.entry == "" {
				// A compiled handler (dist/index.handler from tsc): its
				// source, by the usual layout.
				for _, out := range []string{"dist/", "build/", "out/", "lib/"} {
					if rest, ok := strings.CutPrefix(fn.handler[:i], out); ok {
						fn.entry = c.resolveModule(path.Join(fn.codeDir, "src", rest))
					}
				}
			}
		}
	}
	export := "handler"
	if i := strings.LastIndex(fn.handler, "."); i >= 0 {
		export = fn.handler[i+1:]
	}
	if fn.entry != "" && !fn.bundled {
		info = c.analyzeHandler(fn.entry, export)
	}
	switch {
	case module != "" && fn.entry == "" && parserAvailable:
		c.addFor(fn, Finding{Rule: "SG000", Severity: Note, File: fn.file, Line: fn.line, Message: fmt.Sprintf("the handler %s of %s names %s, which is not in the project (a build output?): its source was not checked", fn.handler, fn.id, module)})
	case fn.entry != "" && info.file != nil && !info.found && !info.streamified:
		c.addFor(fn, Finding{Rule: "SG000", Severity: Note, File: fn.file, Line: fn.line, Message: fmt.Sprintf("%s exports no %s that check can follow: the handler of %s was not checked", info.file.rel, export, fn.id)})
	}
	streamified := info.streamified || info.wrapped != nil
	streaming := streamified
	for _, u := range fn.urls {
		streaming = streaming || u.invokeMode == "RESPONSE_STREAM"
	}
	for _, r := range fn.rest {
		streaming = streaming || r.transferMode == "STREAM"
	}

	if info.wrapped != nil {
		w := info.wrapped
		c.add(Finding{Rule: "SG015", File: info.file.rel, Line: w.line, Column: w.col,
			Message: fmt.Sprintf("the exported handler of %s wraps the streamified function in %s(...), which returns an untagged function that Lambda buffers: apply the wrapper inside streamifyResponse", fn.id, callName(info.file, w))})
	}
	for _, u := range fn.urls {
		file, line := at(u.place)
		switch {
		case u.wrongKey != "":
			c.addFor(fn, Finding{Rule: "SG001", File: file, Line: line, Message: fmt.Sprintf("%s sets %s, which the Serverless Framework does not read, so the URL is BUFFERED: use invoke: response_stream", u.what, u.wrongKey)})
		case streamified && u.invokeMode != "RESPONSE_STREAM" && u.invokeMode != unknown:
			mode := "InvokeMode " + u.invokeMode
			if u.invokeMode == "" {
				mode = "no InvokeMode (BUFFERED)"
			}
			fix := "set InvokeMode: RESPONSE_STREAM"
			if fn.flavour == "serverless" {
				fix = "set invoke: response_stream on the url"
			}
			c.addFor(fn, Finding{Rule: "SG001", File: file, Line: line, Message: fmt.Sprintf("%s has %s, but the handler of %s is streamified: %s, or the response is buffered and capped at 6 MB", u.what, mode, fn.id, fix)})
		case u.invokeMode == "RESPONSE_STREAM" && info.plain != nil && !streamified:
			c.addFor(fn, Finding{Rule: "SG002", File: file, Line: line, Message: fmt.Sprintf("%s streams (RESPONSE_STREAM), but the handler %s of %s is not streamified: wrap it in awslambda.streamifyResponse and write to the response stream", u.what, fn.handler, fn.id)})
		}
		if u.cors && info.setsCORS {
			c.addFor(fn, Finding{Rule: "SG019", File: file, Line: line, Message: fmt.Sprintf("%s sets CORS, and the handler of %s sets access-control-allow-origin too: the header goes out twice and browsers refuse it; set CORS in one place", u.what, fn.id)})
		}
	}
	for _, e := range fn.samAPIEvents {
		file, line := at(e.place)
		switch {
		case e.invokeMode:
			c.addFor(fn, Finding{Rule: "SG003", File: file, Line: line, Message: fmt.Sprintf("%s has InvokeMode, which only Function URLs take: use ResponseTransferMode: RESPONSE_STREAM", e.what)})
		case (streamified || e.transferMode != "") && e.transferMode != "RESPONSE_STREAM":
			mode := e.transferMode
			if mode == "" {
				mode = "no ResponseTransferMode"
			}
			c.addFor(fn, Finding{Rule: "SG003", File: file, Line: line, Message: fmt.Sprintf("%s has %s: the SAM transform streams an Api event only with ResponseTransferMode: RESPONSE_STREAM, and buffers otherwise", e.what, mode)})
		}
	}
	for _, r := range fn.rest {
		file, line := at(r.place)
		switch {
		case streamified && r.transferMode != "STREAM":
			c.addFor(fn, Finding{Rule: "SG004", File: file, Line: line, Message: fmt.Sprintf("%s integrates the streamified %s without ResponseTransferMode: STREAM: the REST API buffers the response; set it, with the response-streaming-invocations URI", r.what, fn.id)})
		case r.transferMode == "STREAM" && !strings.Contains(r.uri, "response-streaming-invocations"):
			c.addFor(fn, Finding{Rule: "SG005", File: file, Line: line, Message: fmt.Sprintf("%s streams (STREAM) on the plain invoke URI: use arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${%s.Arn}/response-streaming-invocations", r.what, fn.id)})
		}
	}
	if streamified {
		for _, b := range fn.buffering {
			file, line := at(b)
			c.addFor(fn, Finding{Rule: "SG006", File: file, Line: line, Message: fmt.Sprintf("the %s buffers the streamified %s's whole response: use a Function URL with InvokeMode: RESPONSE_STREAM, or a REST API with ResponseTransferMode: STREAM", b.what, fn.id)})
		}
	}
	if streaming && fn.timeout != unknownTimeout && fn.timeout <= 3 {
		what := "no Timeout, so Lambda's 3-second default"
		if fn.timeout > 0 {
			what = fmt.Sprintf("Timeout %d", fn.timeout)
		}
		c.addFor(fn, Finding{Rule: "SG008", File: fn.file, Line: fn.line, Message: fmt.Sprintf("the streaming function %s has %s: its streams are cut then; set Timeout to the longest stream it serves", fn.id, what)})
	}
	if strings.HasPrefix(fn.runtime, "nodejs24") && info.found && !streamified && info.plain != nil && info.params >= 3 && !info.async {
		c.addFor(fn, Finding{Rule: "SG010", File: info.file.rel, Line: info.plain.line, Column: info.plain.col, Message: fmt.Sprintf("the handler %s takes %d parameters and is not async (a callback handler) on %s, which refuses callback handlers: make it async and return the result", fn.handler, info.params, fn.runtime)})
	}
	if streaming && !fn.logRetention {
		fix := "declare an AWS::Logs::LogGroup with RetentionInDays and point LoggingConfig.LogGroup at it"
		switch fn.flavour {
		case "serverless":
			fix = "set provider.logRetentionInDays (or the function's logRetentionInDays)"
		case "cdk":
			fix = "give the function a logGroup: new logs.LogGroup(this, ..., { retention: ... })"
		}
		c.addFor(fn, Finding{Rule: "SG011", File: fn.file, Line: fn.line, Message: fmt.Sprintf("%s logs to a group with no retention, so its logs are kept forever: %s", fn.id, fix)})
	}
}

func callName(f *sourceFile, call *node) string {
	if fn := call.child("function"); fn != nil {
		return fn.text(f.src)
	}
	return "a wrapper"
}

func isRegularFile(dir, rel string) bool {
	info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
	return err == nil && info.Mode().IsRegular()
}
