# shellcheck shell=bash
# Helpers shared by the scripts in this folder. Source it; it defines functions and a few paths and
# runs nothing by itself.
# shellcheck disable=SC2034 # the variables set here are read by the scripts that source this file

SO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where throwaway servers keep their data, pidfiles and logs (git-ignored).
SO_LOCAL="${SO_LOCAL_DIR:-$SO_ROOT/.local}"
# Tools installed once per user rather than per checkout (cargo-machete, the kubernetes-validate
# virtualenv), each in a folder named with its pinned version: a fresh clone reuses them instead of
# building them again, and changing a pin installs the new version beside the old one.
SO_TOOLS="${SO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simpleorder}"

log() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Splits a URL such as `postgres://user:pass@host:port/db?x=y` or `redis://:pass@[::1]:6379/0`.
# Sets URL_SCHEME, URL_USER, URL_PASS, URL_HOST, URL_PORT (empty when absent) and URL_PATH (without
# the leading slash and the query). Percent-escapes are left as they are.
parse_url() {
    local url="$1" rest authority userinfo hostport
    URL_SCHEME="" URL_USER="" URL_PASS="" URL_HOST="" URL_PORT="" URL_PATH=""
    if [[ "$url" == *://* ]]; then
        URL_SCHEME="${url%%://*}"
        rest="${url#*://}"
    else
        rest="$url"
    fi
    rest="${rest%%\?*}"
    rest="${rest%%#*}"
    authority="${rest%%/*}"
    if [[ "$rest" == */* ]]; then
        URL_PATH="${rest#*/}"
    fi
    if [[ "$authority" == *@* ]]; then
        userinfo="${authority%@*}"
        hostport="${authority##*@}"
        URL_USER="${userinfo%%:*}"
        if [[ "$userinfo" == *:* ]]; then
            URL_PASS="${userinfo#*:}"
        fi
    else
        hostport="$authority"
    fi
    if [[ "$hostport" == \[* ]]; then
        # [v6]:port
        URL_HOST="${hostport#\[}"
        URL_HOST="${URL_HOST%%\]*}"
        local after="${hostport#*\]}"
        [[ "$after" == :* ]] && URL_PORT="${after#:}"
    elif [[ "$hostport" == *:* ]]; then
        URL_HOST="${hostport%:*}"
        URL_PORT="${hostport##*:}"
    else
        URL_HOST="$hostport"
    fi
}

# True when HOST names this machine, so a throwaway server may be started for it.
is_local_host() {
    case "$1" in
    127.* | localhost | ::1 | "") return 0 ;;
    *) return 1 ;;
    esac
}

# True when something accepts TCP connections on HOST:PORT (2 s at most).
tcp_open() {
    local host="$1" port="$2"
    [[ "$host" == "localhost" ]] && host=127.0.0.1
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# Holds the lock SO_TOOLS/NAME.lock until the calling script ends, so that checkouts installing the
# same tool at once take turns instead of writing into one folder together.
lock_tool() {
    mkdir -p "$SO_TOOLS"
    command -v flock >/dev/null || return 0
    exec 8>"$SO_TOOLS/$1.lock"
    flock -w 900 8 || die "another checkout is still installing $1 (lock $SO_TOOLS/$1.lock)"
}

# True when process PID exists and is not a zombie (a daemon killed under a pid 1 that is slow to
# reap still answers `kill -0`).
proc_alive() {
    local pid="$1" stat
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

# Waits up to SECONDS for PID to vanish entirely (a zombie still holds its pid until reaped);
# true when it did.
wait_gone() {
    local pid="$1" seconds="$2" i
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# True when the first line of PIDFILE names a live process.
pid_alive() {
    local pidfile="$1" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(head -n1 "$pidfile" 2>/dev/null)"
    proc_alive "$pid"
}

# apt-get, non-interactive, with `apt-get update` done at most once per script run, and with a
# temporary policy-rc.d so that installing a server package does not start its system service
# (we only want the binaries; our own throwaway servers are started by hand).
SO_APT_UPDATED=""
apt_install() {
    is_root || die "apt_install needs root"
    command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
    export DEBIAN_FRONTEND=noninteractive
    if [[ -z "$SO_APT_UPDATED" ]]; then
        log "apt-get update"
        apt-get update -qq || die "apt-get update failed"
        SO_APT_UPDATED=1
    fi
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    log "apt-get install -y $*"
    local rc=0
    apt-get install -y -qq --no-install-recommends "$@" || rc=$?
    [[ -n "$made_policy" ]] && rm -f "$policy"
    [[ "$rc" == 0 ]] || die "apt-get install $* failed"
}
