#!/bin/sh
# `make run`: create ./data if missing and run the server in the foreground.
# As an ordinary user the server runs as that user. As root it creates the system
# account `pgsvc` if missing (as the package does), hands it the data directory,
# and the server drops to it.
set -eu
: "${PGSVC:=.venv/bin/pgsvc}" "${DATA:=./data}" "${PORT:=5433}" "${SOCKDIR:=/tmp}"

if [ "$(id -u)" = 0 ]; then
    if ! id pgsvc >/dev/null 2>&1; then
        echo "creating system account pgsvc"
        useradd --system --user-group --home-dir /var/lib/pgsvc --no-create-home \
                --shell /usr/sbin/nologin pgsvc
    fi
    OWNER="--owner pgsvc"
    DBUSER=pgsvc
else
    OWNER=""
    DBUSER=$(id -un)
fi

if [ ! -f "$DATA/PGSVC_VERSION" ]; then
    # The account must be able to reach the data directory through its parents.
    $PGSVC initdb -D "$DATA" $OWNER --auth trust
fi

cat <<MSG

pgsvc is starting on port $PORT (127.0.0.1 and the Unix socket in $SOCKDIR).
Connect from another terminal with:

    psql -h 127.0.0.1 -p $PORT -U $DBUSER postgres
    psql -h $SOCKDIR -p $PORT -U $DBUSER postgres

Stop it with Ctrl-C (fast shutdown).

MSG
exec $PGSVC server -D "$DATA" -p "$PORT" -h 127.0.0.1 -k "$SOCKDIR"
