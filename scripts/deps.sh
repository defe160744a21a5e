#!/usr/bin/env bash
# Makes sure Postgres and Redis answer at DATABASE_URL and REDIS_URL.
#
#   scripts/deps.sh          # for `make run`
#   scripts/deps.sh --test   # for `make test`: also needs the redis-server binary, because tests that
#                            # stop or FLUSHALL Redis start a private redis-server of their own
#   scripts/deps.sh --chaos  # for `make chaos`: the redis-server and Postgres server binaries, since
#                            # the chaos suite runs (and kills) a private Postgres and Redis
#
# For each of the two:
#   1. reachable at the configured URL -> use it (the database itself is created by
#      `simpleorder migrate` when missing);
#   2. otherwise, when the URL names this machine, start a throwaway server on the configured
#      host/port with its files under .local/ (git-ignored): Postgres with initdb/pg_ctl (trust
#      auth, run as the `postgres` system user when we are root, since PostgreSQL refuses to run as
#      root), Redis with redis-server --daemonize;
#   3. binaries missing -> apt-get install them when root, else stop and say what to install.
# Running it again reuses what is running. scripts/stop-local.sh stops the throwaway servers.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FOR_TESTS=""
FOR_CHAOS=""
for arg in "$@"; do
    case "$arg" in
    --test) FOR_TESTS=1 ;;
    --chaos) FOR_TESTS=1 FOR_CHAOS=1 ;;
    -h | --help)
        sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument: $arg (try --help)" ;;
    esac
done

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/simpleorder}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
WAIT_SECONDS="${SO_DEPS_WAIT_SECONDS:-30}"

parse_url "$DATABASE_URL"
PG_HOST="${URL_HOST:-127.0.0.1}"
PG_PORT="${URL_PORT:-5432}"
PG_USER="${URL_USER:-postgres}"
PG_DB="${URL_PATH:-simpleorder}"
case "$URL_SCHEME" in
postgres | postgresql) ;;
*) die "DATABASE_URL must start with postgres:// (got '$URL_SCHEME://…')" ;;
esac

parse_url "$REDIS_URL"
REDIS_HOST="${URL_HOST:-127.0.0.1}"
REDIS_PORT="${URL_PORT:-6379}"
REDIS_USER="$URL_USER"
REDIS_PASS="$URL_PASS"
case "$URL_SCHEME" in
redis) ;;
rediss) die "REDIS_URL uses TLS (rediss://); this script can only check and start plain redis://" ;;
*) die "REDIS_URL must start with redis:// (got '$URL_SCHEME://…')" ;;
esac

# One run at a time, so `make run` and `make test` started together don't both start a server.
mkdir -p "$SO_LOCAL"
if command -v flock >/dev/null; then
    exec 9>"$SO_LOCAL/deps.lock"
    flock -w 120 9 || die "another scripts/deps.sh is still running (lock $SO_LOCAL/deps.lock)"
fi

# ---------------------------------------------------------------------------------------------
# Postgres

PG_BIN=""
find_pg_bin() {
    PG_BIN=""
    local dir dirs
    # Debian keeps the server binaries out of PATH; take the newest major version.
    mapfile -t dirs < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    for dir in "${dirs[@]}"; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            PG_BIN="$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        PG_BIN="$(dirname "$(command -v pg_ctl)")"
        return 0
    fi
    return 1
}

# 0 when the server accepts connections.
pg_ready() {
    local isready=""
    if [[ -n "$PG_BIN" && -x "$PG_BIN/pg_isready" ]]; then
        isready="$PG_BIN/pg_isready"
    elif command -v pg_isready >/dev/null; then
        isready="pg_isready"
    fi
    if [[ -n "$isready" ]]; then
        "$isready" -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -t 2 >/dev/null 2>&1
    else
        tcp_open "$PG_HOST" "$PG_PORT"
    fi
}

# Runs a command as the user that owns the throwaway cluster: ourselves, or `postgres` when root.
as_pg() {
    if is_root; then
        if command -v runuser >/dev/null; then
            runuser -u postgres -- "$@"
        else
            su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

ensure_pg_system_user() {
    if ! id -u postgres >/dev/null 2>&1; then
        log "postgres: creating the 'postgres' system user (PostgreSQL refuses to run as root)"
        useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
            --shell /bin/sh postgres
    fi
}

# The folder of the throwaway cluster for this port: .local/pg/<port>, or, when we are root and the
# `postgres` user cannot reach the work tree (a clone under /root, say), a folder under /var/tmp that
# .local/pg/<port>/base points to.
pg_base() {
    local home="$SO_LOCAL/pg/$PG_PORT"
    if [[ -f "$home/base" ]]; then
        cat "$home/base"
    else
        printf '%s\n' "$home"
    fi
}

choose_pg_base() {
    local home="$SO_LOCAL/pg/$PG_PORT"
    mkdir -p "$home"
    if [[ -f "$home/base" ]]; then
        return 0
    fi
    if is_root; then
        chown postgres:postgres "$home"
        if ! runuser -u postgres -- test -w "$home" 2>/dev/null; then
            local ext
            ext="/var/tmp/simpleorder-pg-$(printf '%s' "$SO_ROOT" | cksum | cut -d' ' -f1)-$PG_PORT"
            mkdir -p "$ext"
            chown postgres:postgres "$ext"
            chmod 700 "$ext"
            chown root:root "$home"
            printf '%s\n' "$ext" >"$home/base"
            log "postgres: the 'postgres' user cannot reach $home; keeping the cluster in $ext"
        fi
    fi
}

start_throwaway_pg() {
    if ! find_pg_bin; then
        if is_root; then
            log "postgres: server binaries not found; installing Debian's postgresql"
            apt_install postgresql
            find_pg_bin || die "postgresql installed but initdb/pg_ctl not found under /usr/lib/postgresql/*/bin"
        else
            die "no Postgres at $PG_HOST:$PG_PORT and no server binaries (initdb, pg_ctl) to start one.
  Install them (Debian/Ubuntu: sudo apt-get install postgresql redis-server), run this as root to
  have it installed for you, or point DATABASE_URL at a running server."
        fi
    fi
    is_root && ensure_pg_system_user
    choose_pg_base
    local base data sock logf listen
    base="$(pg_base)"
    data="$base/data"
    sock="$base/sock"
    logf="$base/postgres.log"
    case "$PG_HOST" in
    localhost) listen="localhost" ;;
    *) listen="$PG_HOST" ;;
    esac

    if [[ ! -f "$data/PG_VERSION" ]]; then
        log "postgres: initdb $data (superuser '$PG_USER', trust auth)"
        rm -rf "$data"
        as_pg mkdir -p "$data" "$sock"
        as_pg "$PG_BIN/initdb" -D "$data" -U "$PG_USER" --auth=trust --encoding=UTF8 \
            --locale=C >"$base/initdb.log" 2>&1 ||
            die "initdb failed; see $base/initdb.log"
    fi
    as_pg mkdir -p "$sock"

    if pg_server_alive; then
        log "postgres: the throwaway server in $data is already running; waiting for it"
        return 0
    fi
    if [[ -f "$data/postmaster.pid" ]]; then
        # A server that died (killed, machine restarted): Postgres recovers from its stale lock
        # files by itself once the old pid is gone, but a zombie not yet reaped still "exists".
        local stale
        stale="$(head -n1 "$data/postmaster.pid")"
        if [[ "$stale" =~ ^[0-9]+$ ]] && ! wait_gone "$stale" 5; then
            log "postgres: removing the lock files of dead server $stale"
            rm -f "$data/postmaster.pid" "$sock/.s.PGSQL.$PG_PORT.lock"
        fi
    fi
    # A throwaway server for development and tests: durability is traded for speed, and tests
    # create a database each, so allow plenty of connections.
    local opts="-c listen_addresses='$listen' -p $PG_PORT -c unix_socket_directories='$sock'"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    # 9>&-: the server must not inherit (and so hold forever) this script's lock.
    as_pg "$PG_BIN/pg_ctl" start -D "$data" -l "$logf" -s -w -t "$WAIT_SECONDS" -o "$opts" 9>&- ||
        die "postgres did not start; see $logf"
}

ensure_postgres() {
    find_pg_bin || true
    if pg_ready; then
        if pg_server_alive; then
            log "postgres: using the throwaway server at $PG_HOST:$PG_PORT (already running; data in $(pg_base)/data)"
        else
            log "postgres: using the server at $PG_HOST:$PG_PORT (database '$PG_DB' is created by 'simpleorder migrate' when missing)"
        fi
        return 0
    fi
    if ! is_local_host "$PG_HOST"; then
        die "Postgres at $PG_HOST:$PG_PORT does not answer, and it is not on this machine, so no throwaway server can stand in. Check DATABASE_URL."
    fi
    local i
    if tcp_open "$PG_HOST" "$PG_PORT" && ! pg_server_alive; then
        # Someone else's server on that port: perhaps a Postgres still starting up. Give it time.
        for ((i = 0; i < WAIT_SECONDS; i++)); do
            if pg_ready; then
                log "postgres: using the server at $PG_HOST:$PG_PORT"
                return 0
            fi
            sleep 1
        done
        die "something listens on $PG_HOST:$PG_PORT but has not accepted Postgres connections for ${WAIT_SECONDS}s. Free the port or change DATABASE_URL."
    fi
    local attempt
    for attempt in 1 2; do
        start_throwaway_pg
        for ((i = 0; i < WAIT_SECONDS; i++)); do
            if pg_ready; then
                log "postgres: using the throwaway server at $PG_HOST:$PG_PORT (data in $(pg_base)/data; stop it with 'make stop-local')"
                return 0
            fi
            # A server that was dying when we looked gets started once more.
            pg_server_alive || break
            sleep 1
        done
        pg_server_alive && break
        [[ "$attempt" == 1 ]] && log "postgres: the throwaway server is gone; starting it again"
    done
    die "Postgres at $PG_HOST:$PG_PORT did not answer within ${WAIT_SECONDS}s; see $(pg_base)/postgres.log"
}

# True when our own throwaway cluster for this port is running (perhaps still starting up).
pg_server_alive() {
    pid_alive "$(pg_base)/data/postmaster.pid"
}

# ---------------------------------------------------------------------------------------------
# Redis

# 0 when the server answers PING with +PONG.
redis_ping() {
    local host="$REDIS_HOST"
    [[ "$host" == "localhost" ]] && host=127.0.0.1
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        if [[ -n "$4" ]]; then
            printf "AUTH %s%s\r\n" "${3:+$3 }" "$4" >&3
            IFS= read -r -t 2 line <&3 || exit 1
            [[ "$line" == +OK* ]] || exit 2
        fi
        printf "PING\r\n" >&3
        IFS= read -r -t 2 line <&3 || exit 1
        [[ "$line" == +PONG* ]] || exit 2
    ' _ "$host" "$REDIS_PORT" "$REDIS_USER" "$REDIS_PASS" 2>/dev/null
}

redis_dir() { printf '%s\n' "$SO_LOCAL/redis/$REDIS_PORT"; }

ensure_redis_binary() {
    command -v redis-server >/dev/null && return 0
    if is_root; then
        log "redis: redis-server not found; installing Debian's redis-server"
        apt_install redis-server
        command -v redis-server >/dev/null || die "redis-server installed but not on PATH"
    else
        die "redis-server is not installed$1. Install it (Debian/Ubuntu:
  sudo apt-get install redis-server), or run this as root to have it installed for you."
    fi
}

start_throwaway_redis() {
    ensure_redis_binary ", and nothing answers at $REDIS_HOST:$REDIS_PORT (or point REDIS_URL at a running Redis)"
    local dir bind
    dir="$(redis_dir)"
    mkdir -p "$dir"
    if pid_alive "$dir/redis.pid"; then
        log "redis: the throwaway server in $dir is already running; waiting for it"
        return 0
    fi
    case "$REDIS_HOST" in
    localhost) bind=127.0.0.1 ;;
    *) bind="$REDIS_HOST" ;;
    esac
    local args=(--daemonize yes --port "$REDIS_PORT" --bind "$bind" --dir "$dir"
        --save "" --appendonly no --pidfile "$dir/redis.pid" --logfile "$dir/redis.log")
    [[ -n "$REDIS_PASS" ]] && args+=(--requirepass "$REDIS_PASS")
    redis-server "${args[@]}" 9>&- || die "redis-server did not start; see $dir/redis.log"
}

ensure_redis() {
    if redis_ping; then
        if pid_alive "$(redis_dir)/redis.pid"; then
            log "redis: using the throwaway server at $REDIS_HOST:$REDIS_PORT (already running; files in $(redis_dir))"
        else
            log "redis: using the server at $REDIS_HOST:$REDIS_PORT"
        fi
    else
        if ! is_local_host "$REDIS_HOST"; then
            die "Redis at $REDIS_HOST:$REDIS_PORT does not answer PING, and it is not on this machine, so no throwaway server can stand in. Check REDIS_URL."
        fi
        local i ok=""
        if tcp_open "$REDIS_HOST" "$REDIS_PORT" && ! pid_alive "$(redis_dir)/redis.pid"; then
            # Someone else's server on that port: perhaps a Redis still loading. Give it time.
            for ((i = 0; i < WAIT_SECONDS; i++)); do
                redis_ping && break
                sleep 1
            done
            redis_ping || die "something listens on $REDIS_HOST:$REDIS_PORT but has not answered Redis PING with +PONG for ${WAIT_SECONDS}s (wrong password in REDIS_URL?). Free the port or change REDIS_URL."
            log "redis: using the server at $REDIS_HOST:$REDIS_PORT"
            ensure_test_redis_binary
            return 0
        fi
        local attempt
        for attempt in 1 2; do
            start_throwaway_redis
            for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
                if redis_ping; then
                    ok=1
                    break 2
                fi
                # A server that was dying when we looked gets started once more.
                pid_alive "$(redis_dir)/redis.pid" || break
                sleep 0.5
            done
            pid_alive "$(redis_dir)/redis.pid" && break
            [[ "$attempt" == 1 ]] && log "redis: the throwaway server is gone; starting it again"
        done
        [[ -n "$ok" ]] || die "Redis at $REDIS_HOST:$REDIS_PORT did not answer within ${WAIT_SECONDS}s; see $(redis_dir)/redis.log"
        log "redis: using the throwaway server at $REDIS_HOST:$REDIS_PORT (files in $(redis_dir); stop it with 'make stop-local')"
    fi
    ensure_test_redis_binary
}

ensure_test_redis_binary() {
    if [[ -n "$FOR_TESTS" ]]; then
        # Tests that stop or flush Redis run a private redis-server on a free port.
        ensure_redis_binary " (tests that stop or flush Redis start a private redis-server)"
    fi
}

# The chaos suite starts its own cluster with initdb/pg_ctl even when a Postgres already answers.
ensure_pg_server_binaries() {
    [[ -n "$FOR_CHAOS" ]] || return 0
    find_pg_bin && return 0
    if is_root; then
        log "postgres: server binaries not found; installing Debian's postgresql for the chaos suite"
        apt_install postgresql
        find_pg_bin || die "postgresql installed but initdb/pg_ctl not found under /usr/lib/postgresql/*/bin"
    else
        die "the chaos suite needs the Postgres server binaries (initdb, pg_ctl): sudo apt-get install postgresql"
    fi
}

ensure_postgres
ensure_pg_server_binaries
ensure_redis
