// Benchmark of accepting a send to many users: at once, with a delay, and at a local time (each
// person's zone read from their CRM profile), so the cost of scheduling shows as a ratio.
// Usage: npm run build -w backend && node bench/scheduled-accept.js [users] [rounds]
// PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres (a throwaway database is created and dropped).
// Data: `users` linked users, half of them with a `timeZone` in their profile (four zones).
const { acceptMessage, sendMessageSchema } = require('../backend/dist/delivery/messages');
const { median, openBench, seedLinkedUsers } = require('./support/seed');

const users = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 10);
const ZONES = ['Asia/Tokyo', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney'];

async function main() {
  const bench = await openBench();
  const { ctx, bot, now } = bench;
  await seedLinkedUsers(ctx.db, bot.id, { count: users, now, prefix: 't', profileOf: (i) => (i % 2 === 0 ? { timeZone: ZONES[(i / 2) % ZONES.length] } : {}) });
  const userIds = Array.from({ length: users }, (_, i) => `user-${i}`);
  const kinds = { 'at once': {}, 'delaySeconds 86400': { delaySeconds: 86_400 }, 'localTime 10:00': { localTime: '10:00' } };
  const results = {};
  for (let round = 0; round < rounds + 2; round += 1) {
    for (const [name, schedule] of Object.entries(kinds)) {
      const request = sendMessageSchema.parse({ userIds, text: 'Hello {{ lead.firstName }}', ...schedule });
      const started = performance.now();
      await ctx.db.transaction((trx) => acceptMessage(trx, ctx, bot, request, { traceId: `bench-${round}`, dryRun: false }));
      if (round >= 2) (results[name] ??= []).push(performance.now() - started);
    }
  }
  const baseline = median(results['at once']);
  console.log(`${bench.database}, ${users} users, ${rounds} rounds (median ms, ratio to "at once"):`);
  for (const [name, times] of Object.entries(results)) console.log(`  ${name.padEnd(20)} ${median(times).toFixed(1).padStart(8)}  ×${(median(times) / baseline).toFixed(2)}`);
  await bench.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
