#!/usr/bin/env bash
# `npm start`: installs the npm dependencies and builds when missing or stale, then hands over to the
# launcher (scripts/first-run/main.ts): backend + local n8n + demo bot + example workflows.
# Flags: --backend-only, --check, --help (see scripts/first-run/options.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/knex ] || [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  echo "installing dependencies (first run only)..."
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  npm rebuild better-sqlite3 --loglevel=error
fi
built=scripts/first-run/dist/main.js
if [ ! -f "$built" ] || [ ! -f console/dist/index.html ] || [ -n "$(find backend/src console/src console/index.html nodes credentials scripts/first-run package.json -newer "$built" -type f -not -path '*/dist/*' | head -1)" ]; then
  echo "building..."
  npm run build --silent >/dev/null
fi
exec node "$built" "$@"
