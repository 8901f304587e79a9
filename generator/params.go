package generator

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// bucketNameRE is S3's rule for general purpose bucket names: 3 to 63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit.
var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// validateBucketName applies S3's bucket naming rules, including the
// prefixes and suffixes S3 reserves.
func validateBucketName(name string) error {
	const field = "--set bucket"
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
var keyPrefixRE = regexp.MustCompile(`^[A-Za-z0-9!_.()/=@,:+-]+$`)

// maxKeyPrefix leaves room for keys under the prefix within S3's 1024 bytes.
const maxKeyPrefix = 512

// validateKeyPrefix checks the prefix the proxy may serve. It lands in an
// IAM policy resource (arn:aws:s3:::BUCKET/PREFIX*), so nothing in it may
// widen that resource, and it must end in "/" so that "reports/" cannot
// also match "reports-private/".
func validateKeyPrefix(prefix string) error {
	const field = "--set prefix"
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

// Defaults of the llm-stream template.
const (
	defaultBedrockModel = "amazon.nova-lite-v1:0"
	defaultOpenAIModel  = "gpt-4o-mini"
	// defaultOpenAIBaseURL is the base as OpenAI's SDKs take it
	// (OPENAI_BASE_URL): the handler appends /chat/completions.
	defaultOpenAIBaseURL = "https://api.openai.com/v1"
)

// modelIDRE covers Bedrock model ids ("anthropic.claude-3-5-haiku-20241022-v1:0"),
// inference profile ids ("us.anthropic..."), and OpenAI-style model names.
var modelIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$`)

func validateModelID(id string) error {
	if !modelIDRE.MatchString(id) || strings.Contains(id, "..") {
		return invalid("--set model", id, "not a model id (letters, digits and ._:/- only, at most 200 characters)",
			"e.g. "+defaultBedrockModel+" for bedrock or "+defaultOpenAIModel+" for openai")
	}
	return nil
}

// bedrockModelRE is a foundation model id, optionally behind a cross-region
// inference profile prefix ("us.", "eu.", "apac.", "global.", ...).
var bedrockModelRE = regexp.MustCompile(`^(?:(?:us|eu|apac|us-gov|ca|jp|au|global)\.)?[a-z0-9-]+\.[a-z0-9][a-z0-9.:-]*$`)

// inferenceProfilePrefix returns the cross-region inference profile prefix
// of a Bedrock model id ("us."), or "".
func inferenceProfilePrefix(id string) string {
	if m := regexp.MustCompile(`^(us|eu|apac|us-gov|ca|jp|au|global)\.`).FindString(id); m != "" && strings.Count(id, ".") >= 2 {
		return m
	}
	return ""
}

func validateBaseURL(raw string) error {
	const field = "--set baseUrl"
	hint := "give the API's base URL as OpenAI's SDKs take it, e.g. " + defaultOpenAIBaseURL + " (https, or http only for localhost)"
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
var ssmNameRE = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+$`)

func validateSSMParameterName(name string) error {
	const field = "--set apiKeyParameter"
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
var originRE = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)

// validateCORSOrigins checks a comma-separated list of origins. "*" is
// refused: an explicit list is what keeps other sites from using the
// endpoint, and a wildcard must never meet credentials.
func validateCORSOrigins(list string) error {
	const field = "--set corsOrigins"
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
		return invalid(field, list, "Function URLs allow at most 100 origins", hint)
	}
	return nil
}

// checkLLMParams validates llm-stream parameters against the provider.
func checkLLMParams(p map[string]string) []error {
	var errs []error
	switch p["provider"] {
	case "bedrock":
		if m := p["model"]; m != "" && !bedrockModelRE.MatchString(m) {
			errs = append(errs, invalid("--set model", m, "not a Bedrock model or inference profile id", "e.g. "+defaultBedrockModel+" or us.anthropic.claude-3-5-haiku-20241022-v1:0"))
		}
	}
	return errs
}
