#!/usr/bin/env bash
# Sums up the failures in a `cargo test` log (stdout and stderr together): per test binary, each
# failed test's name and the first lines of its panic or returned error, then the binary's
# `test result: FAILED` line, and any binary that ended without a result (killed, aborted).
# Usage: scripts/test-summary.sh LOG
set -euo pipefail

log="${1:?usage: test-summary.sh LOG}"
echo
echo "==== failed tests (whole output in $log) ===="
awk '
    # How many lines of a panic or error to show after its first one.
    BEGIN { keep = 3; width = 300 }
    function show(line) { print substr(line, 1, width) }
    function header() {
        if (binary != "" && !shown[binary]++) print binary
    }
    /^ *Running / { binary = $0; sub(/^ */, "", binary); test = ""; left = 0; next }
    /^ *Doc-tests / { binary = $0; sub(/^ */, "", binary); test = ""; left = 0; next }
    /^---- .* stdout ----$/ {
        test = $0; sub(/^---- /, "", test); sub(/ stdout ----$/, "", test)
        header(); print "  FAILED " test; left = 0; first = 1; next
    }
    # The end of the captured output blocks.
    /^failures:$/ || /^test result: / { test = "" }
    test != "" && left > 0 { show("      " $0); left--; next }
    test != "" && first && (/panicked at/ || /^Error: /) {
        show("      " $0); left = keep; first = 0; next
    }
    /^test result: FAILED/ { header(); show("  " $0) }
    /^error: test failed/ || /process didn.t exit successfully/ { header(); show("  " $0) }
' "$log"
grep -E '^error: [0-9]+ targets? failed' -A 100 "$log" || true
