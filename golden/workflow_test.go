package golden

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"github.com/streamgen/streamgen/internal/testtools"
	"go.yaml.in/yaml/v3"
)

// TestWorkflows lints every golden project's CI workflow with actionlint,
// which also runs shellcheck over its run: scripts, and requires no
// findings; then checks what the workflow promises: the Node.js of the
// project's runtime, actions pinned to full commit SHAs with their version,
// and read-only permissions.
func TestWorkflows(t *testing.T) {
	shellcheck := testtools.Command(t, "shellcheck", "shellcheck")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(c.name, ".github", "workflows", "ci.yml")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			l, err := actionlint.NewLinter(&log, &actionlint.LinterOptions{Shellcheck: shellcheck})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(path, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("actionlint: %s", e)
			}

			// The README's deploy job, added under jobs: as it says, lints
			// clean too.
			readme, err := os.ReadFile(filepath.Join(c.name, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile("(?s)### Deploy from GitHub Actions\n.*?```yaml\n(.*?)```").FindSubmatch(readme)
			if m == nil {
				t.Fatal("README.md has no deploy job under \"Deploy from GitHub Actions\"")
			}
			withDeploy := append(append(append([]byte{}, b...), '\n'), m[1]...)
			errs, err = l.Lint(path+" + README deploy job", withDeploy, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("actionlint, with the README's deploy job: %s", e)
			}
			checkPins(t, withDeploy)

			var wf struct {
				Permissions map[string]string
				Jobs        map[string]struct {
					Steps []struct {
						Uses string
						With map[string]string
					}
				}
			}
			if err := yaml.Unmarshal(b, &wf); err != nil {
				t.Fatal(err)
			}
			if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
				t.Errorf("permissions %v, want contents: read only", wf.Permissions)
			}
			node := strings.TrimSuffix(strings.TrimPrefix(c.opts.WithDefaults().Runtime, "nodejs"), ".x")
			setupNode := false
			for _, step := range wf.Jobs["test"].Steps {
				if strings.HasPrefix(step.Uses, "actions/setup-node@") {
					setupNode = true
					if step.With["node-version"] != node {
						t.Errorf("setup-node installs Node.js %q, want %q for the project's runtime", step.With["node-version"], node)
					}
				}
			}
			if !setupNode {
				t.Error("the workflow does not set up Node.js")
			}
		})
	}
}

// approvedPins are the actions generated workflows may use: each commit
// checked to be the one its release tag names in the action's repository
// (git rev-parse TAG^{commit}). A new pin goes here after that check.
var approvedPins = map[string]string{
	"actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1":                      "v7.0.1",
	"actions/setup-node@820762786026740c76f36085b0efc47a31fe5020":                    "v7.0.0",
	"actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97":                  "v7.0.0",
	"aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c": "v6.2.3",
	"aws-actions/setup-sam@89ddb14d60e682855e3fea4be85b3c56485de310":                 "v3",
}

// checkPins requires every action a workflow uses to be pinned to a full
// commit SHA from approvedPins, with its version in a comment.
func checkPins(t *testing.T, workflow []byte) {
	t.Helper()
	uses := regexp.MustCompile(`(?m)^\s*(?:- )?uses: (\S+)(.*)$`).FindAllSubmatch(workflow, -1)
	if len(uses) == 0 {
		t.Error("the workflow uses no actions")
	}
	for _, u := range uses {
		action, comment := string(u[1]), string(u[2])
		if !regexp.MustCompile(`^[\w.-]+/[\w.-]+@[0-9a-f]{40}$`).MatchString(action) {
			t.Errorf("uses: %s is not pinned to a full commit SHA", action)
		}
		version, ok := approvedPins[action]
		switch {
		case !ok:
			t.Errorf("uses: %s is not an approved pin; check the commit against the action's release tag and add it to approvedPins", action)
		case comment != " # "+version:
			t.Errorf("uses: %s: comment %q, want %q (the release the commit is)", action, comment, " # "+version)
		}
	}
}
