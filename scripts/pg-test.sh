#!/usr/bin/env bash
# Run the test suite against a throwaway PostgreSQL cluster on 127.0.0.1 (a free port, a temp dir).
#   scripts/pg-test.sh                 whole suite minus browser and Spark tests
#   scripts/pg-test.sh -n auto         the same on every core (options only keep the default selection)
#   scripts/pg-test.sh tests/security  any pytest arguments
# Uses Debian's PostgreSQL binaries (apt install postgresql); runs as a non-root user when root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "pg-test: PostgreSQL binaries not found (apt install postgresql)" >&2; exit 2; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TMP=$(mktemp -d /tmp/bilim-pg.XXXXXX)
chmod 755 "$TMP"
RUN=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: use the 'postgres' system user for the server only
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$TMP"
  RUN=(runuser -u postgres --)
fi
stop() {
  "${RUN[@]}" "$PGBIN/pg_ctl" -D "$TMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap stop EXIT
"${RUN[@]}" "$PGBIN/initdb" -D "$TMP/data" -U bilim --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN[@]}" "$PGBIN/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w \
  -o "-h 127.0.0.1 -p $PORT -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U bilim bilim
export DATABASE_URL="postgres://bilim@127.0.0.1:$PORT/bilim"
export BILIM_DATA_DIR="$TMP/var"
mkdir -p "$BILIM_DATA_DIR"
echo "pg-test: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
# no test path among the arguments (only options, such as make test-pg's -n auto): the default selection
paths=0
for a in "$@"; do if [ -e "${a%%::*}" ]; then paths=1; fi; done
if [ $paths -eq 0 ]; then
  set -- tests --ignore=tests/browser --ignore=tests/analytics/test_spark.py "$@"
fi
"$ROOT/.venv/bin/pytest" "$@"
