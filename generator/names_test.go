package generator

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	ok := []string{"demo", "my-stream", "a", "a1-b2", "x" + strings.Repeat("y", 127)}
	for _, n := range ok {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v, want ok", n, err)
		}
	}
	bad := map[string]string{
		"":                       "empty",
		"My-App":                 "lowercase",
		"http":                   "core module",
		"fs":                     "core module",
		"node:fs":                "URL-safe",
		"node_modules":           "npm reserves",
		"favicon.ico":            "npm reserves",
		".hidden":                `start with "."`,
		"_private":               `start with "."`,
		"@scope/pkg":             "scoped",
		"../evil":                `start with "."`,
		"a/b":                    "URL-safe",
		"a b":                    "URL-safe",
		" demo":                  "spaces",
		"1demo":                  "start with a letter",
		"my_app":                 "only letters, digits and hyphens",
		"my.app":                 "only letters, digits and hyphens",
		"x~y":                    "cannot contain",
		"a\nb":                   "control character",
		"a\x1b[31m":              "control character",
		"a\x00":                  "control character",
		"a\u202eb":               "control character",
		"\xff":                   "UTF-8",
		strings.Repeat("a", 215): "at most 214",
		strings.Repeat("a", 129): "at most 128",
	}
	for n, want := range bad {
		err := ValidateName(n)
		var ie *InvalidError
		if !errors.As(err, &ie) {
			t.Errorf("ValidateName(%q) = %v, want an *InvalidError", n, err)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateName(%q) = %q, want it to mention %q", n, err, want)
		}
		if strings.ContainsAny(err.Error(), "\x00\x1b\n\u202e") {
			t.Errorf("ValidateName(%q) echoes a control character: %q", n, err)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"demo":       `"demo"`,
		"a\x1b[31mb": `"a\x1b[31mb"`,
		"a\nb":       `"a\nb"`,
		`say "hi"`:   `"say \"hi\""`,
		"\xff":       `"\xff"`,
		"é":          `"é"`,
		"a\u202eb":   `"a\u202eb"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
	long := Quote(strings.Repeat("a", 300))
	if !strings.HasSuffix(long, `..." (300 characters)`) || len(long) > 120 {
		t.Errorf("Quote of a long value = %s", long)
	}
}

func TestValidateOptions(t *testing.T) {
	if err := (Options{Name: "demo"}).Validate(); err != nil {
		t.Fatalf("defaults should be valid: %v", err)
	}
	cases := []struct {
		opts Options
		want string
	}{
		{Options{Name: "demo", Memory: 99999}, "--memory"},
		{Options{Name: "demo", Memory: 127}, "between 128 and 10240"},
		{Options{Name: "demo", Timeout: 901}, "between 1 and 900"},
		{Options{Name: "demo", Timeout: -1}, "--timeout"},
		{Options{Name: "demo", Runtime: "nodejs20.x"}, "deprecated"},
		{Options{Name: "demo", Runtime: "python3.13"}, "nodejs24.x, nodejs22.x"},
		{Options{Name: "demo", Arch: "arm"}, "--arch"},
		{Options{Name: "demo", Auth: "public"}, "iam, none"},
		{Options{Name: "demo", IaC: "terraform"}, "sam, cdk"},
		{Options{Name: "demo", Template: "nope"}, "streamgen list"},
		{Options{Name: "demo", Template: "echo\x1b]0;x\x07"}, "control character"},
	}
	for _, c := range cases {
		err := c.opts.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want it to mention %q", c.opts, err, c.want)
		}
	}
	// All problems are reported at once.
	err := Options{Name: "Bad", Memory: 1, Timeout: 1000}.Validate()
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("got %d errors, want 3: %v", n, err)
	}
}

func TestPascalCase(t *testing.T) {
	for in, want := range map[string]string{"demo": "Demo", "my-app2": "MyApp2", "a-b-c": "ABC"} {
		if got := pascalCase(in); got != want {
			t.Errorf("pascalCase(%q) = %q, want %q", in, got, want)
		}
	}
}
