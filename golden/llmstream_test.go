package golden

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/llmfake"
	"github.com/streamgen/streamgen/internal/moto"
	"github.com/streamgen/streamgen/internal/testtools"
)

// TestLLMStreamAgainstFakes runs the generated llm-stream handler, through
// the streamify shim, against local fakes that speak the real protocols: a
// Bedrock ConverseStream fake answering in the AWS event-stream binary
// encoding over cleartext HTTP/2, and an OpenAI-compatible Server-Sent
// Events fake whose API key the handler reads from SSM (moto) at init. It
// checks token order and content, `done` with usage, an upstream error
// mid-stream, the time budget aborting a slow upstream (the fake must see
// the connection close), and bad requests never reaching the fake.
func TestLLMStreamAgainstFakes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm install and local fakes; skipped with -short")
	}
	requireTools(t, "node", "npm", "python3")
	motoURL := moto.Start(t)
	const apiKey, keyParam = "sk-test-not-a-real-key", "/llm-test/openai-api-key"
	putSSMSecureString(t, motoURL, keyParam, apiKey)

	for _, provider := range []struct {
		name, golden string
		fake         func(f *llmfake.Upstream) http.Handler
		env          func(url, model string) []string
	}{
		{"bedrock", "llm-stream-sam", llmfake.Bedrock, func(url, model string) []string {
			return []string{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + url, "MODEL_ID=fake." + model + "-v1:0"}
		}},
		// A base without /v1, as Gemini's OpenAI-compatible API has: the
		// fake answers only at BASE/chat/completions.
		{"openai", "llm-stream-openai", llmfake.OpenAI(apiKey, "/v1beta/openai"), func(url, model string) []string {
			return []string{"BASE_URL=" + url + "/v1beta/openai", "MODEL_ID=" + model, "API_KEY_PARAMETER=" + keyParam, "AWS_ENDPOINT_URL_SSM=" + motoURL}
		}},
	} {
		t.Run(provider.name, func(t *testing.T) {
			dir := copyTree(t, provider.golden)
			testtools.Record(t, "%s against the %s fake on Node.js %s", provider.golden, provider.name, dir.node.Version)
			run(t, dir, 5*time.Minute, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
			copyFile(t, "testdata/invoke-batch.mjs", filepath.Join(dir.path, "invoke-batch.mjs"))
			fake, err := llmfake.Start(provider.fake)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fake.Close() })
			env := func(model string, extra ...string) []string {
				return append(append([]string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"},
					provider.env(fake.URL, model)...), extra...)
			}

			// The README's "try the sample event" snippet, against the fake.
			runReadmeSnippet(t, dir, env("normal"))

			// A complete answer: every token in order, then done with usage.
			r := invokeBatch(t, dir, "src/index.mjs", env("normal"), []proxyCase{{ev: postEvent(`{"messages":[{"role":"user","content":"hi"}],"maxTokens":100}`, nil)}})[0]
			events := sseEvents(t, r)
			sc := llmfake.Scenarios["normal"]
			if r.StatusCode != 200 || r.Headers["content-type"] != "text/event-stream" || r.Headers["cache-control"] != "no-cache" {
				t.Errorf("normal: status %d, headers %v", r.StatusCode, r.Headers)
			}
			checkTokens(t, "normal", events, sc.Tokens)
			last := events[len(events)-1]
			var done struct {
				StopReason string
				Usage      struct{ InputTokens, OutputTokens int }
			}
			if last.name != "done" || json.Unmarshal([]byte(last.data), &done) != nil || done.StopReason == "" ||
				done.Usage.InputTokens != sc.UsageIn || done.Usage.OutputTokens != sc.UsageOut {
				t.Errorf("normal: last event %s %s, want done with usage %d/%d", last.name, last.data, sc.UsageIn, sc.UsageOut)
			}
			if got := maxTokensSent(fake); got != float64(100) {
				t.Errorf("normal: max tokens sent upstream = %v, want 100", got)
			}

			// The upstream fails after two tokens: event: error, then a clean end.
			r = invokeBatch(t, dir, "src/index.mjs", env("error"), []proxyCase{{ev: postEvent(`{"prompt":"hi"}`, nil)}})[0]
			events = sseEvents(t, r)
			checkTokens(t, "error", events, llmfake.Scenarios["error"].Tokens)
			if last := events[len(events)-1]; last.name != "error" || r.Rejected != "" {
				t.Errorf("upstream error: last event %q (%s), rejected %q; want event: error and a clean end", last.name, last.data, r.Rejected)
			}

			// A slow upstream and little time left: the budget aborts the call.
			start := time.Now()
			r = invokeBatch(t, dir, "src/index.mjs", env("slow", "TIME_MARGIN_MS=1000"),
				[]proxyCase{{ev: postEvent(`{"prompt":"hi"}`, nil), timeoutMs: 2500}})[0]
			events = sseEvents(t, r)
			if last := events[len(events)-1]; last.name != "error" || !strings.Contains(strings.ToLower(last.data), "time") {
				t.Errorf("time budget: last event %q %s, want an error about time", last.name, last.data)
			}
			if n := countEvents(events, "token"); n == 0 || n >= len(llmfake.Scenarios["slow"].Tokens) {
				t.Errorf("time budget: %d tokens arrived, want some but not all", n)
			}
			select {
			case <-fake.ClientGone:
			case <-time.After(5 * time.Second):
				t.Errorf("time budget: the fake never saw the connection close (%v after the start)", time.Since(start))
			}

			// Bad requests get 4xx and never reach the fake.
			before := fake.Requests.Load()
			bad := []proxyCase{
				{name: "GET", ev: methodEvent("GET", `{"prompt":"hi"}`, nil), status: 405},
				{name: "text/plain", ev: postEvent(`{"prompt":"hi"}`, map[string]string{"content-type": "text/plain"}), status: 415},
				{name: "70 KiB body", ev: postEvent(`{"prompt":"`+strings.Repeat("a", 70<<10)+`"}`, nil), status: 413},
				{name: "malformed JSON", ev: postEvent(`{"prompt":`, nil), status: 400},
				{name: "no messages", ev: postEvent(`{}`, nil), status: 400},
				{name: "bad role", ev: postEvent(`{"messages":[{"role":"system","content":"x"}]}`, nil), status: 400},
				{name: "maxTokens over the ceiling", ev: postEvent(`{"prompt":"hi","maxTokens":1000000}`, nil), status: 400},
			}
			results := invokeBatch(t, dir, "src/index.mjs", env("normal"), bad)
			for i, c := range bad {
				if results[i].StatusCode != c.status || !strings.Contains(results[i].BodyText, `"error"`) {
					t.Errorf("%s: status %d body %q, want %d with a JSON error", c.name, results[i].StatusCode, results[i].BodyText, c.status)
				}
			}
			if n := fake.Requests.Load() - before; n != 0 {
				t.Errorf("bad requests reached the fake %d times", n)
			}
		})
	}
}

type sseEvent struct{ name, data string }

// sseEvents parses the handler's text/event-stream body.
func sseEvents(t *testing.T, r batchResult) []sseEvent {
	t.Helper()
	if r.Rejected != "" {
		t.Fatalf("invoke rejected: %s", r.Rejected)
	}
	var out []sseEvent
	for _, block := range strings.Split(strings.ReplaceAll(r.BodyText, "\r\n", "\n"), "\n\n") {
		var ev sseEvent
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event:"); ok {
				ev.name = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "data:"); ok {
				ev.data += strings.TrimPrefix(v, " ")
			}
		}
		if ev.name != "" {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no events in %q (status %d)", r.BodyText, r.StatusCode)
	}
	return out
}

func checkTokens(t *testing.T, name string, events []sseEvent, want []string) {
	t.Helper()
	var got []string
	for _, e := range events {
		if e.name == "token" {
			var tok struct{ Text string }
			if err := json.Unmarshal([]byte(e.data), &tok); err != nil {
				t.Fatalf("%s: token data %q: %v", name, e.data, err)
			}
			got = append(got, tok.Text)
		}
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s: tokens %q, want %q", name, got, want)
	}
}

func countEvents(events []sseEvent, name string) int {
	n := 0
	for _, e := range events {
		if e.name == name {
			n++
		}
	}
	return n
}

// maxTokensSent reads the output token cap from the last upstream request,
// in either provider's spelling.
func maxTokensSent(f *llmfake.Upstream) any {
	b := f.LastBody()
	if v, ok := b["max_tokens"]; ok {
		return v
	}
	if cfg, ok := b["inferenceConfig"].(map[string]any); ok {
		return cfg["maxTokens"]
	}
	return nil
}

func postEvent(body string, headers map[string]string) map[string]any {
	return methodEvent("POST", body, headers)
}

func methodEvent(method, body string, headers map[string]string) map[string]any {
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	ev := getEvent(method, "/", h)
	ev["body"] = body
	return ev
}
