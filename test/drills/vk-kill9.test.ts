import { type ChildServer, startChildServer } from '../../bench/child-server';
import { waitUntilDone } from '../../backend/test/support/delivery';
import { createPostgresDatabase, jsonRequest, testDatabaseUrl } from '../../backend/test/support/test-backend';
import { VkStandin } from '../vk-standin';
import { countPerChat, recordFigures } from './support/drills';

/**
 * kill -9 the backend (a real child process) during a fan-out to VK, at the worst moment — as VK
 * accepts a message, before its answer leaves — restart it on the same database, and count what
 * each dialog got. Unlike Telegram (kill9.test.ts), VK drops a messages.send whose random_id it has
 * seen, and the backend's random_id is the recipient row's id: the send the crash cut off is made
 * again after the lease, answered with the first message's ids, and nobody gets anything twice.
 */
const RECIPIENTS = 2000;
const KILL_AT = 700;

describe('kill -9 during a VK fan-out', () => {
  it(`killed as VK accepts message ${KILL_AT} of ${RECIPIENTS}: zero lost, zero duplicates, nobody reported a possible duplicate`, async () => {
    const standin = await VkStandin.start({ limits: { enabled: false } });
    const community = standin.createCommunity();
    community.allow(Array.from({ length: RECIPIENTS }, (_, i) => 100_000 + i));
    const pg = testDatabaseUrl ? await createPostgresDatabase() : undefined;
    const env = {
      BENCH_CHANNEL: 'vk',
      BENCH_VK_GROUP_ID: String(community.groupId),
      BENCH_VK_TOKEN: community.accessToken,
      BENCH_LEADS: String(RECIPIENTS),
      ...(pg ? { BENCH_DATABASE_URL: pg.url } : {}),
      BENCH_ENV: JSON.stringify({ VK_API_ROOT: standin.apiRoot, VK_MODE: 'callback', VK_RATE_PER_SECOND: '1000', DELIVERY_RATE_PER_SECOND: '250', DELIVERY_LEASE_MS: '3000', DELIVERY_POLL_MS: '50' }),
    };
    let second: ChildServer | undefined;
    const first = await startChildServer('delivery-backend', env);
    try {
      const userIds = Array.from({ length: RECIPIENTS }, (_, i) => `u${100_000 + i}`);
      const killed = new Promise<number>((resolve) => {
        community.onMessage = (m) => {
          if (community.sent.length < KILL_AT) return;
          community.onMessage = undefined;
          void first.kill();
          resolve(m.peerId);
        };
      });
      const token = first.token!;
      const accepted = await jsonRequest(first.url)('POST', `/api/v1/bots/${first.botId}/messages`, { token, body: { userIds, text: 'Drill' } });
      const killedAt = await killed;
      const sentBeforeKill = community.sent.length;
      expect(sentBeforeKill).toBeLessThan(RECIPIENTS);

      second = await startChildServer('delivery-backend', { ...env, BENCH_DATA_DIR: first.dataDir });
      const status = await waitUntilDone({ request: jsonRequest(second.url) }, first.botId, token, accepted.body.messageId, 180_000);

      const perChat = countPerChat(community.sent.map((m) => ({ chatId: m.peerId })));
      const sends = community.requests.filter((r) => r.method === 'messages.send' && r.code === 'ok');
      const repeatedRandomIds = sends.length - community.sent.length;
      const flagged = status.recipients.filter((r: { possibleDuplicate?: boolean }) => r.possibleDuplicate);
      expect(status.counts).toEqual({ queued: 0, scheduled: 0, sent: RECIPIENTS, deferred: 0, failed: 0, skipped: 0, cancelled: 0 });
      expect(perChat.size).toBe(RECIPIENTS);
      expect([...perChat.values()].every((n) => n === 1)).toBe(true);
      // The cut-off send was made again and VK (the stand-in) dropped it by its random_id.
      expect(repeatedRandomIds).toBeGreaterThanOrEqual(1);
      expect(sends.filter((r) => r.randomId === community.sent.find((m) => m.peerId === killedAt)!.randomId).length).toBeGreaterThanOrEqual(2);
      expect(flagged).toEqual([]);
      recordFigures('kill -9 (VK)', { recipients: RECIPIENTS, sentBeforeKill, delivered: perChat.size, lost: RECIPIENTS - perChat.size, duplicates: [...perChat.values()].filter((n) => n > 1).length, sendsRepeatedAfterRestart: repeatedRandomIds, reportedPossibleDuplicates: flagged.length });
    } finally {
      await first.kill();
      await second?.stop();
      await standin.close();
      await pg?.drop();
    }
  }, 600_000);
});
