# Doorwatch — the two commands: `make run` (the desktop app) and `make test` (every test).
# Each does its own set-up on a fresh Debian/Ubuntu machine (system packages via apt, with sudo when
# not root; npm packages; builds), so nothing has to be installed by hand first.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run serve test lint unit ui ui-test bindings bench bench-core bench-desktop soak fuzz icons setup-core setup-desktop setup-test setup-bench setup-fuzz clean

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

## ui-test: the window's logic without a window (Vitest)
ui-test: ui/node_modules/.package-lock.json
	cd ui && npm test

## ui: install the UI's npm packages (when package-lock.json changed) and build it into ui/dist
ui: ui/node_modules/.package-lock.json
	cd ui && npm run build

ui/node_modules/.package-lock.json: ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

## bindings: regenerate ui/src/bindings (the UI's TypeScript types) from the Rust types that cross IPC
bindings: setup-desktop
	UPDATE_BINDINGS=1 $(CARGO) test --locked -p doorwatch-desktop --test ui_bindings

## bench: every benchmark, each against a baseline measured in the same run (see BENCHMARKS.md)
bench: bench-core bench-desktop

bench-core: setup-bench
	$(CARGO) bench --locked -p doorwatch --bench ingest
	$(CARGO) bench --locked -p doorwatch --bench queries
	$(CARGO) bench --locked -p doorwatch --bench backfill
	$(CARGO) bench --locked -p doorwatch --bench retention

## bench-desktop: memory, start-up and live latency of the release app under Xvfb, against a minimal Tauri app
bench-desktop: setup-test ui
	$(CARGO) bench --locked -p doorwatch-desktop --bench desktop

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

## icons: regenerate the PNG/ICO icons from the SVG sources in icons/
icons:
	@scripts/setup.sh icons
	cd icons && for s in 32 128 256 512; do rsvg-convert -w $$s -h $$s doorwatch.svg -o $${s}x$${s}.png; done
	cd icons && cp 512x512.png icon.png && rsvg-convert -w 64 -h 64 doorwatch.svg -o tray-normal.png
	cd icons && for t in attention trouble; do rsvg-convert -w 64 -h 64 tray-$$t.svg -o tray-$$t.png; done
	cd icons && convert 256x256.png 128x128.png 32x32.png icon.ico

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
