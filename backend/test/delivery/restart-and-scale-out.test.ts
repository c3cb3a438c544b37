import { setTelegramToken } from '../../src/channels/telegram/telegram-store';
import { fromJson } from '../../src/platform/db/database';
import { range, sameDatabaseAs, seedLinkedLeads, type SeededLead, type StandinBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { dialect, type TestBackend } from '../support/test-backend';

/**
 * Processes that share one database: an "owner" backend without workers holds the database and
 * serves the API; worker backends point at the same database (SQLite file or PostgreSQL) and come
 * and go.
 */
describe(`delivery across restarts and processes on one database (${dialect})`, () => {
  let standin: TelegramStandin;
  let owner: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];
  const workerBackend = (env: Record<string, string> = {}) => startDeliveryBackend(standin, { ...sameDatabaseAs(owner), ...env });
  const queue = async (targets: SeededLead[], text: string) => {
    const res = await owner.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { userIds: targets.map((l) => l.userId), text } });
    expect(res.status).toBe(202);
    return res.body.messageId as string;
  };
  const expectEachExactlyOnce = (targets: SeededLead[], text: string) => {
    const counts = new Map<number, number>();
    for (const m of telegram.messages) if (m.text === text) counts.set(m.chatId, (counts.get(m.chatId) ?? 0) + 1);
    expect(targets.filter((l) => counts.get(l.chatId) !== 1)).toEqual([]);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(targets.length);
  };

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    owner = await startDeliveryBackend(standin, { WORKERS_ENABLED: 'false' });
    ({ botId, token } = await owner.createBot());
    telegram = standin.createBot();
    await setTelegramToken(owner.ctx, botId, telegram.token);
    leads = await seedLinkedLeads(owner.ctx.db, botId, range(20_000, 700));
  });
  afterAll(async () => {
    await owner.close();
    await standin.close();
  });

  it('a restart in the middle of a 500-recipient fan-out delivers each recipient exactly once, and a dead process\'s lease is reclaimed', async () => {
    const targets = leads.slice(0, 500);
    const messageId = await queue(targets, 'restart');
    const first = await workerBackend({ DELIVERY_RATE_PER_SECOND: '250' });
    await telegram.waitFor((messages) => messages.filter((m) => m.text === 'restart').length >= 120);
    await first.close();
    const sentBeforeRestart = telegram.messages.filter((m) => m.text === 'restart').length;
    expect(sentBeforeRestart).toBeLessThan(500);

    // Rows a crashed process had claimed: their lease runs out and another process takes them.
    const crashed = await owner.ctx.db('message_recipients').where({ message_id: messageId, status: 'queued' }).orderBy('id').limit(20).pluck('id');
    await owner.ctx.db('message_recipients').whereIn('id', crashed).update({ status: 'sending', due_at: Date.now() + 700 });
    // Five of them had their send started (the start mark): the outcome is unknown, so they are reported as possible duplicates.
    const started = crashed.slice(0, 5);
    await owner.ctx.db('message_recipients').whereIn('id', started).update({ lease_until: Date.now() });

    const second = await workerBackend({ DELIVERY_RATE_PER_SECOND: '250' });
    try {
      const status = await waitUntilDone(owner, botId, token, messageId);
      expect(status.counts).toEqual({ queued: 0, scheduled: 0, sent: 500, deferred: 0, failed: 0, skipped: 0, cancelled: 0 });
      expectEachExactlyOnce(targets, 'restart');
      const startedUsers = await owner.ctx.db('message_recipients').whereIn('id', started).pluck('user_id');
      const flagged = status.recipients.filter((r: { possibleDuplicate?: boolean }) => r.possibleDuplicate).map((r: { userId: string }) => r.userId);
      expect(flagged.sort()).toEqual(startedUsers.sort());
      const sentEvents = await owner.ctx.db('events').where({ bot_id: botId, type: 'message.sent' }).whereIn('user_id', startedUsers);
      expect(sentEvents.map((e) => fromJson<{ possibleDuplicate?: boolean }>(e.payload).possibleDuplicate)).toEqual(startedUsers.map(() => true));
    } finally {
      await second.close();
    }
  });

  // Several processes share PostgreSQL; SQLite is the single-process embedded default.
  (dialect === 'postgresql' ? it : it.skip)('two processes deliver one fan-out with no duplicate and a combined rate within Telegram\'s 30/s', async () => {
    standin.setLimits({ enabled: true });
    try {
      const targets = leads.slice(500, 650);
      const messageId = await queue(targets, 'scale-out');
      const [a, b] = await Promise.all([workerBackend(), workerBackend()]);
      try {
        await waitUntilDone(owner, botId, token, messageId, 25_000);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      expectEachExactlyOnce(targets, 'scale-out');
      // Both processes run inside this one test process, so send times jitter by tens of ms; Telegram's
      // strict 1-second window may refuse the odd send, which is then retried after retry_after.
      expect(telegram.requests.filter((r) => r.code === 429).length).toBeLessThanOrEqual(targets.length * 0.05);
      const times = telegram.messages.filter((m) => m.text === 'scale-out').map((m) => m.at);
      const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
      expect(targets.length / seconds).toBeLessThanOrEqual(30);
      const handledBy = await owner.ctx.db('message_recipients').where({ message_id: messageId }).count({ n: '*' }).first();
      expect(Number(handledBy!.n)).toBe(150);
    } finally {
      standin.setLimits({ enabled: false });
    }
  });
});
