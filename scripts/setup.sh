#!/usr/bin/env bash
# Installs what building and testing Doorwatch needs on Debian/Ubuntu, and nothing that is already there.
# Usage: scripts/setup.sh GROUP...   (groups: core, desktop, e2e, bench, icons, fuzz, dist, platforms)
# Uses sudo when not root. Safe to run again: it only installs what is missing.
set -euo pipefail

packages_for() {
  case "$1" in
    core) echo "build-essential pkg-config libdbus-1-dev" ;;
    desktop) echo "build-essential pkg-config file libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev" ;;
    e2e) echo "xvfb webkit2gtk-driver dbus dbus-x11 dunst x11-utils imagemagick gnome-keyring" ;;
    bench) echo "build-essential valgrind strace" ;;
    icons) echo "librsvg2-bin imagemagick" ;;
    fuzz) echo "build-essential" ;;
    dist) echo "curl openssl sqlite3 xvfb dbus x11-utils" ;;
    platforms) echo "gcc-mingw-w64-x86-64 wine64 curl openssl" ;;
    *) echo "scripts/setup.sh: unknown group '$1' (core, desktop, e2e, bench, icons, fuzz, dist, platforms)" >&2; exit 2 ;;
  esac
}

wanted=()
for group in "$@"; do
  for p in $(packages_for "$group"); do wanted+=("$p"); done
done

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
  done
else
  echo "scripts/setup.sh: not a Debian/Ubuntu system; make sure these are installed: ${wanted[*]}" >&2
fi

# zig comes from PyPI: pip, from Debian only when this Python has none.
for group in "$@"; do
  if [ "$group" = platforms ] && ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
done

# The UI is built with Node.js; Debian's own nodejs/npm only when no Node.js is installed at all (a
# Node.js from elsewhere ships its own npm, which Debian's npm package would conflict with).
for group in "$@"; do
  if [ "$group" = desktop ] && ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    echo "Rust is installed in ~/.cargo/bin but not on PATH: run 'source ~/.cargo/env' and try again." >&2
  else
    echo "Rust (cargo) is needed: install it from https://rustup.rs, then run this again." >&2
  fi
  exit 1
fi

# WebDriver bridge for the end-to-end tests of the desktop app.
for group in "$@"; do
  if [ "$group" = e2e ] && ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    echo "Installing tauri-driver (the WebDriver bridge for the desktop tests)"
    cargo install tauri-driver --locked --version '^2'
  fi
done

# The Windows and macOS type-checks: their Rust standard libraries, and zig as the macOS C compiler.
for group in "$@"; do
  if [ "$group" = platforms ]; then
    installed=$(rustup target list --installed)
    for t in x86_64-pc-windows-gnu aarch64-apple-darwin; do
      grep -qx "$t" <<<"$installed" || rustup target add "$t"
    done
    if ! python3 -m ziglang version >/dev/null 2>&1; then
      echo "Installing zig (PyPI ziglang), the C compiler for the macOS check"
      python3 -m pip install --quiet ziglang || python3 -m pip install --quiet --break-system-packages ziglang
    fi
  fi
done

# Fuzzing needs the nightly toolchain and cargo-fuzz.
for group in "$@"; do
  if [ "$group" = fuzz ]; then
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
    cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
  fi
done
