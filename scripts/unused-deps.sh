#!/usr/bin/env bash
# Fails when a crate lists a dependency its code never uses (`cargo machete`). The tool is built
# once from crates.io, pinned, into .local/cargo-tools (git-ignored); later runs reuse it, so only
# a fresh machine pays for the build.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MACHETE_VERSION="0.9.2"
TOOLS="$SO_LOCAL/cargo-tools"
MACHETE="$TOOLS/bin/cargo-machete"

if [[ "$("$MACHETE" --version 2>/dev/null)" != *"$MACHETE_VERSION"* ]]; then
    log "deps: building cargo-machete $MACHETE_VERSION into $TOOLS"
    cargo install --quiet --locked --root "$TOOLS" --version "$MACHETE_VERSION" cargo-machete
fi
cd "$SO_ROOT"
"$MACHETE" --with-metadata
