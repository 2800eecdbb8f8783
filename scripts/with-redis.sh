#!/usr/bin/env bash
# Run a command against a throwaway Redis: Debian's redis-server (installed with apt-get when missing and running
# as root), on a free port of 127.0.0.1, in a temporary folder, without persistence; export REDIS_URL, run, then
# stop it and remove everything, whatever the command's result.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's redis-server (apt-get)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  fi
fi
command -v redis-server >/dev/null 2>&1 || {
  echo "redis-server not found: install Debian's redis-server (sudo apt-get install redis-server)" >&2; exit 1; }
REDIS_BIN=$(command -v redis-server)
REDIS_CLI=$(command -v redis-cli || true)
DIR=$(mktemp -d /tmp/redistest.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  if [ -f "$DIR/redis.pid" ]; then
    PID=$(cat "$DIR/redis.pid")
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# No RDB snapshots, no append-only file: nothing is written to disk.
"$REDIS_BIN" --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --save "" --appendonly no \
  --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/log" --protected-mode yes
for _ in $(seq 100); do
  if [ -n "$REDIS_CLI" ]; then
    "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1 && break
  else
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  fi
  sleep 0.1
done
[ -f "$DIR/redis.pid" ] || { echo "redis-server did not start:" >&2; cat "$DIR/log" >&2 || true; exit 1; }
export REDIS_URL="redis://127.0.0.1:$PORT/0"
echo "Redis $("$REDIS_BIN" --version | sed -E 's/.* v=([^ ]+).*/\1/') on port $PORT"
"$@"
