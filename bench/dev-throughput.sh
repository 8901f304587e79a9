#!/usr/bin/env bash
# Measures what `streamgen dev` adds to a streamed response. In one run it
# starts the dev server (embedded runtime client) on a function that streams
# a large body in 64 KiB writes from a preallocated buffer, and a plain
# Node.js http server on 127.0.0.1 that sends the same bytes the same way
# (bench/devthroughput/pump.mjs). One Go client (bench/devthroughput) reads
# both for ROUNDS alternating rounds and prints the medians of time to first
# byte and throughput.
# Targets: added TTFB (dev - plain) under 2 ms; throughput at least 70% of
# the plain server's.
#
# The body is 256 MiB. dev enforces Lambda's 200 MiB limit on a streamed
# response and cuts anything longer, as a Function URL would, so the run
# raises the limit with --response-limit.
#
# Usage: bench/dev-throughput.sh [ROUNDS] [MIB]   (defaults 7 and 256;
#        medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
mib=${2:-256}
bytes=$(( mib << 20 ))
work=$(mktemp -d)
dev_pid= plain_pid= relay_pid=
cleanup() {
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
  # dev stops its function process on SIGINT, as on Ctrl-C.
  [ -n "$dev_pid" ] && kill -INT "$dev_pid" 2>/dev/null && wait "$dev_pid" 2>/dev/null
  [ -n "$plain_pid" ] && kill "$plain_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE PATTERN: prints the first URL in the line of FILE that
# matches PATTERN, once it appears.
wait_for() {
  for _ in $(seq 300); do
    line=$(grep -m1 -E "$2" "$1" || true)
    if [ -n "$line" ]; then
      grep -oE 'http://127\.0\.0\.1:[0-9]+/' <<<"$line"
      return
    fi
    sleep 0.1
  done
  echo "no line matching '$2' in $1 after 30 s:" >&2
  cat "$1" >&2
  exit 1
}

echo "building streamgen and the client"
go build -o "$work/streamgen" ./cmd/streamgen
go build -o "$work/devthroughput" ./bench/devthroughput

fn=$(pwd)/bench/devthroughput
"$work/streamgen" dev --dir "$fn" --handler function.handler --port 0 --no-watch \
  --timeout 300 --memory 1024 --response-limit $(( mib + 1 )) --env BENCH_BYTES="$bytes" >"$work/dev.out" 2>"$work/dev.err" &
dev_pid=$!
BENCH_BYTES=$bytes node "$fn/plain-server.mjs" >"$work/plain.out" 2>&1 &
plain_pid=$!
dev_url=$(wait_for "$work/dev.out" '^Function URL: ')
plain_url=$(wait_for "$work/plain.out" '^listening ')
# For reference: a bare TCP relay (kernel splice, no HTTP) in front of the
# plain server, the cheapest extra hop there is.
plain_hostport=${plain_url#http://}
"$work/devthroughput" -serve-relay "${plain_hostport%/}" >"$work/relay.out" 2>&1 &
relay_pid=$!
relay_url=$(wait_for "$work/relay.out" '^listening ')
echo "streamgen dev: $dev_url   plain server: $plain_url   bare relay: $relay_url"
echo

"$work/devthroughput" -dev "$dev_url" -plain "$plain_url" -relay "$relay_url" -rounds "$rounds" -bytes "$bytes"
