#!/usr/bin/env bash
# Runs every test: unit tests, integration tests over real sockets, the Redis broker against a real
# redis-server, the browser tests in headless Chromium, then a bounded fuzzing run (fuzz.sh).
# Installs Debian's redis-server, chromium, chromium-driver, nginx and haproxy first when they are
# missing (the proxy tests start their own nginx and HAProxy on free loopback ports). Extra
# arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")"
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
PATH="$PATH:/usr/sbin:/sbin"
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian starts the packaged services; the tests run their own instances, so stop these.
  for service in nginx haproxy; do
    $sudo service "$service" stop >/dev/null 2>&1 || true
  done
fi
mvn -B -ntp verify "$@"
# Then a bounded fuzzing run: every Jazzer @FuzzTest for its maxDuration (10 s or 30 s), or
# FUZZ_SECONDS each; a finding fails the run. FUZZ_SECONDS=0 skips it. See the README's "Fuzzing".
if [ "${FUZZ_SECONDS:-}" != 0 ]; then
  ./fuzz.sh
fi
