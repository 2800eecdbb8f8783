#!/usr/bin/env bash
# End-to-end checks of the production mode: a throwaway PostgreSQL and Redis, the demo network loaded into that
# PostgreSQL, scripts/serve-production.sh (gunicorn with 3 workers, 2 RQ workers), then
# tests/production/check_production.py against it. Everything started here is stopped whatever happens; the exit
# status is non-zero if any check failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN="$ROOT/.venv/bin"

if [ -z "${PRODUCTION_CHECKS_INSIDE:-}" ]; then
  export PRODUCTION_CHECKS_INSIDE=1
  exec scripts/with-postgres.sh scripts/with-redis.sh "$0" "$@"
fi

# SERVE_PRODUCTION only for developing these checks against another start script; the default is the real one.
SERVE=${SERVE_PRODUCTION:-scripts/serve-production.sh}
[ -x "$SERVE" ] || { echo "FAIL: $SERVE is missing" >&2; exit 1; }
for tool in gunicorn rq; do
  [ -x "$BIN/$tool" ] || { echo "FAIL: $BIN/$tool is missing (pip install gunicorn rq redis)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/production-checks.XXXXXX)
export RUN_DIR="$WORK/run" INSTANCE_PATH="$WORK/instance"
mkdir -p "$RUN_DIR" "$INSTANCE_PATH"
export DATABASE_URL="$TEST_DATABASE_URL"
SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
export PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
export WEB_CONCURRENCY=3 RQ_WORKERS=2
LOGIN_LIMIT=5
# The sign-in limit the checks expect (the default, written out so that the check and the app agree).
echo "LOGIN_LIMIT_PER_ACCOUNT = \"$LOGIN_LIMIT per 15 minutes\"" > "$INSTANCE_PATH/config.py"

started=0
cleanup() {
  status=$?
  if [ "$started" = 1 ]; then
    "$SERVE" --stop >"$WORK/stop.log" 2>&1 || { echo "serve-production.sh --stop failed:" >&2; cat "$WORK/stop.log" >&2; }
  fi
  if [ "$status" != 0 ] && [ -d "$RUN_DIR" ]; then
    for log in "$RUN_DIR"/*.log "$WORK"/*.log; do
      [ -f "$log" ] || continue
      echo "--- last lines of $log" >&2; tail -n 30 "$log" >&2
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '== %s\n' "$*"; }
t0=$(date +%s)
step "demo network into PostgreSQL"
"$BIN/flask" --app wsgi db upgrade >"$WORK/upgrade.log" 2>&1 || { echo "FAIL: db upgrade" >&2; cat "$WORK/upgrade.log" >&2; exit 1; }
"$BIN/flask" --app wsgi demo-data >"$WORK/demo.log" 2>&1 || { echo "FAIL: demo-data" >&2; cat "$WORK/demo.log" >&2; exit 1; }

step "$SERVE (WEB_CONCURRENCY=$WEB_CONCURRENCY, RQ_WORKERS=$RQ_WORKERS, port $PORT)"
started=1
"$SERVE" >"$WORK/serve.log" 2>&1 || { echo "FAIL: serve-production.sh did not start:" >&2; cat "$WORK/serve.log" >&2; exit 1; }
grep -q "ready on http://127.0.0.1:$PORT" "$WORK/serve.log" || { echo "FAIL: serve-production.sh did not say it is ready" >&2; cat "$WORK/serve.log" >&2; exit 1; }
echo "started in $(( $(date +%s) - t0 )) s"

step "end-to-end checks"
if "$BIN/python" tests/production/check_production.py --base-url "http://127.0.0.1:$PORT" --login-limit "$LOGIN_LIMIT"; then
  echo "production checks passed"
else
  echo "FAIL: production checks failed (see FAIL lines above)" >&2
  exit 1
fi
