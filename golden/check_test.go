package golden

import (
	"testing"

	"github.com/streamgen/streamgen/check"
)

// TestGoldensPassCheck: streamgen check finds nothing in any golden
// project; a CDK app gets only the note that cdk.out is missing (its
// synthesized templates are checked by TestGeneratedProjects).
func TestGoldensPassCheck(t *testing.T) {
	for _, c := range cases {
		rep, err := check.Run(c.name, check.Options{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for _, f := range rep.Findings {
			if c.opts.IaC == "cdk" && f.Rule == "SG000" && f.File == "cdk.json" {
				continue
			}
			t.Errorf("%s: %s:%d: %s %s: %s", c.name, f.File, f.Line, f.Rule, f.Severity, f.Message)
		}
	}
}
