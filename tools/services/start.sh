#!/usr/bin/env bash
# The services a cluster of Deconflict nodes shares, on this machine: Debian's PostgreSQL 15 with
# PostGIS 3 on 127.0.0.1:5432 (role deconflict, password deconflict, a superuser because the tests
# create a database and the postgis extension each) and a NATS server on 127.0.0.1:4222.
# Idempotent: installs the packages only when missing, starts (or creates) the cluster only when
# nothing answers on 5432, creates the role only when missing, starts nats-server only when nothing
# answers on 4222; never stops or restarts what already runs. Prints one line per service, exits
# non-zero when one does not answer within 30 s. Needs root (or sudo) for the packages and the cluster.
set -euo pipefail

pg_port=5432
nats_port=4222
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

pg_answers() { pg_isready -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; }
# A NATS server greets every connection with its INFO line.
nats_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$nats_port && head -c 4 <&3" 2>/dev/null | grep -q '^INFO'; }
wait_for() {
    local what=$1 check=$2
    for _ in $(seq 1 60); do
        "$check" && return 0
        sleep 0.5
    done
    echo "$what does not answer after 30 s" >&2
    return 1
}

# Debian's packages, when a piece is missing (the postgresql package creates the cluster 15/main).
if ! [ -x /usr/lib/postgresql/15/bin/postgres ] || ! [ -f /usr/share/postgresql/15/extension/postgis.control ] || ! command -v nats-server >/dev/null; then
    { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-15-postgis-3 nats-server; } >&2
fi

# PostgreSQL: the Debian cluster 15/main, created when absent, started when down.
if ! pg_answers; then
    if ! pg_lsclusters -h 15 main >/dev/null 2>&1; then
        as_root pg_createcluster 15 main --port "$pg_port" >&2
    fi
    if ! pg_lsclusters -h 15 main | grep -q online; then
        as_root pg_ctlcluster 15 main start
    fi
fi
wait_for "PostgreSQL on 127.0.0.1:$pg_port" pg_answers
if [ "$(as_postgres psql -p "$pg_port" -XtAc "SELECT 1 FROM pg_roles WHERE rolname = 'deconflict'")" != 1 ]; then
    as_postgres psql -p "$pg_port" -Xq -c "CREATE ROLE deconflict LOGIN SUPERUSER PASSWORD 'deconflict'"
fi
postgis=$(PGPASSWORD=deconflict psql -h 127.0.0.1 -p "$pg_port" -U deconflict -d postgres -XtAc \
    "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")
[ -n "$postgis" ] || { echo "PostGIS is not installed for the PostgreSQL on 127.0.0.1:$pg_port" >&2; exit 1; }

# NATS: started in the background, in its own session so that it outlives this script's caller.
if ! nats_answers; then
    log=$(mktemp -t nats-server.XXXXXX.log)
    setsid nats-server -a 127.0.0.1 -p "$nats_port" >"$log" 2>&1 </dev/null &
    wait_for "nats-server on 127.0.0.1:$nats_port (its log: $log)" nats_answers
fi

echo "postgresql: Host=127.0.0.1;Port=$pg_port;Username=deconflict;Password=deconflict (PostgreSQL $(PGPASSWORD=deconflict psql -h 127.0.0.1 -p "$pg_port" -U deconflict -d postgres -XtAc 'SHOW server_version' | cut -d' ' -f1), PostGIS $postgis)"
echo "nats-server: nats://127.0.0.1:$nats_port"
