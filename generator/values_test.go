package generator

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadValues(t *testing.T) {
	yamlForm := "# answers for the assets proxy\ntemplate: s3-proxy\nanswers:\n  name: assets\n  iac: cdk\n  memory: 1024\n  set:\n    bucket: my-assets\n    prefix: \"public/\"\n"
	jsonForm := `{"template": "s3-proxy", "streamgenVersion": "1.2.3", "answers": {"name": "assets", "iac": "cdk", "memory": 1024, "set": {"bucket": "my-assets", "prefix": "public/"}}}`
	want := Options{Name: "assets", Template: "s3-proxy", IaC: "cdk", Memory: 1024, Set: map[string]string{"bucket": "my-assets", "prefix": "public/"}}
	for name, raw := range map[string]string{"yaml": yamlForm, "json": jsonForm} {
		got, err := ReadValues([]byte(raw), "answers."+name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	// Only what is given is set; the rest is left for flags and defaults.
	if got, err := ReadValues([]byte("answers: {runtime: nodejs22.x}\n"), "v.yaml"); err != nil || !reflect.DeepEqual(got, Options{Runtime: "nodejs22.x"}) {
		t.Errorf("partial file: %+v, %v", got, err)
	}
}

func TestReadValuesErrors(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"", []string{"v.yaml: the file is empty"}},
		{"- a\n- b\n", []string{"v.yaml:1: expected a mapping"}},
		{"template: [echo\n", []string{"v.yaml:1: did not find expected"}},
		{"templat: echo\nanswers:\n  nmae: x\n", []string{`v.yaml:1: unknown key "templat"`, `v.yaml:3: unknown key "nmae"`}},
		{"answers:\n  memory: 1.5\n  timeout: 0\n  iac: \"\"\n", []string{`v.yaml:2: memory must be a whole number, got "1.5"`, "v.yaml:3: timeout must be a whole number other than 0", "v.yaml:4: iac is empty"}},
		{"answers:\n  name: [a]\n  set:\n    bucket: {x: 1}\n", []string{"v.yaml:2: name must be a string", "v.yaml:4: set.bucket must be a string"}},
		{"answers: [1]\n", []string{"v.yaml:1: answers must be a mapping"}},
	} {
		_, err := ReadValues([]byte(tc.raw), "v.yaml")
		if err == nil {
			t.Errorf("%q: no error", tc.raw)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not contain %q", tc.raw, err, w)
			}
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%q: %v is not a *FileError", tc.raw, err)
		}
	}
}
