// Accepting a send to many listed users, in process, split by statement: where the time of
// `POST /messages` goes once the HTTP layer is set aside (zod, the resolving query, the recipients'
// insert, the rest). With BENCH_BASE_DIST=<a compiled backend/dist of another commit>, its
// `acceptMessage` runs alternated with this build's on the same database: an A/B in one run.
// Usage: npm run build -w backend && node bench/accept-split.js [users] [rounds]
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
const os = require('node:os');
const path = require('node:path');
const { median, openBench, seedLinkedUsers } = require('./support/seed');

const users = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 15);
const WARMUP = 3;

/** A build's accept: its own schema and `acceptMessage` (the shared context is this build's). */
function buildOf(name, dist) {
  const { acceptMessage, sendMessageSchema } = require(path.join(dist, 'delivery', 'messages'));
  return { name, acceptMessage, sendMessageSchema };
}

/** Statement durations by their first words, from knex's query events. */
function statementClock(db) {
  const started = new Map();
  let spent = new Map();
  const kindOf = (sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 40);
  db.on('query', (q) => started.set(q.__knexQueryUid, performance.now()));
  db.on('query-response', (_r, q) => {
    const at = started.get(q.__knexQueryUid);
    if (at === undefined) return;
    started.delete(q.__knexQueryUid);
    const kind = kindOf(q.sql);
    spent.set(kind, (spent.get(kind) ?? 0) + performance.now() - at);
  });
  return { take: () => { const taken = spent; spent = new Map(); return taken; } };
}

async function main() {
  const bench = await openBench();
  const { ctx, bot, now } = bench;
  await seedLinkedUsers(ctx.db, bot.id, { count: users, now, prefix: 's' });
  const body = { userIds: Array.from({ length: users }, (_, i) => `user-${i}`), text: 'Accept: {{ lead.firstName }}' };
  const builds = [buildOf('this build', path.join(__dirname, '..', 'backend', 'dist'))];
  if (process.env.BENCH_BASE_DIST) builds.unshift(buildOf('base', path.resolve(process.env.BENCH_BASE_DIST)));
  const clock = statementClock(ctx.db);
  const results = new Map(builds.map((b) => [b.name, { total: [], parse: [], statements: new Map() }]));
  for (let round = 0; round < rounds + WARMUP; round += 1) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const started = performance.now();
      const request = build.sendMessageSchema.parse(body);
      const parsed = performance.now();
      clock.take();
      await ctx.db.transaction((trx) => build.acceptMessage(trx, ctx, bot, request, { traceId: `bench-${round}`, dryRun: false }));
      const done = performance.now();
      const statements = clock.take();
      if (round < WARMUP) continue;
      const result = results.get(build.name);
      result.total.push(done - started);
      result.parse.push(parsed - started);
      for (const [kind, ms] of statements) result.statements.set(kind, [...(result.statements.get(kind) ?? []), ms]);
    }
  }
  console.log(`${bench.database}, ${users} users, ${rounds} rounds alternated, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (median ms):`);
  for (const [name, result] of results) {
    console.log(`  ${name}: total ${median(result.total).toFixed(1)} (parse ${median(result.parse).toFixed(1)})`);
    const byCost = [...result.statements].map(([kind, ms]) => [kind, median(ms)]).sort((a, b) => b[1] - a[1]);
    for (const [kind, ms] of byCost.slice(0, 6)) console.log(`    ${ms.toFixed(1).padStart(7)}  ${kind}`);
  }
  await bench.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
