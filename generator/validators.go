package generator

import (
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Validator is a named check a template's manifest can apply to a
// parameter (validate: s3-bucket-name), for checks a pattern cannot say.
// Every template, built-in or custom, uses the same ones.
type Validator struct {
	// Name is what a manifest's validate key takes.
	Name string
	// Doc says in one line what the validator accepts.
	Doc string
	// Check reports a bad value as an *InvalidError for field (e.g. "--set
	// bucket"). It sees every value given, the empty one too.
	Check func(field, value string) error
	// Schema is what `streamgen schema` adds to the parameter's JSON
	// Schema: patterns (ECMA-262 syntax that RE2 also reads), lengths and
	// refused patterns, as strict as Check wherever JSON Schema can say it.
	Schema map[string]any
}

// validators are the named validators, by name. Add one here to make it
// available to every template. The table is built on first use.
var validators = sync.OnceValue(func() map[string]Validator {
	table := map[string]Validator{
		"s3-bucket-name": {
			Doc:   "an S3 general purpose bucket name",
			Check: validateBucketName,
			Schema: map[string]any{
				"pattern":   bucketNameRE.String(),
				"minLength": 3,
				"maxLength": 63,
				"not": map[string]any{"anyOf": []any{
					map[string]any{"pattern": `\.\.`},
					map[string]any{"pattern": `^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`},
					map[string]any{"pattern": `^(xn--|sthree-|amzn-s3-demo-)`},
					map[string]any{"pattern": `(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$`},
				}},
			},
		},
		"s3-key-prefix": {
			Doc:   `an S3 key prefix ending in "/", without wildcards, policy variables, quotes or spaces`,
			Check: validateKeyPrefix,
			Schema: map[string]any{
				"pattern":   `^(?:[A-Za-z0-9!_.()=@,:+-]+/)+$`,
				"maxLength": maxKeyPrefix,
				"not":       map[string]any{"pattern": `(^|/)\.{1,2}/`},
			},
		},
		"model-id": {
			Doc:    "a model id: letters, digits and ._:/- only, at most 200 characters",
			Check:  validateModelID,
			Schema: map[string]any{"pattern": modelIDRE.String(), "maxLength": 200, "not": map[string]any{"pattern": `\.\.`}},
		},
		"bedrock-model-id": {
			Doc:    "an Amazon Bedrock foundation model id, optionally behind a cross-region inference profile prefix",
			Check:  validateBedrockModelID,
			Schema: map[string]any{"pattern": bedrockModelRE.String()},
		},
		"openai-base-url": {
			Doc:   "the base URL of an OpenAI-compatible API as OpenAI's SDKs take it: https (http only for localhost), no credentials, query or /chat/completions",
			Check: validateBaseURL,
			Schema: map[string]any{
				"pattern": `^(https://[^/?#\s'"` + "`" + `\\<>{}|^$@]+|http://(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?)(/[^?#\s'"` + "`" + `\\<>{}|^$]*)?$`,
				"not": map[string]any{"anyOf": []any{
					map[string]any{"pattern": `/chat/completions/?$`},
					// OpenAI's own API is served under /v1 only.
					map[string]any{"pattern": `^https://api\.openai\.com(/?$|/([^v]|v[^1]|v1[^/]|v1/.))`},
				}},
			},
		},
		"ssm-parameter-name": {
			Doc:   "a fully qualified SSM parameter name, such as /my-app/api-key",
			Check: validateSSMParameterName,
			Schema: map[string]any{
				"pattern":   ssmNameRE.String(),
				"maxLength": 1011,
				"not":       map[string]any{"pattern": `^/(?:[aA][wW][sS]|[sS][sS][mM])`},
			},
		},
		"cors-origins": {
			Doc:   "a comma-separated list of web origins (scheme://host[:port]), https or localhost, no wildcard",
			Check: validateCORSOrigins,
			Schema: map[string]any{
				"pattern": `^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?|http://(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3})(:[0-9]{1,5})?)(,(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?|http://(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3})(:[0-9]{1,5})?)){0,99}$`,
			},
		},
		"dynamodb-table-name": {
			Doc:    "a DynamoDB table name: 3-255 letters, digits and _.-",
			Check:  patternCheck(boundedRE(`^[A-Za-z0-9_.-]+$`, 3, 255), "not a DynamoDB table name (3-255 letters, digits, \"_\", \".\" and \"-\")", "e.g. orders"),
			Schema: map[string]any{"pattern": `^[A-Za-z0-9_.-]+$`, "minLength": 3, "maxLength": 255},
		},
	}
	for name, v := range table {
		v.Name = name
		table[name] = v
	}
	return table
})

// Validators returns the named validators, sorted by name.
func Validators() []Validator {
	out := make([]Validator, 0, len(validators()))
	for _, name := range slices.Sorted(maps.Keys(validators())) {
		out = append(out, validators()[name])
	}
	return out
}

func validatorNames() string { return strings.Join(slices.Sorted(maps.Keys(validators())), ", ") }

// patternCheck is a Check that wants the whole value to match re.
func patternCheck(re interface{ MatchString(string) bool }, reason, hint string) func(field, value string) error {
	return func(field, value string) error {
		if !re.MatchString(value) {
			return invalid(field, value, reason, hint)
		}
		return nil
	}
}

// bucketNameRE is S3's rule for general purpose bucket names: 3 to 63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit.
var bucketNameRE = boundedRE(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`, 3, 63)

// validateBucketName applies S3's bucket naming rules, including the
// prefixes and suffixes S3 reserves.
func validateBucketName(field, name string) error {
	hint := "S3 bucket names are 3-63 lowercase letters, digits, dots and hyphens, e.g. my-assets-bucket"
	switch {
	case !bucketNameRE.MatchString(name):
		return invalid(field, name, "not a valid S3 bucket name", hint)
	case strings.Contains(name, ".."):
		return invalid(field, name, "S3 bucket names cannot contain two adjacent dots", hint)
	case isIPv4(name):
		return invalid(field, name, "S3 bucket names cannot look like an IP address", hint)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return invalid(field, name, fmt.Sprintf("S3 reserves the prefix %q", p), hint)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return invalid(field, name, fmt.Sprintf("S3 reserves the suffix %q", s), hint)
		}
	}
	return nil
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// keyPrefixRE allows S3's "safe" key characters, and "=@,:+" (common in
// partitioned layouts such as date=2024-01-01/), but none that mean
// something in an IAM policy or a shell: no "*" or "?" (wildcards), no "$"
// (policy variables), no quotes, no spaces.
var keyPrefixRE = lazyRE(`^[A-Za-z0-9!_.()/=@,:+-]+$`)

// maxKeyPrefix leaves room for keys under the prefix within S3's 1024 bytes.
const maxKeyPrefix = 512

// validateKeyPrefix checks a key prefix. It lands in an IAM policy resource
// (arn:aws:s3:::BUCKET/PREFIX*), so nothing in it may widen that resource,
// and it must end in "/" so that "reports/" cannot also match
// "reports-private/".
func validateKeyPrefix(field, prefix string) error {
	hint := `use letters, digits and !_.()=@,:+-, segments separated by "/", ending in "/", e.g. public/`
	switch {
	case prefix == "":
		return invalid(field, prefix, "it is empty", "leave it out to serve the whole bucket")
	case len(prefix) > maxKeyPrefix:
		return invalid(field, prefix, fmt.Sprintf("it is longer than %d bytes", maxKeyPrefix), hint)
	case !keyPrefixRE.MatchString(prefix):
		return invalid(field, prefix, "it contains characters that are not allowed (wildcards, policy variables, quotes or spaces could widen the IAM policy)", hint)
	case !strings.HasSuffix(prefix, "/"):
		return invalid(field, prefix, `it must end in "/", so that it cannot match keys of a longer prefix`, "try "+Quote(prefix+"/"))
	case strings.HasPrefix(prefix, "/"):
		return invalid(field, prefix, `it must not start with "/"`, hint)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(prefix, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return invalid(field, prefix, `it has an empty, "." or ".." segment`, hint)
		}
	}
	return nil
}

// modelIDRE covers Bedrock model ids ("anthropic.claude-3-5-haiku-20241022-v1:0"),
// inference profile ids ("us.anthropic..."), and OpenAI-style model names.
var modelIDRE = boundedRE(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`, 1, 200)

func validateModelID(field, id string) error {
	if !modelIDRE.MatchString(id) || strings.Contains(id, "..") {
		return invalid(field, id, "not a model id (letters, digits and ._:/- only, at most 200 characters)",
			"e.g. amazon.nova-lite-v1:0 for Amazon Bedrock or gpt-4o-mini for OpenAI")
	}
	return nil
}

// bedrockModelRE is a foundation model id, optionally behind a cross-region
// inference profile prefix ("us.", "eu.", "apac.", "global.", ...).
var bedrockModelRE = lazyRE(`^(?:(?:us|eu|apac|us-gov|ca|jp|au|global)\.)?[a-z0-9-]+\.[a-z0-9][a-z0-9.:-]*$`)

func validateBedrockModelID(field, id string) error {
	if !bedrockModelRE.MatchString(id) {
		return invalid(field, id, "not a Bedrock model or inference profile id", "e.g. amazon.nova-lite-v1:0 or us.anthropic.claude-3-5-haiku-20241022-v1:0")
	}
	return nil
}

func validateBaseURL(field, raw string) error {
	hint := "give the API's base URL as OpenAI's SDKs take it, e.g. https://api.openai.com/v1 (https, or http only for localhost)"
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return invalid(field, raw, "not an absolute URL", hint)
	case u.User != nil:
		return invalid(field, raw, "credentials do not belong in the URL; the API key comes from SSM", hint)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#"):
		return invalid(field, raw, "it has a query or fragment", hint)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return invalid(field, raw, "plain http would send the API key unencrypted", hint)
	case u.Scheme != "https" && u.Scheme != "http":
		return invalid(field, raw, "the scheme must be https", hint)
	case strings.ContainsAny(raw, "'\"`\\ <>{}|^$"):
		return invalid(field, raw, "it contains characters a URL should not", hint)
	case strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/chat/completions"):
		return invalid(field, raw, "the handler appends /chat/completions itself", "give the base: "+Quote(strings.TrimSuffix(strings.TrimSuffix(raw, "/"), "/chat/completions")))
	case u.Hostname() == "api.openai.com" && strings.Trim(u.Path, "/") != "v1":
		return invalid(field, raw, "OpenAI's API is served under /v1", "use "+Quote("https://api.openai.com/v1"))
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// ssmNameRE is SSM's rule for a fully qualified parameter name.
var ssmNameRE = lazyRE(`^(/[A-Za-z0-9_.-]+)+$`)

func validateSSMParameterName(field, name string) error {
	hint := "a fully qualified SSM parameter name, e.g. /my-app/openai-api-key"
	lower := strings.ToLower(name)
	switch {
	case len(name) > 1011 || !ssmNameRE.MatchString(name):
		return invalid(field, name, "not a valid SSM parameter name", hint)
	case strings.HasPrefix(lower, "/aws") || strings.HasPrefix(lower, "/ssm"):
		return invalid(field, name, "SSM reserves names that start with aws or ssm", hint)
	}
	return nil
}

// originRE is a web origin: scheme, host and optional port, nothing else.
var originRE = lazyRE(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)

// validateCORSOrigins checks a comma-separated list of origins. "*" is
// refused: an explicit list is what keeps other sites from using the
// endpoint, and a wildcard must never meet credentials.
func validateCORSOrigins(field, list string) error {
	hint := "list exact origins separated by commas, e.g. https://app.example.com,http://localhost:5173"
	seen := map[string]bool{}
	for _, o := range strings.Split(list, ",") {
		u, _ := url.Parse(o)
		switch {
		case o == "*" || strings.Contains(o, "*"):
			return invalid(field, list, "wildcard origins are not allowed", hint)
		case !originRE.MatchString(o) || u == nil:
			return invalid(field, list, fmt.Sprintf("%s is not an origin (scheme://host[:port], no path)", Quote(o)), hint)
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			return invalid(field, list, fmt.Sprintf("%s uses plain http; only localhost may", Quote(o)), hint)
		case seen[o]:
			return invalid(field, list, fmt.Sprintf("%s is listed twice", Quote(o)), hint)
		}
		seen[o] = true
	}
	if len(seen) > 100 {
		return invalid(field, list, "at most 100 origins are allowed", hint)
	}
	return nil
}
