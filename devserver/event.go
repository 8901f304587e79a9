package devserver

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The event a Function URL sends, payload format version 2.0, as the
// Lambda Developer Guide documents it ("Invoking Lambda function URLs",
// request payload format). Facts this file relies on:
//
//   - version "2.0"; routeKey and requestContext.routeKey and .stage are
//     the placeholder "$default".
//   - rawPath is the request path; rawQueryString the query string as sent,
//     without the "?".
//   - cookies is an array of the request's cookies; Lambda takes them out of
//     the headers (the generated echo handler relies on this). Omitted when
//     there are none.
//   - headers are keyed in lower case; a repeated header's values are joined
//     with "," (the docs' example "header2": "value1,value2").
//   - queryStringParameters joins a repeated key's values with ","
//     ("parameter1": "value1,value2"); omitted when there is no query.
//   - requestContext.domainName is <url-id>.lambda-url.<region>.on.aws and
//     domainPrefix is the url id, which is also apiId; time has the format
//     "12/Mar/2020:19:03:58 +0000" and timeEpoch is in milliseconds.
//   - requestContext.accountId is "anonymous" and there is no authorizer when
//     the URL's AuthType is NONE. The local URL checks no signature, so
//     every event has that shape.
//   - body is base64-encoded, with isBase64Encoded true, when "the content
//     type of the request is binary". The docs do not list the text types;
//     checks against real payload format 2.0 endpoints find plain text only
//     for text/*, application/json, application/xml and
//     application/javascript. Everything else, a missing Content-Type and
//     application/x-www-form-urlencoded included, is base64. A request
//     without a body has no body field and isBase64Encoded false.
//   - The front end adds x-forwarded-for, x-forwarded-proto,
//     x-forwarded-port and x-amzn-trace-id, as Lambda's does.
type functionURLEvent struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext    `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type requestContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         httpContext `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

type httpContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// eventContext is what an event needs beyond the HTTP request.
type eventContext struct {
	requestID string
	urlID     string // the fake Function URL id (apiId, domainPrefix)
	region    string
	traceID   string // x-amzn-trace-id
	received  time.Time
}

// urlFront is a Lambda Function URL.
type urlFront struct{}

func (urlFront) name() string { return "Function URL" }
func (urlFront) base() string { return "/" }

func (urlFront) admit(*http.Request, bool) *answer { return nil }

func (urlFront) event(r *http.Request, body []byte, ec eventContext) ([]byte, string, error) {
	ev, err := buildEvent(r, body, ec)
	return ev, "", err
}

func (urlFront) request(event []byte) (method, path, rawQuery string) {
	var ev struct {
		RawPath        string `json:"rawPath"`
		RawQueryString string `json:"rawQueryString"`
		RequestContext struct {
			HTTP struct {
				Method string `json:"method"`
			} `json:"http"`
		} `json:"requestContext"`
	}
	json.Unmarshal(event, &ev)
	return ev.RequestContext.HTTP.Method, ev.RawPath, ev.RawQueryString
}

// failure is the Function URL's 502; it says only "Internal Server Error",
// the local one adds the error.
func (urlFront) failure(fe *FunctionError) *answer {
	b, _ := json.Marshal(map[string]string{"Message": "Internal Server Error", "errorType": fe.Type, "errorMessage": fe.Message})
	return jsonAnswer(http.StatusBadGateway, string(b))
}

func (urlFront) tooLarge() *answer {
	b, _ := json.Marshal(map[string]string{"Message": fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxRequestBytes)})
	return jsonAnswer(http.StatusRequestEntityTooLarge, string(b))
}

// limits: a Function URL streams the first 6 MB at full speed.
func (urlFront) limits(l streamLimits) streamLimits { return l }

// shape: a Function URL takes headers and cookies, not multiValueHeaders.
func (urlFront) shape(resp httpResponse) httpResponse {
	resp.multi = nil
	return resp
}

// buildEvent turns an HTTP request and its body into the Function URL event.
func buildEvent(r *http.Request, body []byte, ec eventContext) ([]byte, error) {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		key := strings.ToLower(name)
		if key == "cookie" {
			for _, v := range values {
				cookies = append(cookies, splitCookies(v)...)
			}
			continue
		}
		headers[key] = strings.Join(values, ",")
	}
	// Go keeps Host out of r.Header.
	if r.Host != "" {
		headers["host"] = r.Host
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	if prior := headers["x-forwarded-for"]; prior != "" {
		headers["x-forwarded-for"] = prior + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	headers["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	} else {
		headers["x-forwarded-port"] = "80"
	}
	headers["x-amzn-trace-id"] = ec.traceID

	rawPath := r.URL.EscapedPath()
	if rawPath == "" {
		rawPath = "/"
	}
	domain := ec.urlID + ".lambda-url." + ec.region + ".on.aws"
	ev := functionURLEvent{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               rawPath,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		RequestContext: requestContext{
			AccountID:    "anonymous",
			APIID:        ec.urlID,
			DomainName:   domain,
			DomainPrefix: ec.urlID,
			HTTP: httpContext{
				Method:    r.Method,
				Path:      rawPath,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
			RequestID: ec.requestID,
			RouteKey:  "$default",
			Stage:     "$default",
			Time:      ec.received.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: ec.received.UnixMilli(),
		},
	}
	if len(body) > 0 {
		var s string
		if isTextContentType(r.Header.Get("Content-Type")) {
			s = string(body)
		} else {
			s = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
		ev.Body = &s
	}
	return json.Marshal(ev)
}

// splitCookies splits a Cookie header ("a=1; b=2") into its cookies.
func splitCookies(header string) []string {
	var out []string
	for _, c := range strings.Split(header, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// queryParameters decodes a query string, joining a repeated key's values
// with ",". It returns nil for an empty query.
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	out := map[string]string{}
	for _, kv := range queryPairs(raw) {
		if prior, ok := out[kv[0]]; ok {
			out[kv[0]] = prior + "," + kv[1]
		} else {
			out[kv[0]] = kv[1]
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// queryPairs decodes a query string into its key-value pairs, in order;
// what does not decode is kept as it is, as the front ends do.
func queryPairs(raw string) [][2]string {
	var out [][2]string
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			value = v
		}
		out = append(out, [2]string{key, value})
	}
	return out
}

// isTextContentType reports whether a Function URL passes a body with this
// Content-Type as text rather than base64 (see functionURLEvent).
func isTextContentType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return false
}

// urlID makes a stable fake Function URL id for a function name: 32
// lower-case letters and digits, like a real one.
func urlID(name string) string {
	sum := sha256.Sum256([]byte("streamgen-dev:" + name))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	return strings.ToLower(enc[:32])
}
