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
	if safeShellWord.MatchString(s) && !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "=") {
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

// markdownText escapes s for Markdown prose: every ASCII punctuation
// character is backslash-escaped (CommonMark allows that for all of them), so
// no value can start a heading, link, emphasis, HTML tag or code span. Line
// breaks become spaces so a value cannot start a block of its own.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x80 && r > 0x20 && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
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
