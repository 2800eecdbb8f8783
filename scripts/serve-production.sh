#!/usr/bin/env bash
# Production mode: migrations, gunicorn on 127.0.0.1:$PORT, $RQ_WORKERS RQ worker processes, JSON logs.
#
#   scripts/serve-production.sh               start, wait for /healthz, print "ready on ...", return
#   scripts/serve-production.sh --foreground  the same, then stay attached; Ctrl+C or TERM stops everything
#   scripts/serve-production.sh --stop        stop what $RUN_DIR/pids lists
#
# Environment: DATABASE_URL (required, PostgreSQL), REDIS_URL (required), SECRET_KEY (required), PORT (8000),
# WEB_CONCURRENCY (gunicorn workers, 3), RQ_WORKERS (2), INSTANCE_PATH (optional), RUN_DIR (instance/run),
# GUNICORN_THREADS (4 per worker). In the background the processes log to $RUN_DIR/*.log; in the foreground, to
# stdout. $RUN_DIR/pids lists every PID, one a line (gunicorn's master first); gunicorn.pid and rq-worker-N.pid
# name them one by one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
RUN_DIR=${RUN_DIR:-instance/run}
PORT=${PORT:-8000}
WEB_CONCURRENCY=${WEB_CONCURRENCY:-3}
RQ_WORKERS=${RQ_WORKERS:-2}
PIDS="$RUN_DIR/pids"

MODE=background
case "${1:-}" in
  "") ;;
  --foreground) MODE=foreground ;;
  --stop) MODE=stop ;;
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--foreground | --stop]" >&2; exit 2 ;;
esac

alive() { kill -0 "$1" 2>/dev/null; }
# One of ours: alive and still gunicorn or an RQ worker (a PID the system has since reused is left alone).
ours_alive() { alive "$1" && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qE 'gunicorn|jobs rq-worker'; }

# Stop PIDs: TERM (gunicorn finishes its requests, an RQ worker its current job), a second TERM after 20 s
# (RQ's cold shutdown), KILL after 30 s.
stop_pids() {
  local pids=("$@") pid waited=0
  [ ${#pids[@]} -gt 0 ] || return 0
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  while :; do
    local left=()
    for pid in "${pids[@]}"; do if alive "$pid"; then left+=("$pid"); fi; done
    [ ${#left[@]} -eq 0 ] && break
    if [ $waited -eq 200 ]; then for pid in "${left[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; fi
    if [ $waited -ge 300 ]; then for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done; break; fi
    sleep 0.1; waited=$((waited + 1))
  done
}

stop_from_file() {
  if [ ! -f "$PIDS" ]; then echo "Nothing to stop: $PIDS does not exist."; return 0; fi
  mapfile -t listed < <(grep -E '^[0-9]+$' "$PIDS" || true)
  local ours=() pid
  for pid in "${listed[@]}"; do if ours_alive "$pid"; then ours+=("$pid"); fi; done
  stop_pids "${ours[@]}"
  rm -f "$PIDS" "$RUN_DIR"/gunicorn.pid "$RUN_DIR"/rq-worker-*.pid
  echo "Stopped ${#ours[@]} process(es)."
}

if [ "$MODE" = stop ]; then stop_from_file; exit 0; fi

fail() { echo "serve-production: $*" >&2; exit 1; }
[ -n "${SECRET_KEY:-}" ] || fail "SECRET_KEY is not set; refusing to start (python3 -c 'import secrets; print(secrets.token_hex(32))')."
[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL is not set (postgresql://user:pass@host/db)."
case "$DATABASE_URL" in postgres://*|postgresql://*|postgresql+psycopg://*) ;;
  *) fail "DATABASE_URL must be a PostgreSQL URL (postgresql://...); production mode does not run on SQLite." ;; esac
[ -n "${REDIS_URL:-}" ] || fail "REDIS_URL is not set (redis://host:6379/0)."
[[ "$PORT" =~ ^[0-9]+$ ]] || fail "PORT must be a number."
[[ "$WEB_CONCURRENCY" =~ ^[1-9][0-9]*$ ]] || fail "WEB_CONCURRENCY must be a positive number."
[[ "$RQ_WORKERS" =~ ^[0-9]+$ ]] || fail "RQ_WORKERS must be a number."
[ -x "$BIN/gunicorn" ] || fail "$BIN/gunicorn not found: run make install (or .venv/bin/pip install '.[test]')."

if [ -f "$PIDS" ]; then
  while read -r pid; do
    if [[ "$pid" =~ ^[0-9]+$ ]] && ours_alive "$pid"; then
      fail "already running (PID $pid in $PIDS); run $0 --stop first."
    fi
  done < "$PIDS"
  rm -f "$PIDS"
fi

export SECRET_KEY DATABASE_URL REDIS_URL PORT WEB_CONCURRENCY
export JOBS_BACKEND=rq LOG_FORMAT=json
[ -n "${INSTANCE_PATH:-}" ] && export INSTANCE_PATH
export PYTHONUNBUFFERED=1
mkdir -p "$RUN_DIR"
: > "$PIDS"

STARTED=()
cleanup_started() { stop_pids "${STARTED[@]}"; rm -f "$PIDS" "$RUN_DIR"/gunicorn.pid "$RUN_DIR"/rq-worker-*.pid; }

# start NAME COMMAND...: in the background, logging to $RUN_DIR/NAME.log (or stdout in the foreground).
start() {
  local name=$1; shift
  if [ "$MODE" = foreground ]; then "$@" < /dev/null & else "$@" < /dev/null >> "$RUN_DIR/$name.log" 2>&1 & fi
  local pid=$!
  STARTED+=("$pid")
  echo "$pid" >> "$PIDS"
  echo "$pid" > "$RUN_DIR/$name.pid"
}

echo "Applying migrations..."
"$BIN/flask" --app wsgi db upgrade

trap 'echo "serve-production: interrupted, stopping" >&2; cleanup_started; exit 130' INT TERM
start gunicorn "$BIN/gunicorn" -c "$ROOT/gunicorn.conf.py"
for i in $(seq 1 "$RQ_WORKERS"); do
  start "rq-worker-$i" "$BIN/flask" --app wsgi jobs rq-worker
done

URL="http://127.0.0.1:$PORT"
healthy() {
  "$BIN/python" - "$URL/healthz" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    body = getattr(exc, "read", lambda: b"")()
    if body:
        print(body.decode(errors="replace"), file=sys.stderr)
    sys.exit(1)
PY
}

deadline=$((SECONDS + ${READY_TIMEOUT:-120}))
last_error=""
until last_error=$(healthy 2>&1); do
  for pid in "${STARTED[@]}"; do
    if ! alive "$pid"; then
      echo "serve-production: a process (PID $pid) exited during start-up." >&2
      [ "$MODE" = background ] && tail -n 20 "$RUN_DIR"/*.log >&2
      cleanup_started; exit 1
    fi
  done
  if [ $SECONDS -ge $deadline ]; then
    echo "serve-production: /healthz did not answer 200 within ${READY_TIMEOUT:-120} s. ${last_error}" >&2
    [ "$MODE" = background ] && tail -n 20 "$RUN_DIR"/*.log >&2
    cleanup_started; exit 1
  fi
  sleep 0.5
done
echo "ready on $URL"

if [ "$MODE" = background ]; then
  echo "Logs in $RUN_DIR/*.log; stop with $0 --stop"
  exit 0
fi

# Foreground: stay attached until Ctrl+C/TERM, or until one of the processes stops by itself.
trap 'echo "Stopping..."; cleanup_started; exit 0' INT TERM
while :; do
  for pid in "${STARTED[@]}"; do
    if ! alive "$pid"; then
      echo "serve-production: PID $pid stopped; stopping the rest." >&2
      cleanup_started; exit 1
    fi
  done
  sleep 1 & wait $! || true
done
