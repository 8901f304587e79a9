package merge

import (
	"strconv"
	"strings"
)

// contextLines is how many unchanged lines a unified diff shows around
// each change, as diff -u and git diff do by default.
const contextLines = 3

// Unified returns the unified diff of a to b, headed --- from and +++ to,
// with three lines of context: the hunks git diff --no-indent-heuristic
// prints, without the function name git may add after a hunk's @@ line.
// It is "" when a and b are equal. A last line without a newline is
// followed by git's "\ No newline at end of file".
func Unified(from, to string, a, b []byte) string {
	x, y := splitLines(a), splitLines(b)
	hunks := diffSide(x, y).hunks
	if len(hunks) == 0 {
		return ""
	}
	var out strings.Builder
	out.WriteString("--- " + from + "\n+++ " + to + "\n")
	for len(hunks) > 0 {
		// Changes whose contexts touch or overlap share one hunk.
		n := 1
		for n < len(hunks) && hunks[n].i1-(hunks[n-1].i1+hunks[n-1].chg1) <= 2*contextLines {
			n++
		}
		first, last := hunks[0], hunks[n-1]
		s1 := max(first.i1-contextLines, 0)
		s2 := first.i2 - (first.i1 - s1)
		e1 := min(last.i1+last.chg1+contextLines, len(x))
		e2 := last.i2 + last.chg2 + (e1 - (last.i1 + last.chg1))
		out.WriteString("@@ -" + hunkRange(s1, e1-s1) + " +" + hunkRange(s2, e2-s2) + " @@\n")
		i := s1
		for _, c := range hunks[:n] {
			writeLines(&out, ' ', x[i:c.i1])
			writeLines(&out, '-', x[c.i1:c.i1+c.chg1])
			writeLines(&out, '+', y[c.i2:c.i2+c.chg2])
			i = c.i1 + c.chg1
		}
		writeLines(&out, ' ', x[i:e1])
		hunks = hunks[n:]
	}
	return out.String()
}

// hunkRange is one side of a hunk header: the first line (1-based) and
// the count, which is left out when it is 1. An empty side names the line
// before it.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return strconv.Itoa(start) + ",0"
	case 1:
		return strconv.Itoa(start + 1)
	}
	return strconv.Itoa(start+1) + "," + strconv.Itoa(count)
}

func writeLines(out *strings.Builder, mark byte, lines []string) {
	for _, l := range lines {
		out.WriteByte(mark)
		out.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}
