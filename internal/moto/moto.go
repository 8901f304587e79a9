// Package moto runs moto, the AWS service emulator preinstalled on these
// machines, in server mode for tests: a real S3 (and SSM) endpoint on
// loopback that the AWS SDK can be pointed at with AWS_ENDPOINT_URL_*.
package moto

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// Start runs `python3 -m moto.server` on a free loopback port, waits until
// it answers and returns its base URL. The server is stopped, by its
// process id, when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto (python3 -m moto.server; pip install \"moto[server]\"): %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto did not start on %s: %v\n%s", base, err, logs.String())
		}
	}
}

// Do sends one unsigned request to moto (which does not check signatures),
// to set up buckets and objects, and fails the test unless it succeeds.
func Do(t testing.TB, method, u string, body []byte, headers map[string]string) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %s\n%s", method, u, resp.Status, b)
	}
}
