#!/usr/bin/env bash
# Stops the throwaway Postgres and Redis servers that scripts/deps.sh started under .local/.
# Servers it did not start (a system Postgres, a Redis you run yourself) are left alone.
#
#   scripts/stop-local.sh           # stop them, keep their data
#   scripts/stop-local.sh --clean   # stop them and delete .local/ (and any cluster kept outside it)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLEAN=""
for arg in "$@"; do
    case "$arg" in
    --clean) CLEAN=1 ;;
    -h | --help)
        sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument: $arg (try --help)" ;;
    esac
done

find_pg_ctl() {
    local data="$1" version dir
    version="$(cat "$data/PG_VERSION" 2>/dev/null || true)"
    for dir in "/usr/lib/postgresql/$version/bin" /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/pg_ctl" ]]; then
            printf '%s\n' "$dir/pg_ctl"
            return 0
        fi
    done
    command -v pg_ctl
}

as_owner() {
    local owner="$1"
    shift
    if is_root && [[ "$owner" != root ]]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

stopped=0
externals=()

shopt -s nullglob
for home in "$SO_LOCAL"/pg/*/; do
    home="${home%/}"
    base="$home"
    if [[ -f "$home/base" ]]; then
        base="$(cat "$home/base")"
        externals+=("$base")
    fi
    data="$base/data"
    [[ -f "$data/postmaster.pid" ]] || continue
    pg_ctl="$(find_pg_ctl "$data")" || {
        warn "cannot find pg_ctl to stop the cluster in $data"
        continue
    }
    owner="$(stat -c %U "$data")"
    if as_owner "$owner" "$pg_ctl" status -D "$data" >/dev/null 2>&1; then
        log "postgres: stopping the throwaway server in $data"
        as_owner "$owner" "$pg_ctl" stop -D "$data" -m fast -s -w -t 30 ||
            warn "pg_ctl stop failed for $data"
        stopped=$((stopped + 1))
    fi
done

for dir in "$SO_LOCAL"/redis/*/; do
    dir="${dir%/}"
    pidfile="$dir/redis.pid"
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if proc_alive "$pid" &&
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == redis-server* ]]; then
        log "redis: stopping the throwaway server in $dir (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 50); do
            proc_alive "$pid" || break
            sleep 0.1
        done
        if proc_alive "$pid"; then
            warn "redis-server $pid still running after 5 s; sending SIGKILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
        stopped=$((stopped + 1))
    fi
    rm -f "$pidfile"
done

if [[ "$stopped" == 0 ]]; then
    log "no throwaway servers were running"
fi

if [[ -n "$CLEAN" ]]; then
    for ext in "${externals[@]}"; do
        case "$ext" in
        /var/tmp/simpleorder-pg-*) rm -rf -- "$ext" ;;
        esac
    done
    rm -rf -- "$SO_LOCAL"
    log "removed $SO_LOCAL"
fi
