#!/usr/bin/env bash
# One command from a fresh clone to a running backend on the embedded SQLite (./data), no Telegram
# token needed. Installs and builds only what is missing, so a second run starts in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/knex ] || [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  echo "installing dependencies (first run only)..."
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  npm rebuild better-sqlite3 --loglevel=error
fi
if [ ! -f backend/dist/cli/main.js ] || [ -n "$(find backend/src -newer backend/dist/cli/main.js -name '*.ts' | head -1)" ]; then
  echo "building..."
  npm run build --silent >/dev/null
fi

cli="node backend/dist/cli/main.js"
if [ "$($cli bot list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')" = "0" ]; then
  bot=$($cli bot create --name "Demo bot" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
  # One map holds all of a bot's endpoints: the demo joins the user-account and shop examples.
  mkdir -p data
  node -e 'const [a, b] = process.argv.slice(1).map((f) => require(require("path").resolve(f)));
    console.log(JSON.stringify({ name: "Demo: user account and orders", endpoints: [...a.endpoints, ...b.endpoints] }))' \
    examples/maps/user-account.json examples/maps/e-commerce.json > data/demo-map.json
  $cli map import --bot "$bot" --file data/demo-map.json --author setup >/dev/null
  token=$($cli token create --bot "$bot" --name demo | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
  printf '%s\n' "$token" > data/demo-token.txt && chmod 600 data/demo-token.txt
  echo "created demo bot $bot; its API token is in data/demo-token.txt (shown once, keep it safe)"
fi

port="${PORT:-3000}"
echo "backend: http://127.0.0.1:$port  ·  API docs: http://127.0.0.1:$port/docs  ·  bot 1 endpoints: http://127.0.0.1:$port/docs/1"
exec $cli serve
