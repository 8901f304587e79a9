package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// funcs is the template FuncMap. Every value that reaches a generated file
// goes through one of these encoders, chosen for where it lands; a template
// that writes {{.Name}} raw into YAML or code is a defect.
var funcs = template.FuncMap{
	"yaml":   yamlString,
	"json":   jsonValue,
	"js":     jsString,
	"sh":     shellWord,
	"md":     markdownText,
	"mdcode": markdownCode,
}

// subVarRE matches a ${Name} or ${Name.Attribute} variable of an Fn::Sub
// string.
var subVarRE = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

// nagName writes an Fn::Sub string the way cdk-nag names a finding about
// it: each ${X} reference becomes <X>, as in
// AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::bucket/*].
func nagName(sub string) string {
	return subVarRE.ReplaceAllString(sub, "<$1>")
}

// yamlString encodes s as a YAML double-quoted scalar. JSON string syntax is
// a subset of YAML's double-quoted style, so the JSON encoder's escaping
// (quotes, backslashes, control characters, U+2028/2029) carries over and a
// value can never open a new key, list item, comment or document.
func yamlString(s string) string {
	return jsonString(s)
}

// jsonValue encodes any value as JSON, for use inside JSON files.
func jsonValue(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("json: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// jsString encodes s as a JavaScript (and TypeScript) string literal,
// quotes included. A JSON string is a valid JS string literal; the encoder
// also escapes U+2028 and U+2029, which older engines treat as line ends.
// "<" is escaped too so that "</script>" and "<!--" never appear literally.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// jsonString is the JSON encoding of a string, quotes included, without
// HTML escaping.
func jsonString(s string) string {
	out, _ := jsonValue(s)
	return out
}

// safeShellWord matches words that need no quoting in POSIX sh.
var safeShellWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellWord encodes s as a single POSIX shell word: unchanged when it is
// plainly safe, otherwise single-quoted, with each single quote inside
// closed, backslash-escaped and reopened. Inside
// single quotes nothing is special to the shell, so $(...), backticks, ";" and
// globs stay literal. Control characters, which a terminal or Markdown fence
// could act on, are spelled with $'...' escapes so the word stays on one line.
func shellWord(s string) string {
	if s == "" {
		return "''"
	}
	// A leading "=" is quoted because zsh expands =word to a command's path.
	if safeShellWord.MatchString(s) && !strings.HasPrefix(s, "=") {
		return s
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		var b strings.Builder
		b.WriteString("$'")
		for _, r := range s {
			switch {
			case r == '\'' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r < 0x20 || r == 0x7f:
				fmt.Fprintf(&b, `\x%02x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('\'')
		return b.String()
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// markdownInline are the characters that can start inline Markdown syntax
// anywhere in a line: code spans, emphasis, links and images, HTML and
// autolinks, entities, table cells and strikethrough.
const markdownInline = "\\`*_[]<>&|~"

// markdownBlockStart matches what only means something at the start of a
// line: an ATX heading ("# "), a list item ("- ", "+ ", "1. ", "1) "), and a
// line of only "-" or "=" (a thematic break or setext underline). The first
// group is the text before the character to escape.
var markdownBlockStart = regexp.MustCompile(`^(?:()#{1,6}(?:[ \t]|$)|()[-+](?:[ \t]|$)|(\d{1,9})[.)](?:[ \t]|$)|()[-=][-= \t]*$)`)

// markdownText escapes s for Markdown prose with backslashes, as CommonMark
// allows for any ASCII punctuation. Inline syntax characters are escaped
// wherever they are; block syntax only where s starts, since that is the only
// place it could act (a value may land at the start of a line). Line breaks
// become spaces, so a value cannot start a block of its own. Everything else
// is left alone so the README reads naturally as plain text too.
func markdownText(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	var b strings.Builder
	if m := markdownBlockStart.FindStringSubmatchIndex(s); m != nil {
		// The escaped character follows whichever group matched.
		for g := 2; g < len(m); g += 2 {
			if m[g] >= 0 {
				b.WriteString(s[:m[g+1]])
				b.WriteByte('\\')
				s = s[m[g+1]:]
				break
			}
		}
	}
	for _, r := range s {
		if strings.ContainsRune(markdownInline, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// markdownCode renders s as an inline code span: the fence is one backtick
// longer than the longest run of backticks inside, and padded with spaces
// when s starts or ends with a backtick, as CommonMark requires.
func markdownCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		s = " " + s + " "
	}
	return fence + s + fence
}
