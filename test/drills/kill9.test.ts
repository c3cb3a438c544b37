import { type ChildServer, startChildServer } from '../../bench/child-server';
import { waitUntilDone } from '../../backend/test/support/delivery';
import { jsonRequest } from '../../backend/test/support/test-backend';
import { TelegramStandin } from '../telegram-standin';
import { countPerChat, drillCase, recordFigures } from './support/drills';

/**
 * kill -9 the backend (a real child process on a SQLite file) during a 5,000-recipient fan-out,
 * restart it on the same file, and count from the stand-in's record what each chat got.
 *
 * The guarantee asserted: nobody is lost; a chat gets the message twice only if its row's send was
 * in flight when the process died (Telegram may have accepted it, our record of the answer never
 * happened), and exactly those recipients are reported `possibleDuplicate` by the status API.
 */
const RECIPIENTS = 5000;

interface Kill9Case {
  name: string;
  rate: number;
  limits: boolean;
  killAtMessage?: number;
  killAfterMs?: number;
  long?: boolean;
}

const cases = ([
  // The worst moment, on purpose: the process dies as Telegram accepts a message, before the answer reaches it.
  { name: 'at 250/s, killed as Telegram accepts message 2,000', rate: 250, limits: false, killAtMessage: 2000 },
  // Telegram's own rate with its limits on: the same worst moment, then a moment the drill does not choose.
  { name: 'at 29/s with Telegram limits, killed as Telegram accepts message 1,000', rate: 29, limits: true, killAtMessage: 1000, long: true },
  { name: 'at 29/s with Telegram limits, killed after 60 s', rate: 29, limits: true, killAfterMs: 60_000, long: true },
] as Kill9Case[]).map(drillCase);

describe.each(cases)('kill -9 during a 5,000-recipient fan-out', ({ name, rate, limits, killAtMessage, killAfterMs, run }) => {
  (run ? it : it.skip)(`${name}: zero lost; a duplicate only where the send was in flight, and reported`, async () => {
    const standin = await TelegramStandin.start({ limits: { enabled: limits } });
    const telegram = standin.createBot();
    const env = {
      BENCH_TELEGRAM_TOKEN: telegram.token,
      BENCH_LEADS: String(RECIPIENTS),
      BENCH_ENV: JSON.stringify({ TELEGRAM_API_ROOT: standin.apiRoot, DELIVERY_RATE_PER_SECOND: String(rate), DELIVERY_LEASE_MS: '3000', DELIVERY_POLL_MS: '50' }),
    };
    let second: ChildServer | undefined;
    const first = await startChildServer('delivery-backend', env);
    try {
      const userIds = Array.from({ length: RECIPIENTS }, (_, i) => `u${100_000 + i}`);
      const killed = new Promise<number>((resolve) => {
        if (killAfterMs) setTimeout(() => void first.kill().then(() => resolve(telegram.messages.length)), killAfterMs);
        else telegram.onMessage((m) => {
          if (telegram.messages.length < killAtMessage!) return;
          telegram.onMessage(undefined);
          void first.kill();
          resolve(m.chatId);
        });
      });
      const token = first.token!;
      const accepted = await jsonRequest(first.url)('POST', `/api/v1/bots/${first.botId}/messages`, { token, body: { userIds, text: 'Drill {{ lead.firstName }}' } });
      const killedAt = await killed;
      const sentBeforeKill = telegram.messages.length;
      expect(sentBeforeKill).toBeLessThan(RECIPIENTS);

      second = await startChildServer('delivery-backend', { ...env, BENCH_DATA_DIR: first.dataDir });
      const status = await waitUntilDone({ request: jsonRequest(second.url) }, first.botId, token, accepted.body.messageId, (RECIPIENTS / rate) * 3000 + 60_000);

      const perChat = countPerChat(telegram.messages);
      const duplicated = [...perChat].filter(([, n]) => n > 1).map(([chatId]) => `u${chatId}`);
      const flagged = status.recipients.filter((r: { possibleDuplicate?: boolean }) => r.possibleDuplicate).map((r: { userId: string }) => r.userId);
      expect(status.counts).toEqual({ queued: 0, scheduled: 0, sent: RECIPIENTS, deferred: 0, failed: 0, skipped: 0, cancelled: 0 });
      expect(userIds.filter((u) => !perChat.has(Number(u.slice(1))))).toEqual([]);
      expect(duplicated.filter((u) => !flagged.includes(u))).toEqual([]);
      expect([...perChat.values()].every((n) => n <= 2)).toBe(true);
      // At most the sends that may be in flight at once in one process.
      expect(flagged.length).toBeLessThanOrEqual(Math.max(2, Math.ceil(rate / 10)));
      if (killAtMessage) expect(flagged).toContain(`u${killedAt}`);
      recordFigures('kill -9', { case: name, recipients: RECIPIENTS, sentBeforeKill, delivered: perChat.size, lost: RECIPIENTS - perChat.size, duplicates: duplicated.length, reportedPossibleDuplicates: flagged.length });
    } finally {
      await first.kill();
      await second?.stop();
      await standin.close();
    }
  }, 1_200_000);
});
