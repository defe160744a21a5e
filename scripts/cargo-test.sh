#!/usr/bin/env bash
# `cargo test` with its arguments, its output streamed and kept in .local/test.log. When it fails,
# the failed tests are summed up last (CI shows only the tail of a long log): each failed test's
# name with the first lines of its panic or error, each `test result: FAILED` line with the test
# binary it came from, and any binary that died without a result. The exit code is cargo's.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOG="$SO_LOCAL/test.log"
mkdir -p "$SO_LOCAL"
rc=0
"${CARGO:-cargo}" test "$@" 2>&1 | tee "$LOG" || rc=$?
if ((rc != 0)); then
    bash "$SO_ROOT/scripts/test-summary.sh" "$LOG"
fi
exit "$rc"
