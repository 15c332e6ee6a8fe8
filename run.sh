#!/usr/bin/env bash
# Builds Herald and starts a server on 127.0.0.1:8080 with the in-memory broker, the demo page and
# the demo feeds. Extra arguments go to `herald serve` (see `--help`).
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -ntp -DskipTests -pl herald-server -am package
# A bounded heap, and exit on OutOfMemoryError so that a supervisor restarts the server; JAVA_OPTS
# replaces these flags.
JAVA_OPTS="${JAVA_OPTS:--Xmx1g -XX:+ExitOnOutOfMemoryError}"
# shellcheck disable=SC2086
exec java $JAVA_OPTS -jar herald-server/target/herald.jar serve --demo-feed "$@"
