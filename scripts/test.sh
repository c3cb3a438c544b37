#!/usr/bin/env bash
# Runs the whole suite on SQLite, then the backend suite again on PostgreSQL (a fresh database per
# test file, dropped afterwards), and prints one line: `tests: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
PG_URL="${TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"
rm -f .jest-results.*.json

npx jest --json --outputFile=.jest-results.sqlite.json "$@"
sqlite_rc=$?

pg_rc=0
if [ "${SKIP_POSTGRES:-}" != "1" ]; then
  TEST_DATABASE_URL="$PG_URL" npx jest --json --outputFile=.jest-results.postgres.json backend/test "$@"
  pg_rc=$?
fi

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync(".").filter((n) => /^\.jest-results\..*\.json$/.test(n))) {
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
'
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
