package merge

import (
	"bytes"
	"strings"
)

// Labels name the three versions in conflict markers.
type Labels struct {
	Ours, Base, Theirs string
}

// Result is a merged text and the number of conflicts left in it.
type Result struct {
	Text      []byte
	Conflicts int
}

// splitLines cuts text after each newline; a last line without one is
// kept as it is.
func splitLines(text []byte) []string {
	var out []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, string(text))
			break
		}
		out = append(out, string(text[:i+1]))
		text = text[i+1:]
	}
	return out
}

// side is the diff of the base against one version.
type side struct {
	base, post *file
	hunks      []change
}

func diffSide(base, post []string) side {
	b, p := &file{lines: base}, &file{lines: post}
	diff(b, p)
	compact(b, p)
	compact(p, b)
	return side{base: b, post: p, hunks: script(b, p)}
}

// mergeHunk is a region of the result: where it is in the base (i0,
// chg0), ours (i1, chg1) and theirs (i2, chg2), and whether it takes ours
// (1), theirs (2) or conflicts (0).
type mergeHunk struct {
	mode                         int
	i0, chg0, i1, chg1, i2, chg2 int
}

// Three merges ours and theirs, two versions of base, line by line as
// `git merge-file --diff3` does: a hunk changed on one side only takes
// that side; hunks of both sides that overlap or touch conflict, unless
// they make the same change. A conflict is written
//
//	<<<<<<< OURS
//	(our lines)
//	||||||| BASE
//	(the base's)
//	=======
//	(theirs)
//	>>>>>>> THEIRS
func Three(base, ours, theirs []byte, l Labels) Result {
	b0, b1, b2 := splitLines(base), splitLines(ours), splitLines(theirs)
	s1, s2 := diffSide(b0, b1), diffSide(b0, b2)
	if len(s1.hunks) == 0 {
		return Result{Text: bytes.Clone(theirs)}
	}
	if len(s2.hunks) == 0 {
		return Result{Text: bytes.Clone(ours)}
	}
	var hunks []mergeHunk
	add := func(mode, i0, chg0, i1, chg1, i2, chg2 int) {
		if n := len(hunks); n > 0 {
			m := &hunks[n-1]
			if i1 <= m.i1+m.chg1 || i2 <= m.i2+m.chg2 {
				if mode != m.mode {
					m.mode = 0
				}
				m.chg0 = i0 + chg0 - m.i0
				m.chg1 = i1 + chg1 - m.i1
				m.chg2 = i2 + chg2 - m.i2
				return
			}
		}
		hunks = append(hunks, mergeHunk{mode, i0, chg0, i1, chg1, i2, chg2})
	}
	x1, x2 := s1.hunks, s2.hunks
	for len(x1) > 0 && len(x2) > 0 {
		c1, c2 := x1[0], x2[0]
		if c1.i1+c1.chg1 < c2.i1 {
			add(1, c1.i1, c1.chg1, c1.i2, c1.chg2, c2.i2-c2.i1+c1.i1, c1.chg1)
			x1 = x1[1:]
			continue
		}
		if c2.i1+c2.chg1 < c1.i1 {
			add(2, c2.i1, c2.chg1, c1.i2-c1.i1+c2.i1, c2.chg1, c2.i2, c2.chg2)
			x2 = x2[1:]
			continue
		}
		if c1.i1 != c2.i1 || c1.chg1 != c2.chg1 || c1.chg2 != c2.chg2 || !sameLines(s1.post.lines[c1.i2:c1.i2+c1.chg2], s2.post.lines[c2.i2:c2.i2+c2.chg2]) {
			off := c1.i1 - c2.i1
			ffo := off + c1.chg1 - c2.chg1
			i0, i1, i2 := c1.i1, c1.i2, c2.i2
			if off > 0 {
				i0 -= off
				i1 -= off
			} else {
				i2 += off
			}
			chg0 := c1.i1 + c1.chg1 - i0
			chg1 := c1.i2 + c1.chg2 - i1
			chg2 := c2.i2 + c2.chg2 - i2
			if ffo < 0 {
				chg0 -= ffo
				chg1 -= ffo
			} else {
				chg2 += ffo
			}
			add(0, i0, chg0, i1, chg1, i2, chg2)
		}
		e1, e2 := c1.i1+c1.chg1, c2.i1+c2.chg1
		if e1 >= e2 {
			x2 = x2[1:]
		}
		if e2 >= e1 {
			x1 = x1[1:]
		}
	}
	for _, c1 := range x1 {
		add(1, c1.i1, c1.chg1, c1.i2, c1.chg2, c1.i1+len(b2)-len(b0), c1.chg1)
	}
	for _, c2 := range x2 {
		add(2, c2.i1, c2.chg1, c2.i1+len(b1)-len(b0), c2.chg1, c2.i2, c2.chg2)
	}

	var out strings.Builder
	conflicts, i := 0, 0
	copyLines := func(lines []string, addNL, cr bool) {
		for _, line := range lines {
			out.WriteString(line)
		}
		if addNL && len(lines) > 0 && !strings.HasSuffix(lines[len(lines)-1], "\n") {
			if cr {
				out.WriteByte('\r')
			}
			out.WriteByte('\n')
		}
	}
	marker := func(c byte, label string, cr bool) {
		out.WriteString(strings.Repeat(string(c), 7))
		if label != "" {
			out.WriteString(" " + label)
		}
		if cr {
			out.WriteByte('\r')
		}
		out.WriteByte('\n')
	}
	for _, m := range hunks {
		switch m.mode {
		case 0:
			conflicts++
			cr := crNeeded(b1, b2, b0, m)
			copyLines(b1[i:m.i1], false, false)
			marker('<', l.Ours, cr)
			copyLines(b1[m.i1:m.i1+m.chg1], true, cr)
			marker('|', l.Base, cr)
			copyLines(b0[m.i0:m.i0+m.chg0], true, cr)
			marker('=', "", cr)
			copyLines(b2[m.i2:m.i2+m.chg2], true, cr)
			marker('>', l.Theirs, cr)
		default:
			copyLines(b1[i:m.i1], false, false)
			if m.mode&1 != 0 {
				copyLines(b1[m.i1:m.i1+m.chg1], m.mode&2 != 0, crNeeded(b1, b2, b0, m))
			}
			if m.mode&2 != 0 {
				copyLines(b2[m.i2:m.i2+m.chg2], false, false)
			}
		}
		i = m.i1 + m.chg1
	}
	copyLines(b1[i:], false, false)
	return Result{Text: []byte(out.String()), Conflicts: conflicts}
}

func sameLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eolCRLF tells whether line i of lines ends in CR LF: 1 yes, 0 no, -1
// cannot tell.
func eolCRLF(lines []string, i int) int {
	crlf := func(s string) int {
		if len(s) > 1 && s[len(s)-2] == '\r' {
			return 1
		}
		return 0
	}
	n := len(lines)
	if i < n-1 {
		return crlf(lines[i])
	}
	if n == 0 {
		return -1
	}
	if strings.HasSuffix(lines[i], "\n") {
		return crlf(lines[i])
	}
	if i == 0 {
		return -1
	}
	return crlf(lines[i-1])
}

// crNeeded says whether a conflict's markers end in CR LF, from the line
// ends around it, as git decides.
func crNeeded(ours, theirs, base []string, m mergeHunk) bool {
	prev := func(i int) int {
		if i > 0 {
			return i - 1
		}
		return 0
	}
	needs := eolCRLF(ours, prev(m.i1))
	if needs != 0 {
		needs = eolCRLF(theirs, prev(m.i2))
	}
	if needs != 0 {
		needs = eolCRLF(base, 0)
	}
	return needs == 1
}
