#!/usr/bin/env bash
# `npm run lint:api`: Redocly's recommended rules (redocly.yaml) over the published OpenAPI document.
# Redocly exits non-zero on errors only; a warning fails here too (its summary line names them).
# Offline: no telemetry, no update check.
set -euo pipefail
cd "$(dirname "$0")/.."
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
document="$(mktemp --suffix=.json)"
trap 'rm -f "$document"' EXIT
bash scripts/api-document.sh > "$document"
status=0
report="$(npx --no-install redocly lint "$document" --format=stylish 2>&1)" || status=$?
# The box Redocly draws about Node.js 20's end of life is not a finding of the document.
grep -v '[║╔╚]' <<<"$report" | sed '/^\s*$/d'
if [ "$status" -ne 0 ] || grep -qE 'You have [0-9]+ warnings?' <<<"$report"; then exit 1; fi
