#!/usr/bin/env bash
# Runs the whole suite on SQLite, then the backend suite and the API drills again on PostgreSQL (a
# fresh database per test file, dropped afterwards), and prints one line: `tests: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
PG_URL="${TEST_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"
rm -f .jest-results.*.json

npx jest --json --outputFile=.jest-results.sqlite.json "$@"
sqlite_rc=$?

pg_rc=0
if [ "${SKIP_POSTGRES:-}" != "1" ]; then
  # The fuzzer and the scope matrix also run on PostgreSQL (the fuzzer with fewer requests: 2,000).
  TEST_DATABASE_URL="$PG_URL" FUZZ_RUNS="${FUZZ_RUNS:-2000}" npx jest --json --outputFile=.jest-results.postgres.json \
    backend/test test/drills/fuzz-api.test.ts test/drills/scope-matrix.test.ts "$@"
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
