//go:build !cgo

package check

// parserAvailable says whether this build can read sources: tree-sitter
// needs cgo, which this build was made without. Template rules still run.
const parserAvailable = false

func parseSource(src []byte, lang string) *node { return nil }
