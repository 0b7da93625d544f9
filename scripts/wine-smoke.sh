#!/usr/bin/env bash
# The Windows `doorwatch.exe` (the headless CLI), built with mingw-w64 and run under Debian's wine64: it
# serves on loopback, stores one signed delivery (and refuses an unsigned one with 401), and
# `doorwatch.exe events` reads the stored event back from the SQLite file. Part of `make check-platforms`.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
target=x86_64-pc-windows-gnu

echo "== Windows CLI under wine: build"
CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
  "$CARGO" build --locked --target "$target" --bin doorwatch

# Debian's wine64 package keeps its loader in /usr/lib/wine; the `wine` package would put it on PATH.
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  WINEPREFIX="$work/prefix" "$wineserver" -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# The exe beside a stand-in for bcryptprimitives.dll, which wine 8 lacks (see scripts/wine/).
exe="$work/doorwatch.exe"
cp "target/$target/debug/doorwatch.exe" "$exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$work/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
echo "== Windows CLI under wine: first start of the wine prefix"
"$wine" wineboot --init >/dev/null 2>&1 || true

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key="wine-smoke-signing-key"
db='Z:'"$(echo "$work/doorwatch.sqlite3" | tr / '\\')"
config='Z:'"$(echo "$work/config" | tr / '\\')"
run() {
  env -u DOORWATCH_LISTEN -u NGROK_AUTHTOKEN -u KISI_API_KEY DOORWATCH_SECRETS=file DOORWATCH_CONFIG_DIR="$config" \
    DOORWATCH_SIGNING_KEY="$key" "$wine" "$exe" --db "$db" "$@"
}

echo "== Windows CLI under wine: serve on 127.0.0.1:$port"
run serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  grep -q "receiving on" "$work/serve.log" 2>/dev/null && break
  sleep 0.5
done
grep -q "receiving on" "$work/serve.log" || { cat "$work/serve.log"; echo "doorwatch.exe serve did not start" >&2; exit 1; }

url="http://127.0.0.1:$port/webhooks/kisi"
body='{"uuid":"7d0c9b1e-0000-4000-8000-00000000wine","type":"lock.unlock","success":true,"actor_type":"User","actor_name":"Wine Tester","object_name":"Windows door","created_at":"2026-12-03T09:00:00Z"}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$key" | awk '{print $NF}')
unsigned=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary "$body" "$url")
[ "$unsigned" = 401 ] || { echo "an unsigned delivery was answered $unsigned, not 401" >&2; exit 1; }
signed=$(curl -s -w ' %{http_code}' -H 'content-type: application/json' -H "x-signature: sha256=$sig" --data-binary "$body" "$url")
case "$signed" in *'"status":"stored"'*' 200') ;; *) echo "the signed delivery was answered: $signed" >&2; exit 1 ;; esac
kill "$server"; wait "$server" 2>/dev/null || true; server=""

echo "== Windows CLI under wine: events"
listed=$(run events --json)
grep -q '"uuid":"7d0c9b1e-0000-4000-8000-00000000wine"' <<<"$listed" || { echo "not read back: $listed" >&2; exit 1; }
grep -q '"verified":true' <<<"$listed" || { echo "not verified: $listed" >&2; exit 1; }
[ "$(grep -c '"uuid"' <<<"$listed")" = 1 ] || { echo "expected exactly one event: $listed" >&2; exit 1; }
echo "wine smoke test: doorwatch.exe served, stored one signed event, refused an unsigned one, and read it back"
