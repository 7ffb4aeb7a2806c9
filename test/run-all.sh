#!/usr/bin/env bash
# npm test: format, lint, type-check (the build), unit, integration and end-to-end tests.
# Starts one local Kafka + registry for the whole run unless KAFKA_BROKERS and SCHEMA_REGISTRY_URL
# name existing ones. Ends with the totals on one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash deploy/local/ensure-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
export PATH="$root/node_modules/.bin:$PATH"
hash -r
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true

passed=0
failed=0
failures=()
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/lead-router-test.XXXXXX")

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

# A node:test run: its own pass/fail counts are added to the totals.
tests() {
  local name=$1
  shift
  local files=("$@")
  echo "== $name (${#files[@]} files)"
  if [ ${#files[@]} -eq 0 ]; then
    echo "no test files found for $name"
    failed=$((failed + 1))
    failures+=("$name: no test files")
    return
  fi
  local out="$log_dir/$name.log"
  node --test --test-reporter=spec --test-concurrency="${TEST_CONCURRENCY:-2}" \
    --test-timeout=600000 "${files[@]}" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -E '^ℹ pass [0-9]+' "$out" | tail -1 | awk '{print $3}')
  f=$(grep -E '^ℹ fail [0-9]+' "$out" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    failed=$((failed + 1))
  fi
  [ "$rc" -ne 0 ] && failures+=("$name")
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

check build npm run --silent build
check format prettier --check --log-level warn .
check lint bash -c 'nx show projects >/dev/null && eslint . --max-warnings 0'

shopt -s globstar nullglob
tests unit libs/*/dist/**/*.spec.js services/*/dist/**/*.spec.js tools/*/dist/**/*.spec.js deploy/local/dist/**/*.spec.js
check local-stack start_stack
if [ -n "${KAFKA_BROKERS:-}" ]; then
  tests integration test/dist/integration/**/*.int-spec.js
  TEST_CONCURRENCY=1 tests e2e test/dist/e2e/**/*.e2e-spec.js
fi

echo
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "logs: $log_dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
