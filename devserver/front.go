package devserver

import (
	"net/http"
	"strings"
	"time"
)

// frontEnd is how requests reach the function in AWS, which the local
// server reproduces: a Lambda Function URL (urlFront) or an API Gateway
// REST API stage (restFront). A new front end is one more type with these
// methods, chosen in newFront.
type frontEnd interface {
	// name is what the start-up line calls the local endpoint, e.g.
	// "Function URL".
	name() string
	// base is the endpoint's path on the local server, ending in "/": "/"
	// or "/STAGE/".
	base() string
	// admit answers a request the front end refuses (or answers itself)
	// before the function is invoked, or returns nil to invoke it.
	// localInvoke is set for `streamgen invoke`, whose request names the
	// function's path directly.
	admit(r *http.Request, localInvoke bool) *answer
	// event turns a request into the function's event. note, when not
	// empty, says what the event lost (a body API Gateway would mangle).
	event(r *http.Request, body []byte, ec eventContext) (event []byte, note string, err error)
	// request reads the method, path and query of a ready-made event,
	// for the request log of `streamgen invoke --event`.
	request(event []byte) (method, path, rawQuery string)
	// failure is the answer to a failed invocation before its first byte;
	// tooLarge the answer to a request over Lambda's payload limit.
	failure(fe *FunctionError) *answer
	tooLarge() *answer
	// limits are the front end's pacing and duration limits of a stream.
	limits(l streamLimits) streamLimits
	// shape turns the function's prelude into the response the front end
	// sends (which of its header forms it takes).
	shape(resp httpResponse) httpResponse
}

// answer is a whole response the front end sends itself.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func jsonAnswer(status int, body string) *answer {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &answer{status: status, header: h, body: []byte(body)}
}

// newFront returns the front end of p.
func newFront(p *Project, cfg Config) frontEnd {
	if p.Front == FrontRestAPI {
		return &restFront{stage: p.Stage, apiKey: cfg.APIKey, cors: splitList(p.Env["CORS_ALLOW_ORIGINS"]), corsMethods: p.CORSMethods, corsHeaders: p.CORSHeaders}
	}
	return urlFront{}
}

// REST API limits: streamed responses past the first 10 MB go at
// ThrottleBytesPerSecond (with Config.Throttle); a stream ends after 15
// minutes, or after 5 minutes without a byte (regional endpoints).
const (
	RESTFullSpeedBytes = 10 << 20
	RESTMaxStream      = 15 * time.Minute
	RESTIdleTimeout    = 5 * time.Minute
)

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
