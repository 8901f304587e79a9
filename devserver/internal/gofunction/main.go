// Command gofunction is a Lambda function written with the official Go
// runtime library, github.com/aws/aws-lambda-go, that streams its response
// to a Function URL. The conformance tests in devserver/conformance run it
// under `streamgen dev --cmd` next to the Node.js fixture
// (devserver/conformance/testdata/fn/index.mjs) and require the same answers
// wherever the two overlap. The request path picks the scenario; the paths
// and bytes match the Node.js fixture's.
//
// How aws-lambda-go v1.55 streams (lambda/invoke_loop.go,
// lambda/runtime_api_client.go, events/lambda_function_urls.go):
//
//   - The handler returns before anything is sent. A returned value that
//     is an io.Reader and does not marshal to JSON is POSTed to
//     /runtime/invocation/{id}/response as the request body, read with
//     io.Copy while the HTTP client sends it chunked (unknown length), one
//     flushed chunk per Read. So a body fed through an io.Pipe leaves as
//     the writer writes, and the handler's goroutine keeps running after
//     the handler returned.
//   - It never sends Lambda-Runtime-Function-Response-Mode: streaming (the
//     Node.js client does). The request's Content-Type comes from the
//     value's ContentType() method when it has one, else
//     application/octet-stream.
//   - events.LambdaFunctionURLStreamingResponse is such a reader. Its
//     ContentType() is application/vnd.awslambda.http-integration-response,
//     and its first Read returns the whole prelude: the compact JSON
//     {"statusCode","headers","cookies"} (status 200 when unset, empty
//     headers and cookies omitted) followed by 8 NUL bytes, before any of
//     Body. Unlike Node's HttpResponseStream, the prelude goes out as soon
//     as the handler returns, not on the first write.
//   - An error from Body.Read after bytes went out ends the body with the
//     trailers Lambda-Runtime-Function-Error-Type and
//     Lambda-Runtime-Function-Error-Body (base64 JSON), declared up front
//     with a Trailer header: the same wire shape as the Node.js client.
//   - An error returned by the handler goes to /runtime/invocation/{id}/error
//     as a JSON body instead, where the Node.js client sends an empty
//     /response with the error trailers. Both mean "failed before the first
//     byte" to the Function URL.
//   - A returned value that does marshal to something other than "{}" is
//     sent as that JSON instead (application/json): a reader type with
//     exported fields needs a failing MarshalJSON, as the events type has.
//   - Errors are typed by the error's Go type name without the package
//     and pointer: errors.New gives errorType "errorString".
//
// Build it with -tags lambda.norpc, as for the provided.al2023 runtime.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// largeSize and largeWrite shape the large scenario: 20 MiB in 64 KiB
// writes, the bytes given by largeByte.
const (
	largeSize  = 20 << 20
	largeWrite = 64 << 10
)

// largeByte is the value at offset i of the large body; the Node.js fixture
// computes the same.
func largeByte(i int) byte { return byte(i*7 + i>>16) }

func main() {
	lambda.Start(handle)
}

// handle answers one Function URL event. It returns an io.Reader: either a
// bare one (a body with no prelude, like a Node handler that never calls
// HttpResponseStream.from) or an *events.LambdaFunctionURLStreamingResponse.
func handle(ctx context.Context, ev events.LambdaFunctionURLRequest) (io.Reader, error) {
	switch ev.RawPath {
	case "/plain":
		return strings.NewReader("hello world\n"), nil

	case "/timed":
		// Three lines 250 ms apart, each its own chunk.
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"content-type": "text/plain; charset=utf-8"},
			Body: pipe(func(w io.Writer) error {
				for i := 1; i <= 3; i++ {
					if i > 1 {
						time.Sleep(250 * time.Millisecond)
					}
					fmt.Fprintf(w, "tick %d\n", i)
				}
				return nil
			}),
		}, nil

	case "/http":
		return &events.LambdaFunctionURLStreamingResponse{
			StatusCode: 201,
			Headers:    map[string]string{"content-type": "text/plain", "x-scenario": "http", "cache-control": "no-store"},
			Cookies:    []string{"a=1; Path=/", "b=2; HttpOnly"},
			Body:       strings.NewReader("created\n"),
		}, nil

	case "/content-type":
		// The Go counterpart of responseStream.setContentType: a reader
		// with a ContentType method sets the request's Content-Type.
		return typedReader{strings.NewReader("a,b\n1,2\n"), "text/csv"}, nil

	case "/error-mid":
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"content-type": "text/plain"},
			Body: pipe(func(w io.Writer) error {
				io.WriteString(w, "partial ")
				// Give the chunk time to reach the caller before the error.
				time.Sleep(50 * time.Millisecond)
				return errors.New("boom mid-stream")
			}),
		}, nil

	case "/error-before":
		return nil, errors.New("boom before the first write")

	case "/empty":
		return strings.NewReader(""), nil

	case "/empty-prelude":
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"x-empty": "yes"},
		}, nil

	case "/binary":
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"content-type": "application/octet-stream"},
			Body:    bytes.NewReader(all),
		}, nil

	case "/large":
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"content-type": "application/octet-stream"},
			Body: pipe(func(w io.Writer) error {
				buf := make([]byte, largeWrite)
				for off := 0; off < largeSize; off += largeWrite {
					for i := range buf {
						buf[i] = largeByte(off + i)
					}
					// A pipe write blocks until the runtime client has read
					// it: that is the backpressure.
					if _, err := w.Write(buf); err != nil {
						return err
					}
				}
				return nil
			}),
		}, nil

	case "/never-ends":
		// Writes once and never ends the body: the invocation runs into the
		// function timeout. The deadline passing does not end it either; the
		// sandbox is stopped from outside.
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"content-type": "text/plain"},
			Body: pipe(func(w io.Writer) error {
				io.WriteString(w, "waiting\n")
				select {}
			}),
		}, nil

	case "/echo":
		return &events.LambdaFunctionURLStreamingResponse{
			Headers: map[string]string{"content-type": "application/json"},
			Body:    bytes.NewReader(echo(ev)),
		}, nil
	}
	return &events.LambdaFunctionURLStreamingResponse{
		StatusCode: 404,
		Headers:    map[string]string{"content-type": "text/plain"},
		Body:       strings.NewReader("no scenario " + ev.RawPath + "\n"),
	}, nil
}

// pipe runs produce in its own goroutine and returns the reading end: the
// handler returns at once and the body streams as produce writes. An error
// from produce reaches the runtime client as a Read error, which it sends
// as the error trailers.
func pipe(produce func(w io.Writer) error) io.Reader {
	r, w := io.Pipe()
	go func() { w.CloseWithError(produce(w)) }()
	return r
}

// typedReader is a body with its own Content-Type; aws-lambda-go reads it
// through the ContentType method.
type typedReader struct {
	io.Reader
	contentType string
}

func (r typedReader) ContentType() string { return r.contentType }

// MarshalJSON fails so that aws-lambda-go sends the reader's bytes rather
// than the struct as JSON ({"Reader":{}}).
func (typedReader) MarshalJSON() ([]byte, error) { return nil, errors.New("a stream, not JSON") }

// echoSummary is what the echo scenario returns: the parts of the event a
// Function URL builds from the HTTP request. The Node.js fixture returns the
// same fields.
type echoSummary struct {
	Version         string            `json:"version"`
	Method          string            `json:"method"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Query           map[string]string `json:"query"`
	Headers         map[string]string `json:"headers"`
	Cookies         []string          `json:"cookies"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	// BodyBase64 is the request body after decoding, in base64, so any
	// bytes survive the JSON.
	BodyBase64 string `json:"bodyBase64"`
	SourceIP   string `json:"sourceIp"`
	UserAgent  string `json:"userAgent"`
}

func echo(ev events.LambdaFunctionURLRequest) []byte {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			body = []byte("invalid base64: " + err.Error())
		}
	}
	s := echoSummary{
		Version:         ev.Version,
		Method:          ev.RequestContext.HTTP.Method,
		RawPath:         ev.RawPath,
		RawQueryString:  ev.RawQueryString,
		Query:           ev.QueryStringParameters,
		Headers:         ev.Headers,
		Cookies:         ev.Cookies,
		IsBase64Encoded: ev.IsBase64Encoded,
		BodyBase64:      base64.StdEncoding.EncodeToString(body),
		SourceIP:        ev.RequestContext.HTTP.SourceIP,
		UserAgent:       ev.RequestContext.HTTP.UserAgent,
	}
	// Absent lists and maps read as empty ones, as in the Node.js fixture.
	if s.Query == nil {
		s.Query = map[string]string{}
	}
	if s.Headers == nil {
		s.Headers = map[string]string{}
	}
	if s.Cookies == nil {
		s.Cookies = []string{}
	}
	b, _ := json.Marshal(s) // strings, maps and slices: cannot fail
	return b
}
