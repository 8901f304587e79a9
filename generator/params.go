package generator

import (
	"fmt"
	"net/netip"
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

// keyPrefixRE allows S3's "safe" key characters minus those that mean
// something in an IAM policy or a shell: no "*" or "?" (wildcards), no "$"
// (policy variables), no quotes.
var keyPrefixRE = regexp.MustCompile(`^[A-Za-z0-9!_.()/-]+$`)

// maxKeyPrefix leaves room for keys under the prefix within S3's 1024 bytes.
const maxKeyPrefix = 512

// validateKeyPrefix checks the prefix the proxy may serve. It lands in an
// IAM policy resource (arn:aws:s3:::BUCKET/PREFIX*), so nothing in it may
// widen that resource, and it must end in "/" so that "reports/" cannot
// also match "reports-private/".
func validateKeyPrefix(prefix string) error {
	const field = "--set prefix"
	hint := `use letters, digits and !_.()-, segments separated by "/", ending in "/", e.g. public/`
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
