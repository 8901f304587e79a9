package golden

import (
	"context"
	"testing"

	"github.com/streamgen/streamgen/upgrade"
)

// TestGoldensAreCurrent: `streamgen upgrade --check` finds every golden
// project current: its recorded base and hashes are exactly what this
// streamgen renders from its recorded answers.
func TestGoldensAreCurrent(t *testing.T) {
	for _, c := range cases {
		plan, err := upgrade.Prepare(context.Background(), upgrade.Options{Dir: c.name, Version: goldenVersion, AllowDirty: true})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !plan.Current() {
			for _, f := range plan.Files {
				if f.Action != upgrade.Unchanged {
					t.Errorf("%s: %s %s %s", c.name, f.Action, f.Path, f.Reason)
				}
			}
		}
	}
}
