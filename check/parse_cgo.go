//go:build cgo

package check

import (
	sitter "github.com/tree-sitter/go-tree-sitter"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tsts "github.com/tree-sitter/tree-sitter-typescript/bindings/go"
)

// parserAvailable says whether this build can read sources (tree-sitter
// needs cgo).
const parserAvailable = true

// parseSource parses JavaScript or TypeScript (lang "js", "ts" or "tsx")
// with tree-sitter and copies the tree into a plain Go one.
func parseSource(src []byte, lang string) *node {
	p := sitter.NewParser()
	defer p.Close()
	var l *sitter.Language
	switch lang {
	case "ts":
		l = sitter.NewLanguage(tsts.LanguageTypescript())
	case "tsx":
		l = sitter.NewLanguage(tsts.LanguageTSX())
	default:
		l = sitter.NewLanguage(tsjs.Language())
	}
	if err := p.SetLanguage(l); err != nil {
		return nil
	}
	tree := p.Parse(src, nil)
	if tree == nil {
		return nil
	}
	defer tree.Close()
	cursor := tree.Walk()
	defer cursor.Close()
	var build func(parent *node) *node
	build = func(parent *node) *node {
		n := cursor.Node()
		pos := n.StartPosition()
		out := &node{kind: n.Kind(), field: cursor.FieldName(), start: int(n.StartByte()), end: int(n.EndByte()),
			line: int(pos.Row) + 1, col: int(pos.Column) + 1, named: n.IsNamed(), isError: n.IsError() || n.IsMissing(), parent: parent}
		if cursor.GotoFirstChild() {
			for {
				out.kids = append(out.kids, build(out))
				if !cursor.GotoNextSibling() {
					break
				}
			}
			cursor.GotoParent()
		}
		return out
	}
	return build(nil)
}
