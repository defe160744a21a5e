#!/usr/bin/env bash
# Makes sure Debian's Chromium and ChromeDriver are installed, for the browser tests
# (/usr/bin/chromium and /usr/bin/chromedriver). As root it installs them with apt-get, together
# with fonts that can draw the Korean store UI; otherwise it says what to install and fails.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if command -v dpkg-query >/dev/null; then
    # Without recommends Chromium brings no fonts; the store UI is Korean.
    have_pkg fonts-liberation || missing+=(fonts-liberation)
    have_pkg fonts-noto-cjk || missing+=(fonts-noto-cjk)
fi

if ((${#missing[@]})); then
    if is_root; then
        log "browser: installing ${missing[*]}"
        apt_install "${missing[@]}"
    elif ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        die "the browser tests need Chromium and ChromeDriver. Install them
  (Debian/Ubuntu: sudo apt-get install chromium chromium-driver fonts-noto-cjk),
  or run this as root to have them installed for you."
    else
        warn "fonts missing for screenshots of Korean pages: ${missing[*]} (apt-get install them)"
    fi
fi

command -v chromium >/dev/null || die "chromium is still not on PATH"
command -v chromedriver >/dev/null || die "chromedriver is still not on PATH"
log "browser: $(chromium --version 2>/dev/null | head -n1), $(chromedriver --version 2>/dev/null | head -n1 | cut -d' ' -f1-2)"
