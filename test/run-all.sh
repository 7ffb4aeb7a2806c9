#!/usr/bin/env bash
# npm test: every check and test, on the Nx targets of every project (see docs/architecture.md).
# Starts one local Kafka + registry for the integration and end-to-end specs unless KAFKA_BROKERS
# and SCHEMA_REGISTRY_URL name existing ones. Ends with the totals on one line: "N passed, N failed".
# Build, lint and unit tests come from the Nx cache when nothing they read has changed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash deploy/local/ensure-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$root/node_modules/.bin:$PATH"
hash -r
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

passed=0
failed=0
failures=()
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/lead-router-test.XXXXXX")
# Every service the suites start logs here, for the scan for personal data at the end.
export LEAD_ROUTER_SERVICE_LOG_DIR="$log_dir/services"
# ... at debug, whatever level a spec asks for: the scan sees every line a service can write.
export LEAD_ROUTER_SERVICE_LOG_LEVEL=debug

# A check that is one test: it passes or fails as a whole.
check() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

# Nx targets that run node:test: every run's pass/fail counts are added to the totals (Nx replays
# a cached run's output, counts included). A target that fails without reporting a failed test
# (a spec that does not compile, say) counts as one failure.
tests() {
  local name=$1
  shift
  echo "== $name"
  local out="$log_dir/$name.log"
  "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -oE 'ℹ pass [0-9]+' "$out" | awk '{s += $3} END {print s + 0}')
  f=$(grep -oE 'ℹ fail [0-9]+' "$out" | awk '{s += $3} END {print s + 0}')
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    echo "no tests ran for $name"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    failed=$((failed + 1))
  fi
  [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] && failures+=("$name")
}

stack_pid=""
stop_stack() {
  if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -TERM "$stack_pid"
    wait "$stack_pid" 2>/dev/null
  fi
}
trap stop_stack EXIT

start_stack() {
  if [ -n "${KAFKA_BROKERS:-}" ] && [ -n "${SCHEMA_REGISTRY_URL:-}" ]; then
    echo "using KAFKA_BROKERS=$KAFKA_BROKERS SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL"
    return 0
  fi
  local out="$log_dir/stack.out"
  node deploy/local/dist/stack.cli.js start --data-dir "$log_dir/stack" >"$out" 2>&1 &
  stack_pid=$!
  for _ in $(seq 1 600); do
    if grep -q '^SCHEMA_REGISTRY_URL=' "$out"; then
      export KAFKA_BROKERS SCHEMA_REGISTRY_URL
      KAFKA_BROKERS=$(grep '^KAFKA_BROKERS=' "$out" | cut -d= -f2-)
      SCHEMA_REGISTRY_URL=$(grep '^SCHEMA_REGISTRY_URL=' "$out" | cut -d= -f2-)
      echo "local stack: KAFKA_BROKERS=$KAFKA_BROKERS SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL"
      return 0
    fi
    if ! kill -0 "$stack_pid" 2>/dev/null; then break; fi
    sleep 0.5
  done
  cat "$out"
  return 1
}

# No dependency runs an install script nobody reviewed (package.json's allowScripts).
reviewed_install_scripts() {
  local listing
  listing=$(npm install-scripts ls 2>&1) || { echo "$listing"; return 1; }
  echo "$listing"
  grep -q '^No packages with unreviewed install scripts' <<<"$listing"
}

nx=(nx run-many --output-style=stream --parallel="${NX_PARALLEL:-2}")
check install-scripts reviewed_install_scripts
# TypeScript project references follow the project graph (`nx sync`): CI insists they are committed
# in sync, a developer's run brings them up to date.
if [ -n "${CI:-}" ]; then
  check sync nx sync:check
else
  check sync nx sync
fi
check build "${nx[@]}" -t build
check format prettier --check --log-level warn .
check lint "${nx[@]}" -t lint
tests unit "${nx[@]}" -t test
check local-stack start_stack
if [ -n "${KAFKA_BROKERS:-}" ]; then
  tests integration nx run e2e:int --output-style=stream
  tests e2e nx run e2e:e2e --output-style=stream
  # The fault suite (docs/faults.md): each spec appends its faults to FAULTS_SUMMARY, printed after.
  export FAULTS_SUMMARY="$log_dir/faults-summary.jsonl"
  node test/dist/faults/print-summary.js --clear
  tests faults nx run e2e:faults --output-style=stream
  node test/dist/faults/print-summary.js
  # No email, phone or name of any test lead in any log a service wrote (docs/security.md).
  tests logscan nx run e2e:logscan --output-style=stream
fi

# What failed, again at the end where a reader of the log's tail sees it: node:test's own list of
# failing tests (name, error and the first lines of its stack) from each failed suite's log.
failing_tests() {
  local log
  for log in "$log_dir"/*.log; do
    grep -q 'failing tests:' "$log" 2>/dev/null || continue
    echo "-- failing tests in $(basename "$log" .log):"
    sed -n '/failing tests:/,$p' "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -vE '^\S*:? *$' | grep -vE '\(node:|at (new )?Promise|at process\.processTicksAndRejections' | head -n 60
  done
}

echo
failing_tests
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
