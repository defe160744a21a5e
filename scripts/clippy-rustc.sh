#!/usr/bin/env bash
# The compiler of the workspace's own crates during `make test` (its RUSTC_WORKSPACE_WRAPPER):
# clippy-driver, which is rustc with clippy's lints added, every warning an error. The tests'
# build is then also the clippy run, and the dependencies are compiled once, by rustc alone,
# rather than a second time in check mode for a separate `cargo clippy`. Cargo runs it as
# `clippy-rustc.sh <rustc> <arguments>`; clippy-driver takes the same.
set -euo pipefail
exec clippy-driver "$@" -D warnings
