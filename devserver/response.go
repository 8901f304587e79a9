package devserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// FunctionError is an error the function (or Lambda, on its behalf)
// reported: {"errorType", "errorMessage", "trace"}.
type FunctionError struct {
	Type    string   `json:"errorType"`
	Message string   `json:"errorMessage"`
	Trace   []string `json:"trace,omitempty"`

	// timeout is set when the error is the function's timeout.
	timeout *timeoutError
}

func (e *FunctionError) Error() string {
	if e.timeout != nil {
		return e.timeout.Error()
	}
	switch {
	case e.Type == "":
		return e.Message
	case e.Message == "":
		return e.Type
	}
	return e.Type + ": " + e.Message
}

// integrationContentType marks a streamed response that starts with an
// HTTP prelude: compact JSON {statusCode, headers, cookies}, then 8 NUL
// bytes, then the body (what awslambda.HttpResponseStream.from writes).
const integrationContentType = "application/vnd.awslambda.http-integration-response"

// preludeDelimiter ends the prelude. JSON text cannot contain a NUL byte,
// so the first NUL after the prelude starts it.
const preludeDelimiterLen = 8

// maxPreludeBytes bounds the prelude, which is read before anything is
// sent.
const maxPreludeBytes = copyBufferSize - preludeDelimiterLen

// httpResponse is the status line and headers of a Function URL response.
type httpResponse struct {
	status  int
	header  http.Header
	cookies []string
	// multi holds the prelude's multiValueHeaders, which a REST API sends
	// and a Function URL ignores (frontEnd.shape decides).
	multi http.Header
}

// preludeJSON is the prelude's shape. Header values are strings in the
// runtime's types; anything else is taken as its JSON text.
type preludeJSON struct {
	StatusCode *int                       `json:"statusCode"`
	Headers    map[string]json.RawMessage `json:"headers"`
	Cookies    []string                   `json:"cookies"`
	// MultiValueHeaders is the REST API's form for repeated headers.
	MultiValueHeaders map[string][]json.RawMessage `json:"multiValueHeaders"`
}

// errNoPrelude: the stream ended before the 8 NUL bytes.
var errNoPrelude = errors.New("no prelude")

// preludeError: the prelude is malformed.
type preludeError struct{ msg string }

func (e *preludeError) Error() string { return e.msg }

func preludeErrorf(format string, args ...any) error {
	return &preludeError{msg: fmt.Sprintf(format, args...)}
}

// readPrelude reads from body until the prelude's delimiter, using buf. It
// returns the parsed prelude and the body bytes that came after the
// delimiter in the same reads (a slice of buf). A stream that ends before
// the delimiter gives errNoPrelude (check the trailers: the function may
// have failed); a read error is returned as it is.
func readPrelude(body io.Reader, buf []byte) (httpResponse, []byte, error) {
	filled := 0
	for {
		if i := bytes.IndexByte(buf[:filled], 0); i >= 0 && filled-i >= preludeDelimiterLen {
			if !allZero(buf[i : i+preludeDelimiterLen]) {
				return httpResponse{}, nil, preludeErrorf("the prelude's JSON is followed by %q, not 8 NUL bytes", buf[i:i+preludeDelimiterLen])
			}
			resp, err := parsePrelude(buf[:i])
			return resp, buf[i+preludeDelimiterLen : filled], err
		}
		if filled >= maxPreludeBytes {
			return httpResponse{}, nil, preludeErrorf("no 8 NUL bytes in the first %d bytes: the prelude is too long or missing", filled)
		}
		n, err := body.Read(buf[filled:])
		filled += n
		if err == io.EOF {
			if i := bytes.IndexByte(buf[:filled], 0); i >= 0 && filled-i >= preludeDelimiterLen {
				continue // the delimiter came with the last bytes
			}
			if filled == 0 {
				return httpResponse{}, nil, errNoPrelude
			}
			return httpResponse{}, nil, fmt.Errorf("%w: the stream ended after %d bytes without the 8 NUL bytes that end it", errNoPrelude, filled)
		}
		if err != nil {
			return httpResponse{}, nil, err
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parsePrelude parses the prelude JSON. A missing statusCode means 200.
func parsePrelude(raw []byte) (httpResponse, error) {
	var p preludeJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return httpResponse{}, preludeErrorf("the prelude is not a JSON object {statusCode, headers, cookies}: %v", err)
	}
	resp := httpResponse{status: http.StatusOK, header: http.Header{}, cookies: p.Cookies}
	if p.StatusCode != nil {
		resp.status = *p.StatusCode
	}
	if resp.status < 200 || resp.status > 599 {
		return httpResponse{}, preludeErrorf("the prelude's statusCode %d is not an HTTP status between 200 and 599", resp.status)
	}
	for name, raw := range p.Headers {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(raw)
		}
		resp.header.Set(name, s)
	}
	for name, raws := range p.MultiValueHeaders {
		if resp.multi == nil {
			resp.multi = http.Header{}
		}
		for _, raw := range raws {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = string(raw)
			}
			resp.multi.Add(name, s)
		}
	}
	return resp, nil
}

// apply sets resp's headers and cookies on h. Framing headers are left
// out: the local server frames the body itself (chunked), and a
// Content-Length that disagrees with the stream would break it.
func (resp httpResponse) apply(h http.Header) {
	for name, values := range resp.header {
		switch name {
		case "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Trailer", "Upgrade":
			continue
		}
		h[name] = values
	}
	for _, c := range resp.cookies {
		h.Add("Set-Cookie", c)
	}
}

// bufferedJSON is a buffered handler result in the Function URL's response
// format.
type bufferedJSON struct {
	StatusCode      *int                       `json:"statusCode"`
	Headers         map[string]json.RawMessage `json:"headers"`
	Cookies         []string                   `json:"cookies"`
	Body            json.RawMessage            `json:"body"`
	IsBase64Encoded bool                       `json:"isBase64Encoded"`
}

// convertBuffered turns a buffered handler result into the HTTP response a
// Function URL sends (Lambda Developer Guide, "Invoking Lambda function
// URLs", response payload format): an object with a statusCode gives that
// status, its headers, a Set-Cookie header per cookie, and its body
// (base64-decoded when isBase64Encoded). Any other JSON value, an object
// without statusCode included, is the body itself, with status 200 and
// content-type application/json. A result that is not JSON at all (a
// custom runtime's bytes with a length) is passed on as it is, with its
// own Content-Type.
func convertBuffered(payload []byte, contentType string) (httpResponse, []byte, error) {
	trimmed := bytes.TrimSpace(payload)
	if !json.Valid(trimmed) {
		if mediaType(contentType) == "application/json" {
			return httpResponse{}, nil, fmt.Errorf("the function's result is not JSON: %q", truncate(trimmed, 80))
		}
		h := http.Header{}
		if contentType == "" {
			contentType = "application/octet-stream"
		}
		h.Set("Content-Type", contentType)
		return httpResponse{status: http.StatusOK, header: h}, payload, nil
	}
	plain := func() (httpResponse, []byte, error) {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		return httpResponse{status: http.StatusOK, header: h}, payload, nil
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return plain()
	}
	var b bufferedJSON
	if err := json.Unmarshal(trimmed, &b); err != nil || b.StatusCode == nil {
		return plain()
	}
	resp := httpResponse{status: *b.StatusCode, header: http.Header{}, cookies: b.Cookies}
	if resp.status < 200 || resp.status > 599 {
		return httpResponse{}, nil, fmt.Errorf("the function's statusCode %d is not an HTTP status between 200 and 599", resp.status)
	}
	for name, raw := range b.Headers {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			s = string(raw)
		}
		resp.header.Set(name, s)
	}
	var body []byte
	if len(b.Body) > 0 && string(b.Body) != "null" {
		var s string
		if err := json.Unmarshal(b.Body, &s); err == nil {
			body = []byte(s)
		} else {
			body = b.Body // a non-string body is sent as its JSON text
		}
	}
	if b.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return httpResponse{}, nil, fmt.Errorf("the function's body is marked isBase64Encoded but is not base64: %v", err)
		}
		body = decoded
	}
	return resp, body, nil
}

// decodeErrorTrailer reads the error trailers of a streamed response: the
// type, and the base64 of {"errorType", "errorMessage", "trace"}.
func decodeErrorTrailer(errorType, errorBody string) *FunctionError {
	fe := &FunctionError{Type: errorType}
	if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(errorBody)); err == nil {
		parsed := parseFunctionError(raw)
		if parsed.Type != "" {
			fe.Type = parsed.Type
		}
		fe.Message, fe.Trace = parsed.Message, parsed.Trace
	} else if errorBody != "" {
		fe.Message = errorBody
	}
	return fe
}

// mediaType returns a Content-Type's media type, lower case, without
// parameters.
func mediaType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(contentType))
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..." + strconv.Itoa(len(b)-n) + " more bytes"
}
