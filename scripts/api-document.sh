#!/usr/bin/env bash
# Prints the OpenAPI document GET /openapi.json serves, built without a server
# (backend/src/api-document.ts). The compiled backend is rebuilt first when a source is newer, so
# the document is never a stale one; build output goes to stderr, the document alone to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
entry=backend/dist/api-document.js
if [ ! -f "$entry" ] || [ -n "$(find backend/src -name '*.ts' -newer "$entry" -print -quit)" ]; then
  npm run build -w backend --silent >&2
fi
node "$entry"
