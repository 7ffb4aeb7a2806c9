#!/usr/bin/env bash
# npm start: install what is missing, build, then run the whole system with a demo.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
hash -r
npm run --silent build
exec node deploy/local/dist/start.cli.js "$@"
