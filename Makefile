# Doorwatch — the two commands: `make run` (the desktop app) and `make test` (every test).
# Each does its own set-up on a fresh Debian/Ubuntu machine (system packages via apt, with sudo when
# not root; npm packages; builds), so nothing has to be installed by hand first.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run serve test lint unit ui ui-test bindings bench bench-core bench-desktop profile-ack soak fuzz icons dist dist-deb dist-test setup-core setup-desktop setup-test setup-bench setup-fuzz setup-dist setup-platforms check-platforms clean

## run: build the timeline UI and start the desktop app (tray icon + window)
run: setup-desktop ui
	$(CARGO) run --locked -p doorwatch-desktop

## serve: the headless receiver only, on http://127.0.0.1:8787/webhooks/kisi
serve: setup-core
	$(CARGO) run --release --locked --bin doorwatch -- serve

## test: formatting and lints, then every test (core, CLI, and the desktop app end to end under Xvfb)
test: setup-test ui lint ui-test unit

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --locked

## ui-test: the UI type-checked (svelte-check), and its logic and components without a window (Vitest)
ui-test: ui/node_modules/.package-lock.json
	cd ui && NO_COLOR=1 npm test

## ui: install the UI's npm packages (when package-lock.json changed) and build it into ui/dist
ui: ui/node_modules/.package-lock.json
	cd ui && npm run build

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

## bindings: regenerate ui/src/bindings (the UI's TypeScript types) from the Rust types that cross IPC
bindings: setup-desktop
	UPDATE_BINDINGS=1 $(CARGO) test --locked -p doorwatch-desktop --test ui_bindings

## check-platforms: the Windows build (whole workspace) and the macOS core type-checked and clippy-clean
## from Linux, with mingw-w64 and zig as their C compilers (installed by its set-up)
check-platforms: setup-platforms ui
	scripts/check-platforms.sh

setup-platforms:
	@scripts/setup.sh core desktop platforms

## bench: every benchmark, each against a baseline measured in the same run (see BENCHMARKS.md)
bench: bench-core bench-desktop

bench-core: setup-bench
	$(CARGO) bench --locked -p doorwatch --bench ingest
	$(CARGO) bench --locked -p doorwatch --bench queries
	$(CARGO) bench --locked -p doorwatch --bench backfill
	$(CARGO) bench --locked -p doorwatch --bench retention
	$(CARGO) bench --locked -p doorwatch --bench rules
	$(CARGO) bench --locked -p doorwatch --bench board

## bench-desktop: memory, start-up, live latency and idle cost of the release app under Xvfb, against a minimal Tauri app
bench-desktop: setup-test ui
	$(CARGO) build --release --locked -p doorwatch-floor
	$(CARGO) bench --locked -p doorwatch-desktop --bench desktop

## profile-ack: where an acknowledged delivery's instructions go, by stage (callgrind), Doorwatch against the bare naive receiver
profile-ack: setup-bench
	scripts/profile-ack.sh

## soak: the long forms of the reliability harnesses — 50 SIGKILLs of a serving receiver, then fuzzing
soak: setup-test
	DOORWATCH_CRASH_KILLS=$(or $(SOAK_KILLS),50) $(CARGO) test --locked -p doorwatch --test crash -- --nocapture
	$(MAKE) fuzz FUZZ_SECONDS=$(or $(FUZZ_SECONDS),300)

## fuzz: each cargo-fuzz target for FUZZ_SECONDS (default 60) on the nightly toolchain
FUZZ_TARGETS = signature_header webhook_body settings_file
fuzz: setup-fuzz
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t && \
	  cargo +nightly fuzz run $$t corpus/$$t -- -max_total_time=$(or $(FUZZ_SECONDS),60) -rss_limit_mb=2048 2>&1 | tail -n 12 || exit 1; \
	done

setup-fuzz:
	@scripts/setup.sh core fuzz

## icons: regenerate every icon from the SVG sources in icons/ (app icon at all sizes, .ico, .icns,
## the tray's three states, and their macOS menu-bar templates)
icons: ui/node_modules/.package-lock.json
	@scripts/setup.sh icons
	rm -rf target/icons && ui/node_modules/.bin/tauri icon icons/doorwatch.svg -o target/icons
	cp target/icons/32x32.png target/icons/64x64.png target/icons/128x128.png target/icons/128x128@2x.png \
	  target/icons/icon.png target/icons/icon.icns target/icons/icon.ico icons/
	cd icons && for s in 256 512; do rsvg-convert -w $$s -h $$s doorwatch.svg -o $${s}x$${s}.png; done
	cd icons && rsvg-convert -w 64 -h 64 doorwatch.svg -o tray-normal.png
	cd icons && for t in attention trouble; do rsvg-convert -w 64 -h 64 tray-$$t.svg -o tray-$$t.png; done
	cd icons && for t in normal attention trouble; do \
	  rsvg-convert -w 22 -h 22 tray-template-$$t.svg -o tray-template-$$t.png && \
	  rsvg-convert -w 44 -h 44 tray-template-$$t.svg -o tray-template-$$t@2x.png; done

## dist: the installable packages, in target/release/bundle/ — .deb and AppImage on Linux (the AppImage
## step downloads its tools, AppRun and linuxdeploy, from GitHub); on macOS the same command makes the .app and .dmg, on
## Windows the .msi and NSIS installer
BUNDLES_linux = deb,appimage
dist: setup-desktop ui
	ui/node_modules/.bin/tauri build --ci $(if $(filter Linux,$(shell uname -s)),--bundles $(BUNDLES_linux))

## dist-deb: only the .deb (no download needed)
dist-deb: setup-desktop ui
	ui/node_modules/.bin/tauri build --ci --bundles deb

## dist-test: build the .deb, install it with dpkg, run the installed app under Xvfb, uninstall (needs root
## or password-less sudo; CI runs it after make test)
dist-test: dist-deb setup-dist
	scripts/dist-test.sh

setup-dist:
	@scripts/setup.sh dist

setup-core:
	@scripts/setup.sh core

setup-desktop:
	@scripts/setup.sh core desktop

setup-test:
	@scripts/setup.sh core desktop e2e

setup-bench:
	@scripts/setup.sh core bench

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules
