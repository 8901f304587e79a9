package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamgen/streamgen/generator"
)

// TestManifestRegeneratesProject reads each golden project's .streamgen.json
// as a values file and renders again: every file must come back byte for
// byte, so `streamgen new --values .streamgen.json` reproduces a project.
func TestManifestRegeneratesProject(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(c.name, generator.ManifestPath)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			opts, err := generator.ReadValues(raw, path)
			if err != nil {
				t.Fatal(err)
			}
			opts.Version = goldenVersion
			got, err := generator.Render(opts)
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.render()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d files, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Path != want[i].Path || got[i].Mode != want[i].Mode || !bytes.Equal(got[i].Content, want[i].Content) {
					t.Errorf("%s differs after a round trip through %s", want[i].Path, path)
				}
			}
		})
	}
}
