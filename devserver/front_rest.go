package devserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// restFront is an API Gateway REST API stage whose root and {proxy+}
// resources have ANY methods with a streaming Lambda proxy integration
// (ResponseTransferMode STREAM), as streamgen generates it. Facts this file
// relies on, from the API Gateway Developer Guide ("Lambda proxy
// integration input format", "response streaming"):
//
//   - The endpoint is https://{api}.execute-api.{region}.amazonaws.com/{stage}/;
//     a request for another stage is refused with 403 {"message":"Forbidden"}.
//   - The event is payload format 1.0: resource ("/" or "/{proxy+}"), path
//     (without the stage, percent-encoded as sent), httpMethod, headers and
//     queryStringParameters (each name's last value), multiValueHeaders and
//     multiValueQueryStringParameters (every value; null without a query),
//     pathParameters.proxy (decoded; null for the root), stageVariables,
//     requestContext (stage, path with the stage, requestId, identity with
//     sourceIp, userAgent and, with an API key, apiKey and apiKeyId), body
//     and isBase64Encoded.
//   - Header names keep the case the client sent; API Gateway adds
//     X-Forwarded-For, X-Forwarded-Port, X-Forwarded-Proto and
//     X-Amzn-Trace-Id. (Go's server gives names in canonical case.)
//   - Without binary media types (the generated APIs set none) a body is
//     passed as text, isBase64Encoded false: bytes that are not UTF-8 do
//     not survive, and are replaced here.
//   - With an API key required, a request without a valid x-api-key is
//     refused with 403 {"message":"Forbidden"}; the function is not invoked.
//   - A failure before the first byte is 502 {"message":"Internal server error"}.
//   - A stream's first 10 MB go at full speed, then at most 2 MB/s; a stream
//     ends after 15 minutes, or after 5 minutes without a byte.
type restFront struct {
	stage  string
	apiKey string   // the x-api-key callers must send; "" for none
	cors   []string // origins whose preflight requests the API answers
	// corsMethods and corsHeaders are the preflight answer's allowed
	// methods and headers, as the OPTIONS methods give them; "" for the
	// requested ones.
	corsMethods, corsHeaders string
}

func (f *restFront) name() string { return "REST API stage " + f.stage }
func (f *restFront) base() string { return "/" + f.stage + "/" }

func (f *restFront) admit(r *http.Request, localInvoke bool) *answer {
	p := r.URL.EscapedPath()
	if p != "/"+f.stage && !strings.HasPrefix(p, f.base()) {
		return jsonAnswer(http.StatusForbidden, `{"message":"Forbidden"}`)
	}
	if r.Method == http.MethodOptions && len(f.cors) > 0 {
		// With CORS, OPTIONS is the API's own MOCK method: every OPTIONS
		// request is answered without the function, preflight or not.
		return f.preflight(r)
	}
	if f.apiKey != "" && !localInvoke && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Api-Key")), []byte(f.apiKey)) != 1 {
		return jsonAnswer(http.StatusForbidden, `{"message":"Forbidden"}`)
	}
	return nil
}

// preflight answers a CORS preflight request as the generated OPTIONS
// methods do (a MOCK integration, no function call): 204, naming the
// request's Origin only when it is an allowed one, with the fixed lists of
// allowed methods and headers the template gives them, which the browser
// then checks its request against. Without those lists (a CDK app, whose
// TypeScript is not read) the requested method and headers are allowed.
func (f *restFront) preflight(r *http.Request) *answer {
	h := http.Header{}
	if origin := r.Header.Get("Origin"); slices.Contains(f.cors, origin) {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	methods, headers := f.corsMethods, f.corsHeaders
	if methods == "" {
		methods, headers = r.Header.Get("Access-Control-Request-Method"), r.Header.Get("Access-Control-Request-Headers")
	}
	if methods != "" {
		h.Set("Access-Control-Allow-Methods", methods)
	}
	if headers != "" {
		h.Set("Access-Control-Allow-Headers", headers)
	}
	h.Set("Access-Control-Max-Age", "300")
	h.Set("Vary", "Origin")
	return &answer{status: http.StatusNoContent, header: h}
}

// restEvent is the REST API proxy event (payload format 1.0).
type restEvent struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  restContext         `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type restContext struct {
	ResourceID        string       `json:"resourceId"`
	ResourcePath      string       `json:"resourcePath"`
	HTTPMethod        string       `json:"httpMethod"`
	ExtendedRequestID string       `json:"extendedRequestId"`
	RequestTime       string       `json:"requestTime"`
	Path              string       `json:"path"`
	AccountID         string       `json:"accountId"`
	Protocol          string       `json:"protocol"`
	Stage             string       `json:"stage"`
	DomainPrefix      string       `json:"domainPrefix"`
	RequestTimeEpoch  int64        `json:"requestTimeEpoch"`
	RequestID         string       `json:"requestId"`
	Identity          restIdentity `json:"identity"`
	DomainName        string       `json:"domainName"`
	APIID             string       `json:"apiId"`
}

// restIdentity is the caller as a REST API without an authorizer sees it.
type restIdentity struct {
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	AccountID                     *string `json:"accountId"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	Caller                        *string `json:"caller"`
	SourceIP                      string  `json:"sourceIp"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	AccessKey                     *string `json:"accessKey"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	UserArn                       *string `json:"userArn"`
	UserAgent                     string  `json:"userAgent"`
	User                          *string `json:"user"`
	APIKey                        *string `json:"apiKey,omitempty"`
	APIKeyID                      *string `json:"apiKeyId,omitempty"`
}

func (f *restFront) event(r *http.Request, body []byte, ec eventContext) ([]byte, string, error) {
	full := r.URL.EscapedPath()
	path := strings.TrimPrefix(full, "/"+f.stage)
	if path == "" {
		path = "/"
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	multi := map[string][]string{}
	for name, values := range r.Header {
		multi[name] = slices.Clone(values)
	}
	if r.Host != "" {
		multi["Host"] = []string{r.Host}
	}
	if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
		multi["X-Forwarded-For"] = []string{prior + ", " + sourceIP}
	} else {
		multi["X-Forwarded-For"] = []string{sourceIP}
	}
	multi["X-Forwarded-Proto"] = []string{"http"}
	port := "80"
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	multi["X-Forwarded-Port"] = []string{port}
	multi["X-Amzn-Trace-Id"] = []string{ec.traceID}
	single := map[string]string{}
	for name, values := range multi {
		single[name] = values[len(values)-1]
	}

	apiID := restAPIID(ec.urlID)
	ev := restEvent{
		Resource:          "/{proxy+}",
		Path:              path,
		HTTPMethod:        r.Method,
		Headers:           single,
		MultiValueHeaders: multi,
		RequestContext: restContext{
			ResourceID:        apiID[:6],
			ResourcePath:      "/{proxy+}",
			HTTPMethod:        r.Method,
			ExtendedRequestID: ec.requestID,
			RequestTime:       ec.received.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			Path:              full,
			AccountID:         "000000000000",
			Protocol:          r.Proto,
			Stage:             f.stage,
			DomainPrefix:      apiID,
			RequestTimeEpoch:  ec.received.UnixMilli(),
			RequestID:         ec.requestID,
			Identity:          restIdentity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			DomainName:        apiID + ".execute-api." + ec.region + ".amazonaws.com",
			APIID:             apiID,
		},
	}
	if path == "/" {
		ev.Resource, ev.RequestContext.ResourcePath = "/", "/"
	} else {
		proxy, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
		if err != nil {
			proxy = strings.TrimPrefix(path, "/")
		}
		ev.PathParameters = map[string]string{"proxy": proxy}
	}
	if r.URL.RawQuery != "" {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for _, kv := range queryPairs(r.URL.RawQuery) {
			ev.QueryStringParameters[kv[0]] = kv[1]
			ev.MultiValueQueryStringParameters[kv[0]] = append(ev.MultiValueQueryStringParameters[kv[0]], kv[1])
		}
	}
	if f.apiKey != "" {
		key, id := f.apiKey, apiID[:10]
		ev.RequestContext.Identity.APIKey, ev.RequestContext.Identity.APIKeyID = &key, &id
	}
	var note string
	if len(body) > 0 {
		text := string(body)
		if !utf8.Valid(body) {
			text = strings.ToValidUTF8(text, "\uFFFD")
			note = "the body is not UTF-8 text: a REST API without binary media types passes bodies as text, so its other bytes were replaced (U+FFFD); add binaryMediaTypes to the API for binary uploads"
		}
		ev.Body = &text
	}
	b, err := json.Marshal(ev)
	return b, note, err
}

// restAPIID makes the fake REST API id, 10 lower-case letters and digits
// like a real one, from the project's fake URL id.
func restAPIID(urlID string) string {
	sum := sha256.Sum256([]byte("rest-api:" + urlID))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:10])
}

func (f *restFront) request(event []byte) (method, path, rawQuery string) {
	var ev struct {
		HTTPMethod                      string              `json:"httpMethod"`
		Path                            string              `json:"path"`
		MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	}
	json.Unmarshal(event, &ev)
	q := url.Values(ev.MultiValueQueryStringParameters)
	return ev.HTTPMethod, strings.TrimSuffix(f.base(), "/") + ev.Path, q.Encode()
}

// failure is API Gateway's 502; the local one adds the error.
func (f *restFront) failure(fe *FunctionError) *answer {
	b, _ := json.Marshal(map[string]string{"message": "Internal server error", "errorType": fe.Type, "errorMessage": fe.Message})
	return jsonAnswer(http.StatusBadGateway, string(b))
}

// tooLarge: the function is not invoked with an event over Lambda's 6 MB.
func (f *restFront) tooLarge() *answer {
	return jsonAnswer(http.StatusRequestEntityTooLarge, `{"message":"Request Too Long"}`)
}

func (f *restFront) limits(l streamLimits) streamLimits {
	l.fullSpeed = RESTFullSpeedBytes
	l.idle = RESTIdleTimeout
	l.maxDuration = RESTMaxStream
	return l
}

// shape: a REST API sends multiValueHeaders too, each value as a header
// line, after the headers' values of the same name.
func (f *restFront) shape(resp httpResponse) httpResponse {
	if len(resp.multi) > 0 {
		h := resp.header.Clone()
		for name, values := range resp.multi {
			for _, v := range values {
				h.Add(name, v)
			}
		}
		resp.header, resp.multi = h, nil
	}
	return resp
}
