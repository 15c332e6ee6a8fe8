#!/usr/bin/env bash
# Bounded fuzzing: runs each Jazzer @FuzzTest of the project in fuzzing mode (JAZZER_FUZZ=1), one
# JVM per target, for its @FuzzTest(maxDuration) (10 s for the parsers of herald-core, 30 s for the
# HTTP and WebSocket pipelines) or FUZZ_SECONDS seconds when set, and fails when any target finds
# something. A finding is written by Jazzer next to the committed inputs, as
# <module>/src/test/resources/<package>/<Class>Inputs/<method>/crash-<sha1>: once the bug is fixed,
# rename it and commit it, and `mvn verify` replays it for good. Coverage-increasing inputs are kept
# in <module>/.cifuzz-corpus/ (not committed), so a local run goes on where the last one stopped.
#
#   ./fuzz.sh                                            # every target
#   FUZZ_SECONDS=600 ./fuzz.sh HttpRouterFuzzTest        # the targets of one class, 10 minutes each
#   ./fuzz.sh CursorFuzzTest#cursorParsesOrFailsWithInvalidCursorAndFormatsBackStably
#
# Extra Maven options go in FUZZ_MAVEN_OPTS (for example -o). Logs: target/fuzz/<Class>.<method>.log.
set -euo pipefail
cd "$(dirname "$0")"
if [ -n "${FUZZ_SECONDS:-}" ]; then
  export JAZZER_MAX_DURATION="${FUZZ_SECONDS}s" # overrides @FuzzTest(maxDuration)
fi
mkdir -p target/fuzz

# Every @FuzzTest method, as "module class method": the method is the first "void name(" after the
# annotation.
targets() {
  find . -path '*/src/test/java/*' -name '*FuzzTest.java' -not -path '*/target/*' | sed 's|^\./||' |
  while read -r f; do
    awk -v module="${f%%/*}" -v class="$(basename "$f" .java)" '
      /@FuzzTest/ { pending = 1; next }
      pending && match($0, /void [A-Za-z0-9_]+\(/) {
        print module, class, substr($0, RSTART + 5, RLENGTH - 6); pending = 0
      }' "$f"
  done | sort -u
}

selected() {
  local module="$1" class="$2" method="$3"
  [ $# -gt 3 ] || return 0
  shift 3
  for want in "$@"; do
    [ "$want" = "$class" ] || [ "$want" = "$class#$method" ] && return 0
  done
  return 1
}

failed=()
ran=0
while read -r module class method; do
  selected "$module" "$class" "$method" "$@" || continue
  log="target/fuzz/$class.$method.log"
  echo "fuzz.sh: $class#$method${FUZZ_SECONDS:+ for ${FUZZ_SECONDS}s}"
  # The class-level JUnit @Timeout bounds one input (Jazzer passes it to libFuzzer as -timeout);
  # JUnit's own timeout would count the whole fuzzing run, so it is turned off here.
  if JAZZER_FUZZ=1 mvn -B -ntp ${FUZZ_MAVEN_OPTS:-} \
    -pl "$module" -am test \
    -Dtest="$class#$method" -Dsurefire.failIfNoSpecifiedTests=false \
    -Djunit.jupiter.execution.timeout.mode=disabled >"$log" 2>&1; then
    grep -a -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed 's/^/  /' || true
  else
    echo "  FAILED: see $log"
    grep -a -E 'Test unit written to|Caused by|^\[ERROR\] +[A-Z][A-Za-z]+(Test|IT)\.' "$log" |
      head -12 | sed 's/^/  /' || true
    failed+=("$class#$method")
  fi
  ran=$((ran + 1))
done < <(targets)

if [ "$ran" -eq 0 ]; then
  echo "fuzz.sh: no fuzz test matched: $*" >&2
  exit 2
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} of $ran fuzz targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: $ran fuzz targets ran without a finding"
