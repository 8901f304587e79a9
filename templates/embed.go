// Package templates holds the embedded template tree streamgen renders.
//
// layers/ has the shared layers every project is built on: base/ (the
// streamify shim, the README, package.json, CI) and one folder per IaC
// flavour (sam/, cdk/), whose files are generic: they render what a
// template declares, and leave named blocks (partials/) for templates to
// fill. packs/ has one folder per template, each a streamgen.yaml manifest
// with the template's files, partials and variants: the same format as a
// custom template. A project is base, then its IaC layer, then its
// template, then the template's variant; later layers replace files and
// blocks of earlier ones. Files ending in ".tmpl" are Go text/templates
// (the suffix is dropped); all others are copied verbatim.
package templates

import "embed"

// FS is the template tree. The all: prefix keeps dotfiles such as .gitignore.
//
//go:embed all:layers all:packs
var FS embed.FS
