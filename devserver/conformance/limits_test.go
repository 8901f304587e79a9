package conformance

import (
	"testing"
	"time"
)

// TestLimits checks two Function URL limits `streamgen dev` reproduces: a
// streamed response ends at 200 MB (with the embedded and the real runtime
// client, as the function sees its stream refused), and with --throttle
// everything after the first 6 MB flows at 2 MB/s at most.
func TestLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB and a throttled 20 MiB; skipped with -short")
	}
	fn, node := ricFixture(t)

	for _, client := range []struct {
		name string
		args []string
	}{{"embedded", nil}, {"ric", []string{"--ric"}}} {
		t.Run("200 MB response cap/"+client.name, func(t *testing.T) {
			dev := startDev(t, node, append([]string{"--dir", fn, "--handler", "index.handler", "--timeout", "60", "--no-watch"}, client.args...)...)
			checkCap(t, dev)
		})
	}

	// The throttle lives in the front end: the embedded client will do.
	t.Run("--throttle", func(t *testing.T) {
		dev := startDev(t, node, "--dir", fn, "--handler", "index.handler", "--timeout", "60", "--no-watch", "--throttle")
		r := call(t, "GET", dev.URL+"large", nil, nil)
		if r.Status != 200 || len(r.Body) != largeSize || r.Cut() {
			t.Fatalf("20 MiB throttled: %s", r.describe())
		}
		// Past 6.3 MB, beyond either reading of "6 MB", the rate is capped.
		const free = 6_300_000
		var at time.Duration
		n := 0
		for _, rd := range r.Reads {
			if n += rd.N; n >= free {
				at = rd.At
				break
			}
		}
		rate := float64(len(r.Body)-n) / (r.Done - at).Seconds()
		t.Logf("first %d bytes in %v, the remaining %d at %.2f MB/s", n, at.Round(time.Millisecond), len(r.Body)-n, rate/1e6)
		if at > 2*time.Second {
			t.Errorf("the first 6 MB took %v: they must flow at full speed", at)
		}
		if rate < 1.6e6 || rate > 2.6e6 {
			t.Errorf("%.2f MB/s after the first 6 MB, want about 2 MB/s", rate/1e6)
		}
	})
}

// checkCap streams 210 MiB and expects the body cut at 200 MB, then a
// normal answer to the next request.
func checkCap(t *testing.T, dev *devServer) {
	t.Helper()
	r := call(t, "GET", dev.URL+"huge", nil, nil)
	t.Logf("210 MiB streamed: %d bytes arrived in %v, cut: %v", len(r.Body), r.Done.Round(time.Millisecond), r.Err)
	// The documentation says 200 MB; either reading of MB will do.
	if r.Status != 200 || !r.Cut() || len(r.Body) < 200e6 || len(r.Body) > 200<<20 {
		t.Errorf("status %d, %d bytes, cut %v: want 200 and a body cut at 200 MB", r.Status, len(r.Body), r.Cut())
	}
	// The invocation is over for the caller: the next request must be
	// served, well before the 60 s function timeout.
	r = callWithin(t, 10*time.Second, "GET", dev.URL+"plain", nil, nil)
	if r.Status != 200 || string(r.Body) != "hello world\n" {
		t.Errorf("the request after the cap: %s\nstderr:\n%s", r.describe(), tail(dev.Stderr(), 2000))
	}
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
