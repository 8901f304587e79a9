// Package llmfake serves local stand-ins for model APIs that speak the real
// wire protocols: Amazon Bedrock's ConverseStream (the AWS event-stream
// binary encoding, over HTTP/1.1 or cleartext HTTP/2) and an OpenAI-compatible
// chat/completions streaming Server-Sent Events. The golden tests and the
// llm-stream benchmark drive generated handlers against them. A scenario,
// chosen by the model id in the request, sets the tokens, their pace and an
// optional failure.
package llmfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Scenario is what a fake upstream model does for one request, chosen by
// the model id the handler sends.
type Scenario struct {
	Tokens   []string
	Pace     time.Duration // between tokens
	FailAt   int           // send an upstream error after this many tokens; -1 never
	UsageIn  int
	UsageOut int
	// Stamp replaces each token's text with the wall-clock time it was
	// sent, in Unix nanoseconds, so a client can measure the delay.
	Stamp bool
}

var Scenarios = map[string]Scenario{
	"normal": {Tokens: []string{"Stream", "ing", " works", ", line\nby line", " — ünïcödé ✓"}, FailAt: -1, UsageIn: 12, UsageOut: 5},
	"error":  {Tokens: []string{"Partial", " answer"}, FailAt: 2, UsageIn: 12, UsageOut: 2},
	"slow":   {Tokens: strings.Split(strings.Repeat("tick ", 40), " ")[:40], Pace: 100 * time.Millisecond, FailAt: -1},
	"paced":  {Tokens: PacedTokens(200), Pace: 10 * time.Millisecond, FailAt: -1, UsageIn: 3, UsageOut: 200, Stamp: true},
}

func PacedTokens(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%03d ", i)
	}
	return out
}

// ScenarioFor maps a model id such as "fake.slow-v1:0" or "slow" to its
// scenario.
func ScenarioFor(model string) (Scenario, bool) {
	for name, s := range Scenarios {
		if model == name || strings.Contains(model, "."+name+"-") {
			return s, true
		}
	}
	return Scenario{}, false
}

// Upstream is a running fake. It records what reached it.
type Upstream struct {
	srv        *http.Server
	URL        string
	Requests   atomic.Int64
	mu         sync.Mutex
	bodies     []map[string]any
	ClientGone chan struct{} // closed when a client went away mid-stream
	closeOnce  sync.Once
}

func (f *Upstream) record(body []byte) {
	f.Requests.Add(1)
	var m map[string]any
	json.Unmarshal(body, &m)
	f.mu.Lock()
	f.bodies = append(f.bodies, m)
	f.mu.Unlock()
}

func (f *Upstream) clientGone() { f.closeOnce.Do(func() { close(f.ClientGone) }) }

// Start serves h on a loopback port with HTTP/1.1 and cleartext HTTP/2,
// as the Bedrock Runtime client speaks HTTP/2 even over http://.
func Start(h func(f *Upstream) http.Handler) (*Upstream, error) {
	f := &Upstream{ClientGone: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	f.srv = &http.Server{Handler: h(f), Protocols: &protocols}
	go f.srv.Serve(l)
	f.URL = "http://" + l.Addr().String()
	return f, nil
}

// Close stops the server.
func (f *Upstream) Close() error { return f.srv.Close() }

// LastBody returns the JSON body of the last request, decoded.
func (f *Upstream) LastBody() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) == 0 {
		return nil
	}
	return f.bodies[len(f.bodies)-1]
}

// Bedrock answers ConverseStream (POST /model/{id}/converse-stream) in
// the AWS event-stream binary encoding, frame by frame as the real service
// does, with both CRCs.
func Bedrock(f *Upstream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.record(body)
		model, ok := strings.CutPrefix(r.URL.Path, "/model/")
		model, ok2 := strings.CutSuffix(model, "/converse-stream")
		sc, ok3 := ScenarioFor(model)
		if !ok || !ok2 || !ok3 || r.Method != http.MethodPost {
			w.Header().Set("x-amzn-errortype", "ValidationException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"unknown model or path %s"}`, r.URL.Path)
			return
		}
		w.Header().Set("content-type", "application/vnd.amazon.eventstream")
		w.WriteHeader(http.StatusOK)
		enc := eventstream.NewEncoder()
		flusher := w.(http.Flusher)
		send := func(kind, name string, payload any) bool {
			b, _ := json.Marshal(payload)
			typeHeader := ":event-type"
			if kind == "exception" {
				typeHeader = ":exception-type"
			}
			msg := eventstream.Message{
				Headers: eventstream.Headers{
					{Name: ":message-type", Value: eventstream.StringValue(kind)},
					{Name: typeHeader, Value: eventstream.StringValue(name)},
					{Name: ":content-type", Value: eventstream.StringValue("application/json")},
				},
				Payload: b,
			}
			var buf bytes.Buffer
			if err := enc.Encode(&buf, msg); err != nil {
				panic(err)
			}
			if _, err := w.Write(buf.Bytes()); err != nil {
				f.clientGone()
				return false
			}
			flusher.Flush()
			return true
		}
		if !send("event", "messageStart", map[string]any{"role": "assistant"}) {
			return
		}
		for i, tok := range sc.Tokens {
			if i == sc.FailAt {
				send("exception", "modelStreamErrorException", map[string]any{"message": "the model stopped unexpectedly", "originalStatusCode": 500})
				return
			}
			if sc.Pace > 0 {
				select {
				case <-time.After(sc.Pace):
				case <-r.Context().Done():
					f.clientGone()
					return
				}
			}
			if sc.Stamp {
				tok = strconv.FormatInt(time.Now().UnixNano(), 10)
			}
			if !send("event", "contentBlockDelta", map[string]any{"contentBlockIndex": 0, "delta": map[string]any{"text": tok}}) {
				return
			}
		}
		if sc.FailAt == len(sc.Tokens) {
			send("exception", "modelStreamErrorException", map[string]any{"message": "the model stopped unexpectedly", "originalStatusCode": 500})
			return
		}
		send("event", "contentBlockStop", map[string]any{"contentBlockIndex": 0})
		send("event", "messageStop", map[string]any{"stopReason": "end_turn"})
		send("event", "metadata", map[string]any{
			"usage":   map[string]any{"inputTokens": sc.UsageIn, "outputTokens": sc.UsageOut, "totalTokens": sc.UsageIn + sc.UsageOut},
			"metrics": map[string]any{"latencyMs": 42},
		})
	})
}

// OpenAI answers POST BASE/chat/completions with stream: true as
// Server-Sent Events, deliberately split at awkward places (inside a field,
// between CR and LF), with comments and CRLF line ends, then "data: [DONE]".
// base is the path of the API's base URL: "/v1" as OpenAI's own, or another
// such as Gemini's "/v1beta/openai".
func OpenAI(apiKey, base string) func(f *Upstream) http.Handler {
	return func(f *Upstream) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			f.record(body)
			if r.Header.Get("authorization") != "Bearer "+apiKey {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":{"message":"bad key","type":"invalid_request_error"}}`)
				return
			}
			var req struct {
				Model  string `json:"model"`
				Stream bool   `json:"stream"`
			}
			json.Unmarshal(body, &req)
			sc, ok := ScenarioFor(req.Model)
			if r.URL.Path != base+"/chat/completions" || !ok || !req.Stream {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"error":{"message":"unexpected request to %s for model %q"}}`, r.URL.Path, req.Model)
				return
			}
			w.Header().Set("content-type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			flusher := w.(http.Flusher)
			write := func(s string) bool {
				// Two writes per event, split in the middle, to put chunk
				// boundaries where a naive parser would break.
				half := len(s) / 2
				for _, part := range []string{s[:half], s[half:]} {
					if _, err := io.WriteString(w, part); err != nil {
						f.clientGone()
						return false
					}
					flusher.Flush()
				}
				return true
			}
			chunk := func(delta map[string]any, finish any, usage any) string {
				b, _ := json.Marshal(map[string]any{
					"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": req.Model,
					"choices": func() []any {
						if delta == nil {
							return []any{}
						}
						return []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}
					}(),
					"usage": usage,
				})
				return "data: " + string(b) + "\r\n\r\n"
			}
			if !write(": keep-alive comment\n\n" + chunk(map[string]any{"role": "assistant", "content": ""}, nil, nil)) {
				return
			}
			for i, tok := range sc.Tokens {
				if i == sc.FailAt {
					// An OpenAI-compatible server reports a failure mid-stream as
					// an error object, then closes the connection.
					write(`data: {"error":{"message":"the model stopped unexpectedly","type":"server_error"}}` + "\n\n")
					panic(http.ErrAbortHandler)
				}
				if sc.Pace > 0 {
					select {
					case <-time.After(sc.Pace):
					case <-r.Context().Done():
						f.clientGone()
						return
					}
				}
				if sc.Stamp {
					tok = strconv.FormatInt(time.Now().UnixNano(), 10)
				}
				if !write(chunk(map[string]any{"content": tok}, nil, nil)) {
					return
				}
			}
			if sc.FailAt == len(sc.Tokens) {
				write(`data: {"error":{"message":"the model stopped unexpectedly","type":"server_error"}}` + "\n\n")
				panic(http.ErrAbortHandler)
			}
			write(chunk(map[string]any{}, "stop", nil))
			write(chunk(nil, nil, map[string]any{"prompt_tokens": sc.UsageIn, "completion_tokens": sc.UsageOut, "total_tokens": sc.UsageIn + sc.UsageOut}))
			write("data: [DONE]\n\n")
		})
	}
}
