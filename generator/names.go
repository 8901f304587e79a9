package generator

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a project name: npm allows 214 characters, CloudFormation stack
// names 128.
const (
	maxNPMNameLen   = 214
	maxStackNameLen = 128
)

// nodeBuiltins are the core module names of Node.js that need no "node:"
// prefix; npm refuses them as package names and a project named after one
// would shadow it. (test, sea and sqlite exist only as node:test etc.)
var nodeBuiltins = strings.Fields(`
	_http_agent _http_client _http_common _http_incoming _http_outgoing
	_http_server _stream_duplex _stream_passthrough _stream_readable
	_stream_transform _stream_wrap _stream_writable _tls_common _tls_wrap
	assert async_hooks buffer child_process cluster console constants crypto
	dgram diagnostics_channel dns domain events fs http http2 https inspector
	module net os path perf_hooks process punycode querystring readline repl
	stream string_decoder sys timers tls trace_events tty url util v8 vm wasi
	worker_threads zlib`)

// stackNameRE is CloudFormation's rule for stack names.
var stackNameRE = lazyRE(`^[A-Za-z][A-Za-z0-9-]*$`)

// ValidateName checks a project name. It must be a valid name for a new npm
// package (lowercase, at most 214 characters, no leading "." or "_", URL-safe,
// not a Node.js core module) and, because it also names the CloudFormation
// stack, start with a letter and use only letters, digits and hyphens (at most
// 128 characters).
func ValidateName(name string) error {
	const field = "NAME"
	if err := checkText(field, name); err != nil {
		return err
	}
	hint := "use lowercase letters, digits and hyphens, starting with a letter, e.g. " + Quote(suggestName(name))
	switch {
	case name == "":
		return invalid(field, name, "the project name is empty", "pass a name such as \"my-stream\"")
	case strings.TrimSpace(name) != name:
		return invalid(field, name, "npm package names cannot start or end with spaces", hint)
	case len(name) > maxNPMNameLen:
		return invalid(field, name, fmt.Sprintf("npm package names are at most %d characters (this one has %d)", maxNPMNameLen, len(name)), "choose a shorter name")
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, "_"):
		return invalid(field, name, "npm package names cannot start with \".\" or \"_\"", hint)
	case strings.HasPrefix(name, "@"):
		return invalid(field, name, "scoped npm names are not supported, because the name also names the folder and the CloudFormation stack", hint)
	case strings.ToLower(name) != name:
		return invalid(field, name, "npm package names must be lowercase", hint)
	case strings.ContainsAny(name, "~'!()*"):
		return invalid(field, name, "npm package names cannot contain the characters ~'!()*", hint)
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-._") != "":
		return invalid(field, name, "npm package names must be URL-safe (letters, digits, \"-\", \".\" and \"_\")", hint)
	case slices.Contains(nodeBuiltins, strings.TrimPrefix(name, "node:")):
		return invalid(field, name, "it is the name of a Node.js core module, which npm refuses and which the package would shadow", "choose another name, e.g. "+Quote(name+"-stream"))
	case name == "node_modules" || name == "favicon.ico":
		return invalid(field, name, "npm reserves this name", hint)
	case len(name) > maxStackNameLen:
		return invalid(field, name, fmt.Sprintf("it also names the CloudFormation stack, which allows at most %d characters (this one has %d)", maxStackNameLen, len(name)), "choose a shorter name")
	case !stackNameRE.MatchString(name):
		return invalid(field, name, "it also names the CloudFormation stack, which must start with a letter and contain only letters, digits and hyphens", hint)
	}
	return nil
}

// suggestName turns an unusable name into a usable one for a hint.
func suggestName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	if s == "" || slices.Contains(nodeBuiltins, s) {
		s += "my-stream"
	}
	return s
}

// checkText rejects what no option may contain: invalid UTF-8, control
// characters (including NUL and the ESC that starts ANSI sequences), and the
// Unicode bidirectional controls that can make text read differently from how
// it parses.
func checkText(field, value string) error {
	if !utf8.ValidString(value) {
		return invalid(field, value, "it is not valid UTF-8", "use plain text")
	}
	for _, r := range value {
		// U+2028 and U+2029 end lines in YAML and JavaScript: a value
		// holding one would leave the comment or string it lands in.
		if unicode.IsControl(r) || isBidiControl(r) || r == '\u2028' || r == '\u2029' {
			return invalid(field, value, fmt.Sprintf("it contains the control character %U", r), "remove it (control characters, escape sequences and line breaks are not allowed)")
		}
	}
	return nil
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// Quote renders a value for an error message: double-quoted, with control
// characters, invalid UTF-8 and bidirectional controls escaped, and very
// long values shortened. A terminal never interprets anything in it.
func Quote(s string) string {
	const maxShown = 80
	var b strings.Builder
	b.WriteByte('"')
	shown := 0
	for i, r := range s {
		if shown == maxShown {
			fmt.Fprintf(&b, "...\" (%d characters)", utf8.RuneCountInString(s))
			return b.String()
		}
		shown++
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r) || isBidiControl(r) || !unicode.IsPrint(r) && r != ' ':
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// SanitizeMessage escapes control characters, line breaks included, in a
// message that may contain text from outside (an error from a library that
// echoed user input), so it prints as one safe line on a terminal and cannot
// forge a line of its own. Ordinary text passes through.
func SanitizeMessage(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r) || isBidiControl(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
