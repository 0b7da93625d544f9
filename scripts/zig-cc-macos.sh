#!/usr/bin/env bash
# The C compiler (and archiver) for type-checking the aarch64-apple-darwin build on Linux: zig, from PyPI's
# `ziglang`, which carries macOS's libc headers. cc-rs passes Apple clang's flags, which zig rejects
# (`-arch arm64`, `--target=…`, `-mmacosx-version-min=…`): they are dropped, zig is given its own target.
# Usage (set by scripts/check-platforms.sh): zig-cc-macos.sh cc ARGS…  |  zig-cc-macos.sh ar ARGS…
set -euo pipefail
tool=$1
shift
if [ "$tool" = ar ]; then exec python3 -m ziglang ar "$@"; fi
args=()
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    -arch | --target | -target) skip=1 ;;
    --target=* | -mmacosx-version-min=* | -mmacos-version-min=*) ;;
    *) args+=("$a") ;;
  esac
done
exec python3 -m ziglang cc -target aarch64-macos "${args[@]}"
