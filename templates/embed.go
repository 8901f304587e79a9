// Package templates holds the embedded template tree streamgen renders.
//
// Layout: base/ has the files every project gets (the streamify shim, the
// README, package.json, .gitignore); sam/ and cdk/ have the infrastructure
// files of each IaC flavour; every other top-level folder is one template
// (echo/, ...) with its handler, tests and sample events. A project is base/,
// then its IaC folder, then its template folder, later layers replacing files
// of earlier ones at the same path. Files ending in ".tmpl" are Go
// text/templates (the suffix is dropped); all others are copied verbatim.
package templates

import "embed"

// FS is the template tree. The all: prefix keeps dotfiles such as .gitignore.
//
//go:embed all:base all:sam all:cdk all:echo all:s3-proxy all:llm-stream all:llm-stream-bedrock all:llm-stream-openai
var FS embed.FS
