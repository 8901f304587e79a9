package main

import (
	"fmt"
	"os"

	sitter "github.com/tree-sitter/go-tree-sitter"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tsts "github.com/tree-sitter/tree-sitter-typescript/bindings/go"
)

func dump(n *sitter.Node, src []byte, depth int) {
	if depth > 6 {
		return
	}
	fmt.Printf("%*s%s [%d:%d] %q\n", depth*2, "", n.Kind(), n.StartPosition().Row+1, n.StartPosition().Column, trunc(n.Utf8Text(src)))
	for i := uint(0); i < n.NamedChildCount(); i++ {
		dump(n.NamedChild(i), src, depth+1)
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func main() {
	src, _ := os.ReadFile(os.Args[2])
	p := sitter.NewParser()
	defer p.Close()
	if os.Args[1] == "ts" {
		p.SetLanguage(sitter.NewLanguage(tsts.LanguageTypescript()))
	} else {
		p.SetLanguage(sitter.NewLanguage(tsjs.Language()))
	}
	tree := p.Parse(src, nil)
	defer tree.Close()
	dump(tree.RootNode(), src, 0)
}
