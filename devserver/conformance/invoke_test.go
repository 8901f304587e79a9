package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/internal/testtools"
)

// TestInvoke runs `streamgen invoke` on the fixture with the embedded and
// the real runtime client: the body goes to stdout as it arrives, and the
// exit status says whether the response was complete.
func TestInvoke(t *testing.T) {
	streamgen, _ := binaries(t)
	fn, node := ricFixture(t)
	for _, client := range []struct {
		name string
		args []string
	}{{"embedded", nil}, {"ric", []string{"--ric"}}} {
		t.Run(client.name, func(t *testing.T) {
			invoke := func(args ...string) (*result, int, string) {
				t.Helper()
				return runInvoke(t, streamgen, node, append(append([]string{"--dir", fn, "--handler", "index.handler", "--timeout", "2"}, client.args...), args...)...)
			}

			r, code, stderr := invoke("--path", "/timed")
			if code != 0 || string(r.Body) != "tick 1\ntick 2\ntick 3\n" {
				t.Errorf("/timed: exit %d, stdout %q, stderr %s", code, r.Body, stderr)
			} else {
				checkTicks(t, r)
			}

			r, code, stderr = invoke("--path", "/error-mid")
			if code != 1 || string(r.Body) != "partial " {
				t.Errorf("/error-mid: exit %d, stdout %q, want 1 and %q; stderr %s", code, r.Body, "partial ", stderr)
			}

			r, code, stderr = invoke("--method", "POST", "--path", "/echo", "--header", "X-Test: yes", "--data", "hello")
			var e echoed
			if code != 0 || json.Unmarshal(r.Body, &e) != nil {
				t.Fatalf("/echo: exit %d, stdout %q, stderr %s", code, r.Body, stderr)
			}
			body, _ := base64.StdEncoding.DecodeString(e.BodyBase64)
			if e.Method != "POST" || e.RawPath != "/echo" || e.Headers["x-test"] != "yes" || string(body) != "hello" {
				t.Errorf("/echo: the event was %+v", e)
			}

			if testing.Short() {
				return
			}
			r, code, stderr = invoke("--path", "/never-ends")
			if code != 1 || string(r.Body) != "waiting\n" || r.Done > 8*time.Second {
				t.Errorf("/never-ends with --timeout 2: exit %d after %v, stdout %q; want 1 about 2 s in; stderr %s", code, r.Done, r.Body, stderr)
			}
		})
	}
}

// runInvoke runs `streamgen invoke ARGS...`, timing each piece of stdout
// as it arrives, and returns it with the exit code and stderr.
func runInvoke(t *testing.T, streamgen string, node testtools.Node, args ...string) (*result, int, string) {
	t.Helper()
	cmd := exec.Command(streamgen, append([]string{"invoke"}, args...)...)
	cmd.Env = node.Env(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	r := &result{Sent: start, Body: []byte{}}
	buf := make([]byte, 64<<10)
	for {
		n, err := stdout.Read(buf)
		if n > 0 {
			r.Reads = append(r.Reads, read{At: time.Since(start), N: n})
			r.Body = append(r.Body, buf[:n]...)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.Err = err
			}
			break
		}
	}
	err = cmd.Wait()
	r.Done = time.Since(start)
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("streamgen invoke %s: %v", strings.Join(args, " "), err)
	}
	return r, code, stderr.String()
}
