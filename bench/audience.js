// Benchmark of accepting a send to a topic's members: one INSERT … SELECT writes every recipient row.
// Usage: npm run build -w backend && node bench/audience.js [members] [rounds] [at-once|localTime]
//   The 100,000-recipient figure: node bench/audience.js 100000 5
//   PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres node bench/audience.js 100000 5
//   (a throwaway database is created, ANALYZEd after the bulk load, and dropped).
//   localTime: the same send "at 10:00 in each recipient's zone" (half the members have a profile zone).
// Data: `members` linked users, each with one Telegram chat, all subscribed to one topic as users
// (the user → chat resolution is the costlier path). The first round warms up and is not counted;
// every round counts the recipient rows it wrote and fails unless each member has one.
const { acceptMessage, sendMessageSchema } = require('../backend/dist/delivery/messages');
const { createTopic, median, openBench, seedLinkedUsers } = require('./support/seed');

const HELP = `node bench/audience.js [members=100000] [rounds=5] [at-once|localTime]
  p50 of accepting a send to a topic of \`members\` users (every recipient row persisted and counted).
  PostgreSQL: BENCH_POSTGRES_URL=postgres://root@127.0.0.1:5432/postgres node bench/audience.js 100000 5`;

const ZONES = ['Asia/Tokyo', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney'];

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return console.log(HELP);
  const members = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 5);
  const kind = process.argv[4] ?? 'at-once';
  if (!Number.isInteger(members) || members < 1 || !Number.isInteger(rounds) || rounds < 1 || !['at-once', 'localTime'].includes(kind)) throw new Error(HELP);
  const bench = await openBench();
  try {
    const { ctx, bot, now } = bench;
    const topicId = await createTopic(ctx.db, bot.id, 'everyone', now);
    await seedLinkedUsers(ctx.db, bot.id, { count: members, now, prefix: 'a', topicId, profileOf: (i) => (i % 2 === 0 ? { timeZone: ZONES[(i / 2) % ZONES.length] } : {}) });
    const request = sendMessageSchema.parse({ topics: ['everyone'], text: 'Hello {{ lead.firstName }}', ...(kind === 'localTime' ? { localTime: '10:00' } : {}) });
    const times = [];
    for (let round = 0; round < rounds + 1; round += 1) {
      const started = performance.now();
      const accepted = await ctx.db.transaction((trx) => acceptMessage(trx, ctx, bot, request, { traceId: `bench-${round}`, dryRun: false }));
      const elapsed = performance.now() - started;
      const [{ n }] = await ctx.db('message_recipients').where({ message_id: accepted.body.messageId }).count({ n: '*' });
      if (Number(n) !== members) throw new Error(`round ${round}: ${n} recipient rows for ${members} members`);
      if (round >= 1) times.push(elapsed);
    }
    console.log(`${bench.database}, a send (${kind}) to a topic of ${members} members, ${rounds} rounds: p50 ${median(times).toFixed(1)} ms to accept (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; ${members} rows persisted each round)`);
  } finally {
    await bench.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
