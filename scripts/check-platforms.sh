#!/usr/bin/env bash
# `make check-platforms`: the Windows and macOS builds type-checked and clippy-clean on this Linux machine.
#   - Windows (x86_64-pc-windows-gnu): the whole workspace, the Tauri shell included — libraries, binaries,
#     tests and the core's benchmarks; C parts built by Debian's mingw-w64. Not the desktop benchmark
#     (src-tauri/benches/desktop), which drives the app under Xvfb and WebKitGTK and exists on Linux only,
#     as do the desktop end-to-end tests (they compile to nothing elsewhere: `#![cfg(target_os = "linux")]`).
#   - macOS (aarch64-apple-darwin): the core (`doorwatch`, lib, CLI, tests and benches); C parts built by
#     `zig cc` through scripts/zig-cc-macos.sh. The desktop shell is not checked for macOS: its
#     notification crate (mac-notification-sys) compiles Objective-C against the macOS SDK's
#     Cocoa/Cocoa.h, which no Linux package provides (README.md, "Platforms").
# Those checks link and run nothing; then scripts/wine-smoke.sh builds the Windows `doorwatch.exe` and runs it
# under wine64: it serves, stores a signed event and reads it back.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
here=$(pwd)

echo "== Windows (x86_64-pc-windows-gnu): the whole workspace"
windows() {
  CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
    "$CARGO" clippy --locked --target x86_64-pc-windows-gnu "$@" -- -D warnings
}
windows --workspace --lib --bins --tests
windows -p doorwatch --benches

echo "== macOS (aarch64-apple-darwin): the core"
CC_aarch64_apple_darwin="$here/scripts/zig-cc-macos.sh cc" AR_aarch64_apple_darwin="$here/scripts/zig-cc-macos.sh ar" \
  "$CARGO" clippy -p doorwatch --all-targets --locked --target aarch64-apple-darwin -- -D warnings

echo "check-platforms: Windows workspace and macOS core are clippy-clean"

scripts/wine-smoke.sh
