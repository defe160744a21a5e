# SimpleOrder — the two commands that matter are `make run` and `make test`; `make help` lists all.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Defaults that run locally; a value already in the environment wins.
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/simpleorder
export REDIS_URL ?= redis://127.0.0.1:6379

CARGO ?= cargo
BIN := target/debug/simpleorder
# Extra arguments for `cargo test`, e.g. `make test TEST_ARGS='-p platform'`.
TEST_ARGS ?=

.PHONY: help build run test check chaos chaos-short bench fmt fmt-check lint sqlx-prepare migrate demo \
	deps test-deps browser-deps k8s-deps stop-local clean-local

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | \
		awk -F'\t' '{ printf "  make %-13s %s\n", $$1, $$2 }'

build: ## cargo build --workspace
	$(CARGO) build --workspace

run: deps build ## Postgres+Redis, build, migrate, load the demo café, start every service
	$(BIN) migrate
	$(BIN) demo
	exec $(BIN) run

test: ## Postgres+Redis, Chromium, fmt --check, clippy -D warnings, every test, the chaos suite's short form; prints its time
	@start=$$(date +%s); rc=0; \
	$(MAKE) check || rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start ))s, exit $$rc"; \
	exit $$rc

# The steps of `make test`, in order (run `make test` to get them timed). Its Rust is compiled
# once: clippy-driver, as the compiler of the workspace's own crates (scripts/clippy-rustc.sh),
# lints them while the tests build, where a separate `cargo clippy` would compile every dependency
# a second time in check mode. The compiler is part of what cargo keys its artifacts by, so every
# cargo step below uses it, and only these: other builds keep artifacts of their own.
check: export RUSTC_WORKSPACE_WRAPPER := $(CURDIR)/scripts/clippy-rustc.sh
check:
	bash scripts/deps.sh --test
	bash scripts/chromium.sh
	bash scripts/k8s-tools.sh
	$(CARGO) fmt --all -- --check
	@# Every dependency a crate lists is used (cargo-machete, built once per user into ~/.cache).
	bash scripts/unused-deps.sh
	@# clippy -D warnings, compiling every query against migrations/ and checking .sqlx/ is current:
	@# the build of every test and binary, unless TEST_ARGS narrowed the tests (then `cargo clippy`,
	@# and the tests build what they need).
	bash scripts/sqlx-prepare.sh --check $(if $(TEST_ARGS),,--tests)
	@# Streamed and kept in .local/test.log; a failure ends with the failed tests and their panics.
	CARGO=$(CARGO) bash scripts/cargo-test.sh --workspace --no-fail-fast $(TEST_ARGS)
	@# The chaos suite's short form, unless TEST_ARGS narrowed the tests. Its binaries were built
	@# above, with the tests' features: asking for that same build finds it done.
	@if [[ -z "$(TEST_ARGS)" ]]; then $(MAKE) chaos-short CHAOS_BUILD='--workspace --all-targets'; fi

# What the chaos suite builds first. Alone, the two packages it runs; `make test` sets it to its
# own build instead, since dev-dependencies turn features on (chrono's defaults, reqwest's cookies,
# …) that a build of these two leaves off, so theirs would compile most dependencies a second way.
CHAOS_BUILD ?= -p simpleorder -p chaos

chaos: ## the chaos suite's long form: every fault repeated under load, then the reconciliation table
	bash scripts/deps.sh --chaos
	$(CARGO) build $(CHAOS_BUILD)
	target/debug/chaos long

# The short form (every scenario once, about three minutes); `make test` runs it last.
chaos-short:
	bash scripts/deps.sh --chaos
	$(CARGO) build $(CHAOS_BUILD)
	target/debug/chaos short

# Extra arguments for the bench driver, e.g. `make bench BENCH_ARGS=--quick`.
BENCH_ARGS ?=

bench: ## the whole order path beside its targets (crates/bench), then the event bus; release build
	bash scripts/deps.sh --chaos
	@# Two builds: together, cargo would unify their features and build every dependency a third way.
	$(CARGO) build --release -p simpleorder
	$(CARGO) build --release -p bench
	target/release/bench $(BENCH_ARGS)
	$(CARGO) bench -p platform --bench bus

fmt: ## cargo fmt --all
	$(CARGO) fmt --all

fmt-check: ## cargo fmt --all -- --check
	$(CARGO) fmt --all -- --check

lint: ## cargo clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --workspace --all-targets -- -D warnings

sqlx-prepare: deps ## after changing a query or a migration: rewrite the offline query data in .sqlx/
	bash scripts/sqlx-prepare.sh

migrate: deps build ## create the database when missing and apply migrations/
	$(BIN) migrate

demo: migrate ## load the demo café and print its login
	$(BIN) demo

deps: ## make sure Postgres and Redis answer at DATABASE_URL / REDIS_URL
	bash scripts/deps.sh

test-deps: ## deps, plus the redis-server binary the tests start privately
	bash scripts/deps.sh --test

browser-deps: ## install Debian's chromium and chromium-driver when missing
	bash scripts/chromium.sh

k8s-deps: ## kubectl and kubernetes-validate (in .local/k8s-venv) for the manifest test
	bash scripts/k8s-tools.sh

stop-local: ## stop the throwaway Postgres/Redis started under .local/
	bash scripts/stop-local.sh

clean-local: ## stop them and delete .local/
	bash scripts/stop-local.sh --clean
