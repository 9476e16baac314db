#!/usr/bin/env bash
# A throwaway redis-server on loopback for the shared-limiter tests.
#
#   eval "$(bash .ci/redis.sh start)"   # installs redis-server if missing, starts it, and
#                                       # prints: export QASE_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#   bash .ci/redis.sh stop              # stops the server started by `start`
#
# Only the export line goes to stdout; progress goes to stderr. No persistence, no
# listening beyond 127.0.0.1; the pidfile, log and working directory live in
# $QASE_CI_REDIS_DIR (default: $TMPDIR/qase-async-ci-redis).
set -euo pipefail

STATE_DIR="${QASE_CI_REDIS_DIR:-${TMPDIR:-/tmp}/qase-async-ci-redis}"
PIDFILE="$STATE_DIR/redis.pid"
PORTFILE="$STATE_DIR/redis.port"

log() { echo "redis.sh: $*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
    else log "need root to run: $*"; return 1
    fi
}

install() {
    command -v redis-server >/dev/null 2>&1 && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        log "redis-server is missing and apt-get is not available"
        return 1
    fi
    log "installing redis-server with apt-get"
    as_root apt-get update >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >&2
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

ping() {
    # PING over bash's /dev/tcp, so that redis-cli is not needed.
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || reply=""
    exec 3<&- 3>&-
    [[ "$reply" == +PONG* ]]
}

start() {
    install
    mkdir -p "$STATE_DIR"
    if running; then
        log "already running (pid $(cat "$PIDFILE"))"
        echo "export QASE_TEST_REDIS_URL=redis://127.0.0.1:$(cat "$PORTFILE")/0"
        return 0
    fi
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$PIDFILE" --dir "$STATE_DIR" \
        --logfile "$STATE_DIR/redis.log" >&2
    echo "$port" > "$PORTFILE"
    for _ in $(seq 100); do
        if ping "$port"; then
            log "redis-server listening on 127.0.0.1:$port (pid $(cat "$PIDFILE"))"
            echo "export QASE_TEST_REDIS_URL=redis://127.0.0.1:$port/0"
            return 0
        fi
        sleep 0.1
    done
    log "redis-server did not answer on port $port; see $STATE_DIR/redis.log"
    stop
    return 1
}

stop() {
    if running; then
        local pid
        pid="$(cat "$PIDFILE")"
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        log "stopped redis-server (pid $pid)"
    fi
    rm -f "$PIDFILE" "$PORTFILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
