#!/usr/bin/env bash
# Whole-process time of `streamgen new` against `cdk init app --language
# typescript --generate-only`, and of `streamgen version` against a
# hello-world Go program built here, measured in the same run on the same
# machine, printed as medians and ratios. Targets: new at least 100x faster
# than cdk init; version within 2x of hello-world. It also times a program
# that links streamgen's dependencies and does nothing else: the part of
# version's time that streamgen's own code cannot remove.
#
# Usage: bench/new-vs-cdk-init.sh [RUNS]   (default 30; cdk init gets a third)
#
# The cdk CLI (the version the CDK template pins) is installed once into a
# temporary prefix from the npm registry and its binary is run directly, not
# through npx, so npx's own start-up is not counted against it. Runs are
# interleaved and medians are reported because the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-30}
cdk_version=$(sed -n 's/.*"aws-cdk": "\([0-9.]*\)".*/\1/p' golden/echo-cdk/package.json)
[ -n "$cdk_version" ] || { echo "cannot read the pinned aws-cdk version from golden/echo-cdk/package.json" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building streamgen and a hello-world"
# As `go install` builds it: with cgo, which streamgen check's JavaScript
# and TypeScript parser (tree-sitter) needs. That build also loads libc at
# start; the hello-world below is static, as Go builds a program that
# links no C.
go build -o "$work/streamgen" ./cmd/streamgen
mkdir "$work/hello"
cat > "$work/hello/main.go" <<'GO'
package main

import "fmt"

func main() { fmt.Println("hello, world") }
GO
(cd "$work/hello" && go mod init hello >/dev/null 2>&1 && CGO_ENABLED=0 go build -o "$work/hello-world" .)
# The floor under streamgen version: a program that links every package
# streamgen does, so that their package initialisation runs, and only
# prints a line. It is built in a copy of the module's go.mod and go.sum,
# so it gets the same versions, and with cgo, as streamgen is.
mkdir "$work/floor"
cp go.mod go.sum "$work/floor/"
{
  echo 'package main'
  echo
  echo 'import ('
  echo '	"fmt"'
  go list -deps ./cmd/streamgen | grep -v -E '(^|/)internal(/|$)|^vendor/|^github.com/streamgen/' | sed 's/.*/	_ "&"/'
  echo ')'
  echo
  echo 'func main() { fmt.Println("streamgen dev") }'
} > "$work/floor/main.go"
(cd "$work/floor" && go build -o "$work/deps-floor" .)
echo "installing aws-cdk@$cdk_version into a temporary prefix"
npm install --prefix "$work/cdkcli" --no-audit --no-fund --loglevel=error "aws-cdk@$cdk_version" >/dev/null
echo "timing"
go run ./bench/newbench -streamgen "$work/streamgen" -cdk "$work/cdkcli/node_modules/.bin/cdk" -hello "$work/hello-world" -floor "$work/deps-floor" -runs "$runs"
