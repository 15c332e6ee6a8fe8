#!/bin/sh
# Starts nchan (nginx) in the foreground on 127.0.0.1:PORT with WORKERS worker processes.
#   bench/nchan/start.sh [PORT] [WORKERS]        default 8090 2
# Needs: apt-get install -y nginx libnginx-mod-nchan. Stop it with Ctrl-C (or kill the master pid,
# written to $DIR/nginx.pid). The master's pid is what the bench's --pid wants: the bench sums the CPU
# and memory of a pid and its child processes (the workers).
set -eu
PORT=${1:-8090}
WORKERS=${2:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${NCHAN_DIR:-/tmp/herald-nchan-$PORT}
mkdir -p "$DIR"
sed -e "s#__DIR__#$DIR#g" -e "s#__PORT__#$PORT#g" -e "s#__WORKERS__#$WORKERS#g" \
  "$HERE/nginx.conf.template" > "$DIR/nginx.conf"
ulimit -n 20000 2>/dev/null || true
echo "nchan on http://127.0.0.1:$PORT (sub: /sub/{channel}, pub: /pub/{channel}), $WORKERS workers, config $DIR/nginx.conf" >&2
exec nginx -p "$DIR" -c "$DIR/nginx.conf" -e stderr
