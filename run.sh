#!/usr/bin/env bash
# Builds Herald and starts a server on 127.0.0.1:8080 with the in-memory broker, the demo page and
# the demo feeds. Extra arguments go to `herald serve` (see `--help`).
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -ntp -DskipTests -pl herald-server -am package
exec java -jar herald-server/target/herald.jar serve --demo-feed "$@"
