import { type ChildServer, startChildServer } from '../../bench/child-server';
import { waitUntilDone } from '../../backend/test/support/delivery';
import { createPostgresDatabase, jsonRequest } from '../../backend/test/support/test-backend';
import { TelegramStandin } from '../telegram-standin';
import { countPerChat, drillCase, metric, recordFigures } from './support/drills';

/**
 * Two backend processes (real child processes) on one PostgreSQL database deliver one fan-out with
 * Telegram's limits on: nobody twice, both processes sending, and together never faster than
 * Telegram allows one bot (the shared slot clock in the database paces them).
 */
const adminUrl = process.env.TEST_DATABASE_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

const METRICS_TOKEN = 'scale-out-drill-metrics';

const cases = ([{ recipients: 600 }, { recipients: 3000, long: true }] as Array<{ recipients: number; long?: boolean }>).map(drillCase);

describe.each(cases)('two backend processes on one PostgreSQL', ({ recipients, run }) => {
  (run ? it : it.skip)(`${recipients} recipients: no duplicate, both send, combined rate within Telegram's 30/s`, async () => {
    const database = await createPostgresDatabase(adminUrl);
    const standin = await TelegramStandin.start();
    const telegram = standin.createBot();
    const env = {
      BENCH_TELEGRAM_TOKEN: telegram.token,
      BENCH_LEADS: String(recipients),
      BENCH_DATABASE_URL: database.url,
      BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, METRICS_TOKEN }),
    };
    const processes: ChildServer[] = [];
    try {
      processes.push(await startChildServer('delivery-backend', env));
      processes.push(await startChildServer('delivery-backend', env));
      const [first] = processes;
      const token = first.token!;
      const started = Date.now();
      const accepted = await jsonRequest(first.url)('POST', `/api/v1/bots/${first.botId}/messages`, { token, body: { userIds: Array.from({ length: recipients }, (_, i) => `u${100_000 + i}`), text: 'Scale-out' } });
      expect(accepted.status).toBe(202);
      const status = await waitUntilDone({ request: jsonRequest(first.url) }, first.botId, token, accepted.body.messageId, (recipients / 29) * 3000 + 60_000);

      expect(status.counts).toEqual({ queued: 0, scheduled: 0, sent: recipients, deferred: 0, failed: 0, skipped: 0, cancelled: 0 });
      const perChat = countPerChat(telegram.messages);
      expect(perChat.size).toBe(recipients);
      expect([...perChat.values()].every((n) => n === 1)).toBe(true);
      const sentBy = await Promise.all(processes.map(async (p) => metric(await (await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text(), 'metabot_messages_sent_total')));
      expect(sentBy.every((n) => n > 0)).toBe(true);
      expect(sentBy[0] + sentBy[1]).toBe(recipients);
      const busiestSecond = busiestWindow(telegram.messages.map((m) => m.at), 1000);
      expect(busiestSecond).toBeLessThanOrEqual(30);
      const refused = telegram.requests.filter((r) => r.code === 429).length;
      // Two processes' event loops jitter, more so on a loaded machine (a send held up by a busy loop
      // leaves next to the other process's on-time one), so the odd send meets Telegram's strict
      // window: 7 and 11 of 600 were seen with other test suites running beside it (load 10–15).
      // A 429 costs a retry_after pause, never a message; the bound says the pacing holds.
      expect(refused).toBeLessThanOrEqual(recipients * 0.03);
      const seconds = (Math.max(...telegram.messages.map((m) => m.at)) - started) / 1000;
      recordFigures('two processes on PostgreSQL', { recipients, sentByProcess: sentBy, duplicates: 0, lost: recipients - perChat.size, refused429: refused, busiestSecond, wallSeconds: +seconds.toFixed(1), combinedPerSecond: +(recipients / seconds).toFixed(1) });
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await standin.close();
      await database.drop();
    }
  }, 700_000);
});

/** The most timestamps within any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= ms) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
