#!/usr/bin/env bash
# The offline data of the compile-checked SQL (`sqlx::query!` and friends), kept in .sqlx/.
#
#   scripts/sqlx-prepare.sh          # `make sqlx-prepare`: rewrite .sqlx/ after changing a query or
#                                    # a migration
#   scripts/sqlx-prepare.sh --check  # clippy -D warnings, and fail when .sqlx/ is not what the
#                                    # queries and migrations/ give now
#   scripts/sqlx-prepare.sh --check --tests
#                                    # `make test`'s way: the same check, done by compiling every
#                                    # test target and binary with scripts/clippy-rustc.sh as the
#                                    # workspace's compiler, so the tests that follow need no build
#
# Both recreate a scratch database (DATABASE_URL's name + `_sqlx_<checkout>`), apply migrations/
# to it with psql, then run clippy over the workspace with DATABASE_URL pointing at it and SQLX_OFFLINE_DIR
# set: every query macro checks its SQL against that schema and writes what it learnt
# (query-<sha256 of the SQL>.json) into SQLX_OFFLINE_DIR. The files holding query macros are
# touched first, since cargo does not know a macro's output depends on the database and would
# otherwise keep the cached expansion of unchanged crates. Without --check the result replaces
# .sqlx/; with --check it must equal .sqlx/. Every other build reads .sqlx/ (SQLX_OFFLINE=true, set
# in .env) and needs no database. This is what `cargo sqlx prepare --workspace [--check]` does,
# without installing sqlx-cli.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SO_ROOT"

CHECK=""
TESTS=""
for arg in "$@"; do
    case "$arg" in
    --check) CHECK=1 ;;
    --tests) TESTS=1 ;;
    -h | --help)
        sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument: $arg (try --help)" ;;
    esac
done
[[ -z "$TESTS" || -n "$CHECK" ]] || die "--tests goes with --check"

CARGO="${CARGO:-cargo}"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/simpleorder}"
base="${DATABASE_URL%%\?*}"
query=""
[[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
parse_url "$DATABASE_URL"
# One scratch database per checkout, so two checkouts sharing a server never drop each other's.
scratch_db="${URL_PATH:-simpleorder}_sqlx_$(printf '%s' "$SO_ROOT" | cksum | cut -d' ' -f1)"
scratch_url="${base%/*}/$scratch_db$query"
admin_url="${base%/*}/postgres$query"

PSQL="$(command -v psql || true)"
if [[ -z "$PSQL" ]]; then
    for candidate in /usr/lib/postgresql/*/bin/psql; do
        [[ -x "$candidate" ]] && PSQL="$candidate"
    done
fi
[[ -n "$PSQL" ]] || die "psql not found (Debian/Ubuntu: apt-get install postgresql-client)"

export PGOPTIONS="-c client_min_messages=warning"
log "sqlx: recreating $scratch_db and applying migrations/"
"$PSQL" -q -v ON_ERROR_STOP=1 "$admin_url" \
    -c "DROP DATABASE IF EXISTS \"$scratch_db\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$scratch_db\"" >/dev/null
for migration in migrations/*.sql; do
    "$PSQL" -q -v ON_ERROR_STOP=1 --single-transaction -f "$migration" "$scratch_url" >/dev/null ||
        die "$migration failed on $scratch_db"
done

# Queries name tables without their schema and each service finds its own through its role's
# search_path; the macros connect as one role, so give this database a search_path of every schema
# the migrations made.
schemas="$("$PSQL" -At -v ON_ERROR_STOP=1 "$scratch_url" -c "SELECT string_agg(quote_ident(nspname), ', ' ORDER BY nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'")"
"$PSQL" -q -v ON_ERROR_STOP=1 "$admin_url" -c "ALTER DATABASE \"$scratch_db\" SET search_path = $schemas" >/dev/null

out="$SO_ROOT/target/sqlx-offline"
rm -rf "$out"
mkdir -p "$out"
grep -rlE --include='*.rs' 'sqlx::query[a-z_]*!' crates services | xargs -r touch

with_scratch() { DATABASE_URL="$scratch_url" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" "$@"; }
if [[ -n "$TESTS" ]]; then
    # The targets `cargo clippy --all-targets` lints, built: every test and every binary, with
    # the features the tests' dev-dependencies turn on. The Makefile sets the same compiler for
    # the steps after this one (the tests, the chaos suite), which then find it all built.
    export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER:-$SO_ROOT/scripts/clippy-rustc.sh}"
    log "sqlx: cargo build --workspace --all-targets with $RUSTC_WORKSPACE_WRAPPER as the workspace's compiler, against $scratch_db"
    with_scratch "$CARGO" build --workspace --all-targets
else
    clippy=("$CARGO" clippy --workspace --all-targets)
    [[ -n "$CHECK" ]] && clippy+=(-- -D warnings)
    log "sqlx: ${clippy[*]} against $scratch_db"
    with_scratch "${clippy[@]}"
fi

if [[ -n "$CHECK" ]]; then
    if ! diff -r -q .sqlx "$out" >&2; then
        die ".sqlx/ is not current for these queries and migrations/: run \`make sqlx-prepare\` and commit .sqlx/"
    fi
    log "sqlx: .sqlx/ is current ($(find .sqlx -name 'query-*.json' | wc -l) queries)"
else
    rm -rf .sqlx
    mv "$out" .sqlx
    log "sqlx: wrote $(find .sqlx -name 'query-*.json' | wc -l) query files to .sqlx/"
fi
