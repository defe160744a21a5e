#!/usr/bin/env bash
# Fails when a crate lists a dependency its code never uses (`cargo machete`). The tool is built
# from crates.io, pinned, into ~/.cache/simpleorder/cargo-machete-<version> (scripts/lib.sh's
# SO_TOOLS) the first time; every later run, in this or any other clone, reuses it, so only a
# fresh machine pays for the build (about a minute on two cores).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MACHETE_VERSION="0.9.2"
TOOLS="$SO_TOOLS/cargo-machete-$MACHETE_VERSION"
MACHETE="$TOOLS/bin/cargo-machete"

machete_ready() { [[ "$("$MACHETE" --version 2>/dev/null)" == *"$MACHETE_VERSION"* ]]; }

if ! machete_ready; then
    lock_tool "cargo-machete-$MACHETE_VERSION"
    if ! machete_ready; then
        log "deps: building cargo-machete $MACHETE_VERSION into $TOOLS"
        # make test's compiler of the workspace's crates is clippy-driver (see the Makefile); the
        # tool is no crate of ours, and its warnings are no failure of ours.
        env -u RUSTC_WORKSPACE_WRAPPER \
            cargo install --quiet --locked --root "$TOOLS" --version "$MACHETE_VERSION" cargo-machete
    fi
fi
cd "$SO_ROOT"
"$MACHETE" --with-metadata
