#!/usr/bin/env bash
# The lab run of docs/BENCHMARKS.md "Short polls through an nginx cache": Herald with a public
# namespace that sets poll-cache-seconds, Debian's nginx running deploy/nginx-poll-cache.conf in
# front of it, and herald-bench's short pollers (herald.js's cache-friendly polls) through nginx,
# with a counting relay between nginx and Herald. Build first: mvn -q -B -DskipTests package
# Usage: bench/poll-cache/run.sh [SUBSCRIBERS] [DURATION] [MAX_AGE]  (MAX_AGE 0: no caching, the baseline)
set -euo pipefail
cd "$(dirname "$0")/../.."
SUBS=${1:-2000}; DURATION=${2:-60s}; MAX_AGE=${3:-1}
HERALD_PORT=${HERALD_PORT:-18080}; RELAY_PORT=${RELAY_PORT:-18081}; NGINX_PORT=${NGINX_PORT:-18082}
work=$(mktemp -d); trap 'kill $(cat "$work"/pids) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/herald.yaml" <<YAML
port: $HERALD_PORT
namespaces:
  default: { subscribe: public, publish: public$( [ "$MAX_AGE" != 0 ] && echo ", poll-cache-seconds: $MAX_AGE" ) }
YAML
java -Xmx512m -jar herald-server/target/herald.jar serve --config "$work/herald.yaml" > "$work/herald.log" 2>&1 &
echo $! >> "$work/pids"; HERALD_PID=$!
mkdir -p "$work/nginx/logs" "$work/nginx/temp"
sed -e "s|/var/cache/nginx/herald-polls|$work/nginx/cache|" \
    -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$RELAY_PORT;|" \
    -e "s|listen 80;|listen 127.0.0.1:$NGINX_PORT;|" deploy/nginx-poll-cache.conf > "$work/herald-cache.conf"
cat > "$work/nginx/nginx.conf" <<NGINX
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
pid $work/nginx/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $work/nginx/temp/body; proxy_temp_path $work/nginx/temp/proxy;
  fastcgi_temp_path $work/nginx/temp/fastcgi; uwsgi_temp_path $work/nginx/temp/uwsgi; scgi_temp_path $work/nginx/temp/scgi;
  include $work/herald-cache.conf;
}
NGINX
/usr/sbin/nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" -g 'daemon off;' &
echo $! >> "$work/pids"
for i in $(seq 100); do curl -sf "http://127.0.0.1:$HERALD_PORT/health" > /dev/null && break; sleep 0.1; done
java -Xmx1g -jar herald-bench/target/herald-bench.jar fan-out --url "http://127.0.0.1:$NGINX_PORT" --pid "$HERALD_PID" \
  --transport short-poll $( [ "$MAX_AGE" != 0 ] && echo --poll-cache ) --poll-interval 1s --subscribers "$SUBS" --rate 2 --duration "$DURATION" \
  --origin-relay "$RELAY_PORT:$HERALD_PORT" --loops 1 --json "$work/result.json"
