# Doorwatch — the two commands: `make run` (the receiver) and `make test` (every test).
# Each does its own set-up on a fresh Debian/Ubuntu machine (system packages via apt, with sudo when
# not root), so nothing has to be installed by hand first.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test lint unit bench setup-core setup-bench clean

## run: start the receiver on http://127.0.0.1:8787/webhooks/kisi with the default database
run: setup-core
	$(CARGO) run --release --locked --bin doorwatch -- serve

## test: formatting and lints, then every test
test: setup-core lint unit

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --locked

## bench: ingest and query benchmarks, against baselines measured in the same run (see BENCHMARKS.md)
bench: setup-bench
	$(CARGO) bench --locked --bench ingest
	$(CARGO) bench --locked --bench queries

setup-core:
	@scripts/setup.sh core

setup-bench:
	@scripts/setup.sh core bench

clean:
	$(CARGO) clean
