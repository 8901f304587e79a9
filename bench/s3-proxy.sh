#!/usr/bin/env bash
# Proxies 64 MiB and 1 GiB objects from a local S3-compatible server (moto)
# through the generated s3-proxy handler and prints, side by side in one
# run: the handler's throughput against a direct GetObject read of the same
# object by the same kind of Node process, and each process's peak RSS.
# Targets: handler peak RSS under 150 MB at any size; throughput at least
# 70% of the direct read.
#
# Usage: bench/s3-proxy.sh [ROUNDS]   (default 3; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=$(mktemp -d)
moto_pid=
cleanup() { [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "generating and installing an s3-proxy project"
go run ./cmd/streamgen new bench-proxy --template s3-proxy --set bucket=bench-bucket --set prefix=data/ --dir "$work/proj" --no-input >/dev/null
(cd "$work/proj" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
cp bench/s3proxy-read.mjs "$work/proj/"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/" >/dev/null && break; sleep 0.1; done

echo "uploading 64 MiB and 1 GiB objects"
curl -sf -X PUT "$url/bench-bucket" >/dev/null
head -c $((64 << 20)) /dev/urandom >"$work/64mib.bin"
head -c $((1 << 30)) /dev/urandom >"$work/1gib.bin"
curl -sf -X PUT -T "$work/64mib.bin" "$url/bench-bucket/data/64mib.bin" >/dev/null
curl -sf -X PUT -T "$work/1gib.bin" "$url/bench-bucket/data/1gib.bin" >/dev/null
rm -f "$work/64mib.bin" "$work/1gib.bin"

export AWS_ENDPOINT_URL_S3=$url AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
export BUCKET=bench-bucket PREFIX=data/
results="$work/results.jsonl"
for key in 64mib.bin 1gib.bin; do
  for round in $(seq "$rounds"); do
    # Alternate the order so neither mode always runs on a warmer server.
    if [ $((round % 2)) -eq 1 ]; then order="direct handler"; else order="handler direct"; fi
    for mode in $order; do
      # Keep only the result line; the handler logs to stdout too.
      (cd "$work/proj" && node --no-warnings s3proxy-read.mjs "$mode" "$key") | grep '^{"mode"' | tee -a "$results"
    done
  done
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sizes = {"64mib.bin": 64 << 20, "1gib.bin": 1 << 30}
short = [r for r in rows if r["bytes"] != sizes[r["key"]]]
if short:
    sys.exit(f"incomplete reads, the figures would be meaningless: {short}")
print()
print(f"{'object':10} {'direct MiB/s':>13} {'handler MiB/s':>14} {'ratio':>6} {'handler peak RSS':>17} {'direct peak RSS':>16}")
ok = True
for key in ("64mib.bin", "1gib.bin"):
    med = lambda mode, f: statistics.median(r[f] for r in rows if r["key"] == key and r["mode"] == mode)
    d, h = med("direct", "mibPerSecond"), med("handler", "mibPerSecond")
    rss_h = max(r["peakRssMiB"] for r in rows if r["key"] == key and r["mode"] == "handler")
    rss_d = max(r["peakRssMiB"] for r in rows if r["key"] == key and r["mode"] == "direct")
    ratio = h / d
    ok &= ratio >= 0.7 and rss_h * 1.048576 < 150
    print(f"{key:10} {d:13.1f} {h:14.1f} {ratio:6.2f} {rss_h:13.1f} MiB {rss_d:12.1f} MiB")
print(f"\ntargets (handler >= 70% of direct, handler peak RSS < 150 MB): {'met' if ok else 'NOT met'}")
PY
