#!/usr/bin/env bash
# Installs the npm packages (including the pinned Node 24 binary) when they are missing or older
# than the lockfile, then the Kafka and registry artifacts when they are not in the cache yet.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
