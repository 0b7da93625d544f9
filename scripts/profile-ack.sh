#!/usr/bin/env bash
# Where an acknowledged delivery's work goes: the ingest benchmark's light-load case (one delivery at a
# time, each waiting for its 200) run under callgrind for Doorwatch and for the bare naive receiver,
# then summed by stage (scripts/profile-ack.py). Instruction counts, not seconds: they are the same run
# after run on a shared machine. fsync waits cost no instructions; they are counted with strace.
# Usage: scripts/profile-ack.sh [deliveries]   (make profile-ack)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt install valgrind)" >&2; exit 1; }
# Symbols kept (the release profile strips them); a build of its own beside the bench's.
export CARGO_PROFILE_BENCH_STRIP=false CARGO_PROFILE_BENCH_DEBUG=line-tables-only
bin=$(cargo bench --locked -p doorwatch --bench ingest --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="ingest" and m.get("executable"): print(m["executable"])')
out=$(mktemp -d)
for variant in doorwatch bare; do
  DOORWATCH_BENCH_ONE_BY_ONE=$variant DOORWATCH_BENCH_REQUESTS=$n \
    valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out/$variant.%p" "$bin" >/dev/null 2>&1
  echo "## $variant, $n deliveries one at a time"
  echo
  python3 scripts/profile-ack.py "$n" "$out"/$variant.*-*
  if command -v strace >/dev/null; then
    DOORWATCH_BENCH_ONE_BY_ONE=$variant DOORWATCH_BENCH_REQUESTS=$n \
      strace -f -c -e trace=fsync,fdatasync,pwrite64,write -o "$out/$variant.strace" "$bin" >/dev/null 2>&1
    echo
    echo "system calls for the $n deliveries (strace -c; the load generator's writes included):"
    echo '```'
    cat "$out/$variant.strace"
    echo '```'
  fi
  echo
done
rm -rf "$out"
