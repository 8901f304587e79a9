package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

// funcs is the template FuncMap. Every value that reaches a generated file
// goes through one of these encoders, chosen for where it lands; a template
// that writes {{.Name}} raw into YAML or code is a defect.
// It is built when the first template is parsed.
var funcs = sync.OnceValue(func() template.FuncMap {
	return template.FuncMap{
		"yaml":   yamlString,
		"json":   jsonValue,
		"js":     jsString,
		"sh":     shellWord,
		"md":     markdownText,
		"mdcode": markdownCode,

		// Values from a manifest's patterns, for the infrastructure files.
		"sam":        func(v Value) string { return v.SAM() },
		"cdk":        func(v Value) string { return v.CDK() },
		"nagFinding": func(v Value) string { return v.NagFinding() },
		// comment writes text as comment lines, each led by prefix (the
		// indentation and the comment marker).
		"comment": comment,
		// yamlPlain writes a YAML scalar without quotes where that reads the
		// same, for keys and plain words (s3:GetObject); else quoted.
		"yamlPlain": yamlPlain,
		// include renders a named block (see partials/); execute binds it to
		// the templates of the project being rendered.
		"include": func(string, any) (string, error) { return "", errors.New("include is bound when a project renders") },
		// jsKey writes an object key: bare when it is an identifier, else a
		// string literal.
		"jsKey": func(s string) string {
			if tsIdentRE.MatchString(s) {
				return s
			}
			return jsString(s)
		},
		// add sums whole numbers, for positions in lists.
		"add": func(a, b int) int { return a + b },
		// dict makes a map of strings from key, value pairs, and merge
		// combines such maps (a later one's keys win), for files such as
		// events/sample.json that list headers from several places; range
		// visits a map's keys sorted.
		"dict":  dict,
		"merge": mergeMaps,
		// args passes several values to a block: {{include "b" (args "d" . "x" 1)}}.
		"args": templateArgs,
		// join joins strings with a separator; lower lower-cases.
		"join":  func(sep string, s []string) string { return strings.Join(s, sep) },
		"split": func(s string) []string { return strings.Split(s, ",") },
		"lower": strings.ToLower,
		// hash is 8 hex digits of text's SHA-256, for names that must change
		// when what they stand for does (a REST API deployment's logical id).
		"hash": func(text string) string { sum := sha256.Sum256([]byte(text)); return hex.EncodeToString(sum[:4]) },
		// chomp drops the newlines around a block's output.
		"chomp": func(s string) string { return strings.Trim(s, "\n") },
	}
})

// yamlPlainRE matches text YAML reads as the same string unquoted: it
// starts with a letter or digit, holds no ": " or " #", and does not end in
// ":" or a space.
var yamlPlainRE = lazyRE(`^[A-Za-z0-9][A-Za-z0-9 _./:()'=@+,-]*$`)

// yamlSpecial are plain scalars YAML (1.1 or 1.2) reads as something other
// than a string.
var yamlSpecial = lazyRE(`^(?i:y|yes|n|no|true|false|on|off|null|~|[-+]?[0-9][0-9_.:eE+-]*|0x[0-9a-f]+|0o[0-7]+|\.inf|\.nan)$`)

func yamlPlain(s string) string {
	if !yamlPlainRE.MatchString(s) || yamlSpecial.MatchString(s) || strings.Contains(s, ": ") ||
		strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.HasSuffix(s, " ") {
		return yamlString(s)
	}
	return s
}

// comment prefixes every line of text, which a manifest's schema has
// checked for control characters.
func comment(prefix, text string) string {
	// YAML and JavaScript also end lines at U+2028, U+2029 and U+0085:
	// each starts a comment line of its own too.
	text = strings.NewReplacer("\u2028", "\n", "\u2029", "\n", "\u0085", "\n", "\r", "\n").Replace(text)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(prefix+l, " ")
	}
	return strings.Join(lines, "\n")
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
// The files it writes are modules, never inline HTML scripts, so "<", ">"
// and "&" stay as they are.
func jsString(s string) string {
	return jsonString(s)
}

// jsonString is the JSON encoding of a string, quotes included, without
// HTML escaping.
func jsonString(s string) string {
	out, _ := jsonValue(s)
	return out
}

// safeShellWord matches words that need no quoting in POSIX sh.
var safeShellWord = lazyRE(`^[A-Za-z0-9_@%+=:,./-]+$`)

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
var markdownBlockStart = lazyRE(`^(?:()#{1,6}(?:[ \t]|$)|()[-+](?:[ \t]|$)|(\d{1,9})[.)](?:[ \t]|$)|()[-=][-= \t]*$)`)

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

func dict(pairs ...string) (map[string]string, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict takes key, value pairs; got %d values", len(pairs))
	}
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m, nil
}

func mergeMaps(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func templateArgs(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("args takes name, value pairs; got %d values", len(pairs))
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		name, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("args: name %v is not a string", pairs[i])
		}
		m[name] = pairs[i+1]
	}
	return m, nil
}
