#!/usr/bin/env bash
# Whole-process time of `streamgen new` against `cdk init app --language
# typescript --generate-only`, measured in the same run on the same machine,
# printed as medians and a ratio. Target: streamgen at least 30x faster.
#
# Usage: bench/new-vs-cdk-init.sh [RUNS]   (default 30; cdk init gets RUNS/3)
#
# Both commands write a fresh project into an empty directory each run. The
# cdk CLI is installed once into a temporary prefix (npm registry) and its
# binary is called directly, without npx, so npx's own start-up is not
# counted against it. Medians are used because the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-30}
cdk_runs=$(( runs / 3 > 5 ? runs / 3 : 5 ))
cdk_version=$(sed -n 's/.*"aws-cdk": "\([0-9.]*\)".*/\1/p' templates/base/package.json.tmpl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building streamgen"
go build -o "$work/streamgen" ./cmd/streamgen
echo "installing aws-cdk@$cdk_version into a temporary prefix"
npm install --prefix "$work/cdkcli" --no-audit --no-fund --loglevel=error "aws-cdk@$cdk_version" >/dev/null
cdk="$work/cdkcli/node_modules/.bin/cdk"
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true

now() { date +%s%N; }

# time_runs LABEL N CMD...: runs CMD in a new empty directory N times (after
# one unmeasured warm-up) and prints one duration in ns per line.
time_runs() {
  local label=$1 n=$2; shift 2
  local i dir start end
  for i in $(seq 0 "$n"); do
    dir="$work/$label-$i"
    mkdir -p "$dir"
    start=$(now)
    (cd "$dir" && "$@" >/dev/null 2>&1)
    end=$(now)
    [ "$i" -eq 0 ] || echo $(( end - start ))
    rm -rf "$dir"
  done
}

median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.0f\n", m}'; }

echo "timing streamgen new ($runs runs) and cdk init ($cdk_runs runs)"
sg=$(time_runs streamgen "$runs" "$work/streamgen" new bench-app --dir proj --no-input | median)
ci=$(time_runs cdkinit "$cdk_runs" "$cdk" init app --language typescript --generate-only | median)

awk -v sg="$sg" -v ci="$ci" 'BEGIN {
  printf "streamgen new             median %8.2f ms\n", sg / 1e6
  printf "cdk init --generate-only  median %8.2f ms\n", ci / 1e6
  ratio = ci / sg
  printf "ratio (cdk init / streamgen new): %.1fx  (target >= 30x: %s)\n", ratio, (ratio >= 30 ? "met" : "NOT met")
}'
