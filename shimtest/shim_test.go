// Package shimtest runs the streamify shim's own node:test suite
// (streamify.test.mjs beside this file) from go test. The shim lives in
// templates/base/src/streamify.mjs and is copied into every project; the
// suite checks it byte for byte against the captures of the real Lambda
// runtime client, copied into testdata/ from the project's shared wire
// captures.
package shimtest

import (
	"os/exec"
	"regexp"
	"testing"
)

func TestShim(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: the shim's tests run with Node.js 20 or newer")
	}
	// The file is named: Node 21 and later no longer search a directory
	// given to --test.
	out, err := exec.Command(node, "--test", "--test-reporter=tap", "streamify.test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test failed: %v\n%s", err, out)
	}
	// Guard against a suite that silently found nothing to run.
	m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
	if m == nil || string(m[1]) == "0" {
		t.Fatalf("node --test ran no passing tests:\n%s", out)
	}
	t.Logf("node --test: %s tests passed", m[1])
}
