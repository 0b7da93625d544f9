#!/usr/bin/env bash
# The install test: installs the .deb that `make dist-deb` built the way a person's system would
# (dpkg -i), starts the installed app under a private Xvfb and D-Bus session with its default data
# folder, delivers a signed door event, sees it stored, uninstalls, and sees the data still there.
# Needs root or password-less sudo (it installs a package). Run by `make dist-test`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nINSTALL TEST FAILED: %s\n' "$*" >&2; [ -s "${work:-/nonexistent}/app.log" ] && tail -n 30 "$work/app.log" >&2; exit 1; }

deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)
[ -n "$deb" ] || fail "no .deb in target/release/bundle/deb (run make dist-deb first)"
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo -n true 2>/dev/null || fail "installing a package needs root or password-less sudo"
  sudo="sudo -n"
fi
package=$(dpkg-deb --field "$deb" Package)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Leave no trace of the test on this machine: the package goes even when a check failed.
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    $sudo dpkg -r "$package" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "install $deb"
if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
  fail "$package is already installed here; the test installs and removes it, so remove it first"
fi
$sudo dpkg -i "$deb"
bin=$(dpkg -L "$package" | grep -E '^/usr/bin/' | head -n 1)
[ -x "$bin" ] || fail "the package installs no program in /usr/bin"
desktop_entry=$(dpkg -L "$package" | grep -E '^/usr/share/applications/.*\.desktop$' | head -n 1)
[ -n "$desktop_entry" ] || fail "the package has no .desktop entry"
grep -q "^Exec=$(basename "$bin")" "$desktop_entry" || fail "the .desktop entry does not start $(basename "$bin")"
grep -q '^Categories=.*Utility' "$desktop_entry" || fail "the .desktop entry has no Utility category"
dpkg -L "$package" | grep -q '^/usr/share/icons/hicolor/.*/apps/.*\.png$' || fail "the package installs no icon"
echo "installed $bin, $desktop_entry and its icons"

say "start the installed app under Xvfb"
# Xvfb picks a free display itself (-displayfd: stale lock files of killed servers do not count) and
# writes its number once it accepts connections.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
[ -s "$work/display" ] || fail "Xvfb did not start"
display=":$(head -n 1 "$work/display")"
bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
bus_address=$(echo "$bus" | sed -n 1p)
pids+=("$(echo "$bus" | sed -n 2p)")
port=$((20000 + RANDOM % 30000))
key="install-test-signing-key-0123456789"
mkdir -p "$work/home"
# The default data folder (no DOORWATCH_DB): the one a real user's data lands in.
env -i PATH=/usr/bin:/bin HOME="$work/home" DISPLAY="$display" DBUS_SESSION_BUS_ADDRESS="$bus_address" \
  XDG_RUNTIME_DIR="$work" DOORWATCH_LISTEN="127.0.0.1:$port" DOORWATCH_SIGNING_KEY="$key" DOORWATCH_SECRETS=file \
  WEBKIT_DISABLE_COMPOSITING_MODE=1 DOORWATCH_LOG=info "$bin" >"$work/app.log" 2>&1 &
app=$!
pids+=("$app")
for _ in $(seq 300); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$app" 2>/dev/null || fail "the installed app exited at start"
  sleep 0.1
done
(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "the installed app never listened on 127.0.0.1:$port"
for _ in $(seq 100); do
  xwininfo -root -tree -display "$display" 2>/dev/null | grep -q '"Doorwatch"' && break
  sleep 0.2
done
xwininfo -root -tree -display "$display" | grep -q '"Doorwatch"' || fail "the installed app opened no window"
echo "listening on 127.0.0.1:$port, window open"

say "deliver a signed event"
created=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
body='{"uuid":"install-test-1","type":"lock.unlock","actor_type":"User","actor_name":"Installer","object_type":"Lock","object_name":"Front Door","success":true,"created_at":"'"$created"'"}'
signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$key" -hex | sed 's/^.* //')
answer=$(curl -sS -o "$work/answer" -w '%{http_code}' -H 'content-type: application/json' -H "x-signature: $signature" \
  --data-binary "$body" "http://127.0.0.1:$port/webhooks/kisi")
[ "$answer" = 200 ] || fail "the delivery was answered $answer: $(cat "$work/answer")"
unsigned=$(curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' --data-binary "$body" \
  "http://127.0.0.1:$port/webhooks/kisi")
[ "$unsigned" = 401 ] || fail "an unsigned delivery was answered $unsigned, not 401"
db="$work/home/.local/share/doorwatch/doorwatch.sqlite3"
[ -f "$db" ] || fail "no database in the default data folder ($db)"
stored=$(sqlite3 "$db" "select count(*) from events where uuid = 'install-test-1'")
[ "$stored" = 1 ] || fail "the event is stored $stored times"
echo "stored once in $db; an unsigned copy was refused"

say "quit, uninstall"
kill "$app"
for _ in $(seq 100); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
kill -0 "$app" 2>/dev/null && fail "the app did not stop on SIGTERM"
$sudo dpkg -r "$package"
[ ! -e "$bin" ] || fail "$bin is still there after dpkg -r"
[ -f "$db" ] || fail "uninstalling removed the user's database"
stored=$(sqlite3 "$db" "select count(*) from events where uuid = 'install-test-1'")
[ "$stored" = 1 ] || fail "the user's events did not survive the uninstall"
echo "removed $package; the user's database and its events are still there"

say "install test passed"
