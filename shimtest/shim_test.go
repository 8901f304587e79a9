// Package shimtest runs the streamify shim's own node:test suite
// (streamify.test.mjs beside this file) from go test, on the Node.js
// release of every runtime a project can choose. The shim lives in
// templates/layers/base/src/streamify.mjs and is copied into every project; the
// suite checks it byte for byte against the captures of the real Lambda
// runtime client, copied into testdata/ from the project's shared wire
// captures.
package shimtest

import (
	"os/exec"
	"regexp"
	"testing"

	"github.com/streamgen/streamgen/generator"
	"github.com/streamgen/streamgen/internal/testtools"
)

func TestShim(t *testing.T) {
	for _, runtime := range generator.RuntimeChoices {
		t.Run(runtime, func(t *testing.T) {
			node := testtools.NodeFor(t, runtime)
			// The file is named: Node 21 and later no longer search a
			// directory given to --test.
			out, err := exec.Command(node.Bin, "--test", "--test-reporter=tap", "streamify.test.mjs").CombinedOutput()
			if err != nil {
				t.Fatalf("node --test on Node.js %s failed: %v\n%s", node.Version, err, out)
			}
			// Guard against a suite that silently found nothing to run.
			m := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindSubmatch(out)
			if m == nil || string(m[1]) == "0" {
				t.Fatalf("node --test ran no passing tests:\n%s", out)
			}
			testtools.Record(t, "the shim's suite on Node.js %s: %s tests passed", node.Version, m[1])
		})
	}
}
