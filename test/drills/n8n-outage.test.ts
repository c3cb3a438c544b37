import { handleInbound } from '../../backend/src/inbound/inbound';
import { RETRY_DELAYS_MS } from '../../backend/src/events/retry-schedule';
import { userAccountMap } from '../../backend/test/support/maps';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../../backend/test/support/webhook-receiver';
import { recordFigures } from './support/drills';

/**
 * n8n is down for the first hours of the retry window while 1,000 events arrive (500 messages from
 * 25 Telegram leads through the inbound pipeline, 500 CRM calls for 25 users through the API). The
 * backend's own loops run; only the clock is simulated. A real HTTP receiver stands in for n8n and
 * refuses connections while it is "stopped".
 */
const LEADS = 25;
const USERS = 25;
const PER_KEY = 20;
const EVENTS = (LEADS + USERS) * PER_KEY;
const CHAINS = LEADS + USERS;

describe(`n8n stopped for the first hours of the retry window (${dialect})`, () => {
  const clock = new ManualClock();
  let backend: TestBackend;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    backend = await startTestBackend({ clock });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await backend.close();
  });

  const deliveries = () => backend.ctx.db('event_deliveries');
  // As a CRM should: an Idempotency-Key, and one retry when the connection drops (a kept-alive
  // socket closed by the server as the request left, seen on a loaded machine); the key makes the
  // retry safe whether or not the first attempt arrived.
  const crmCall = async (botId: number, token: string, userId: string, seq: number) => {
    const call = () => backend.request('POST', `/api/v1/bots/${botId}/call/users/update`, { token, headers: { 'idempotency-key': `drill-${userId}-${seq}` }, body: { script_request_params: { userId, role: `r${seq}` } } });
    return call().catch(call);
  };
  const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`drill: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const headsAttempted = (times: number) => async () => {
    const row = await deliveries().where({ status: 'pending' }).andWhere('attempts', '>=', times).count({ n: '*' }).first();
    return Number(row!.n) === CHAINS;
  };

  it('1,000 events: none lost, each delivered once, in order per lead and per user, after n8n returns', async () => {
    const { botId, token } = await backend.createBot({ map: userAccountMap });
    const subscribed = await backend.request('POST', `/api/v1/bots/${botId}/subscriptions`, { token, body: { url: receiver.url, events: ['*'] } });
    expect(subscribed.status).toBe(201);
    await receiver.down();
    const stoppedAt = clock.now();

    for (let seq = 0; seq < PER_KEY; seq++) {
      for (let lead = 0; lead < LEADS; lead++) {
        await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId: String(8000 + lead), kind: 'message', text: `m${seq}`, profile: { firstName: `Lead${lead}` } });
      }
      const calls = Array.from({ length: USERS }, (_, user) => crmCall(botId, token, `crm${user}`, seq));
      for (const call of await Promise.all(calls)) expect(call.body.success).toBe(true);
    }
    await waitFor('1,000 deliveries', async () => Number((await deliveries().count({ n: '*' }).first())!.n) === EVENTS);

    // Down through the first attempt and the retries after 5 s, 5 min, 30 min and 2 h; each chain's
    // head is retried on schedule and holds the rest of its chain.
    await waitFor('the first attempts', headsAttempted(1));
    for (let retry = 0; retry < 4; retry++) {
      clock.advance(RETRY_DELAYS_MS[retry]);
      await waitFor(`retry ${retry + 1}`, headsAttempted(retry + 2));
    }
    expect(receiver.received).toHaveLength(0);
    const pending = await deliveries().where({ status: 'pending' });
    expect(pending).toHaveLength(EVENTS);
    expect(pending.filter((d) => d.attempts > 0)).toHaveLength(CHAINS);

    // n8n is back three hours in; the next retry (5 h after the last) sends everything.
    clock.advance(3 * 3_600_000 - (clock.now() - stoppedAt));
    await receiver.up();
    clock.advance(RETRY_DELAYS_MS[4]);
    const returned = Date.now();
    await receiver.waitFor(EVENTS, 120_000);
    const drainedMs = Date.now() - returned;
    await waitFor('every delivery recorded', async () => Number((await deliveries().where({ status: 'delivered' }).count({ n: '*' }).first())!.n) === EVENTS);

    const ids = receiver.received.map((r) => r.headers['x-metabot-delivery']);
    expect(new Set(ids).size).toBe(EVENTS);
    expect(receiver.received).toHaveLength(EVENTS);
    const sequence = new Map<string, number[]>();
    for (const { body } of receiver.received) {
      const key = body.lead ? `lead:${body.lead.chatId}` : `user:${body.userId}`;
      const seq = Number(String(body.lead ? body.data.text : body.data.params.role).slice(1));
      sequence.set(key, [...(sequence.get(key) ?? []), seq]);
    }
    expect(sequence.size).toBe(CHAINS);
    const inOrder = Array.from({ length: PER_KEY }, (_, i) => i);
    for (const [key, seqs] of sequence) expect({ key, seqs }).toEqual({ key, seqs: inOrder });
    recordFigures('n8n outage', { database: dialect, events: EVENTS, chains: CHAINS, failedAttemptsPerHeadWhileDown: 5, downForSimulatedHours: 3, delivered: receiver.received.length, lost: 0, duplicates: receiver.received.length - new Set(ids).size, drainSecondsAfterReturn: +(drainedMs / 1000).toFixed(1) });
  }, 300_000);
});
