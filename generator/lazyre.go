package generator

import (
	"regexp"
	"sync"
)

// lazyRegexp is a regular expression compiled on first use. Expressions
// with counted repetitions ({0,254}) take milliseconds to compile; the
// package keeps them lazy so that a command that validates nothing
// (streamgen version) starts as fast as an empty program.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func lazyRE(expr string) *lazyRegexp { return &lazyRegexp{expr: expr} }

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

func (l *lazyRegexp) String() string                       { return l.expr }
func (l *lazyRegexp) MatchString(s string) bool            { return l.get().MatchString(s) }
func (l *lazyRegexp) Match(b []byte) bool                  { return l.get().Match(b) }
func (l *lazyRegexp) FindString(s string) string           { return l.get().FindString(s) }
func (l *lazyRegexp) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }
func (l *lazyRegexp) ReplaceAllString(s, repl string) string {
	return l.get().ReplaceAllString(s, repl)
}
func (l *lazyRegexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.get().FindAllStringSubmatchIndex(s, n)
}

func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int {
	return l.get().FindStringSubmatchIndex(s)
}

// boundedRegexp is a lazyRegexp whose matches are also between min and
// max bytes long: a length check is cheaper to compile than the counted
// repetition ({0,254}) it replaces.
type boundedRegexp struct {
	*lazyRegexp
	min, max int
}

func boundedRE(expr string, min, max int) *boundedRegexp {
	return &boundedRegexp{lazyRegexp: lazyRE(expr), min: min, max: max}
}

func (b *boundedRegexp) MatchString(s string) bool {
	return len(s) >= b.min && len(s) <= b.max && b.lazyRegexp.MatchString(s)
}
