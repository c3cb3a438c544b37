import { setTelegramToken } from '../../src/channels/telegram/telegram-store';
import { cancelMessage } from '../../src/delivery/cancel';
import { markSendsStarted } from '../../src/delivery/statements/mark-sends-started';
import { claimDueRecipients } from '../../src/delivery/statements/claim-due-recipients';
import { fromJson } from '../../src/platform/db/database';
import { getBot, updateBotSettings } from '../../src/bots/bots';
import { range, sameDatabaseAs, seedLinkedLeads, type SeededLead, type StandinBot, startDeliveryBackend, TelegramStandin } from '../support/delivery';
import { dialect, ManualClock, type TestBackend } from '../support/test-backend';

/**
 * Scheduled sends on the database clock (a ManualClock shared by every process of a test): the
 * worker's loop runs for real; moving the clock makes rows due. Real time only paces the sends.
 */
/** Retries `check` (its expectations) every 25 ms until it passes, or throws its last failure after `timeoutMs`. */
async function settled(check: () => unknown, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

describe(`scheduled and cancellable sends (${dialect})`, () => {
  const HOUR = 3_600_000;
  // 2026-11-21 12:00 UTC, a Saturday.
  const clock = new ManualClock();
  let standin: TelegramStandin;
  let owner: TestBackend;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];
  let next = 0;
  const take = (n: number) => leads.slice(next, (next += n));
  const workerBackend = (env: Record<string, string> = {}) => startDeliveryBackend(standin, { ...sameDatabaseAs(owner), ...env }, clock);
  const send = async (body: Record<string, unknown>, expected = 202) => {
    const res = await owner.request('POST', `/api/v1/bots/${botId}/messages`, { token, body });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: expected });
    return res.body;
  };
  const status = async (messageId: string) => (await owner.request('GET', `/api/v1/bots/${botId}/messages/${messageId}`, { token })).body.message;
  const received = (text: string) => telegram.messages.filter((m) => m.text === text);
  const setBot = async (settings: Record<string, unknown>, timezone?: string) => {
    if (timezone) await owner.ctx.db('bots').where({ id: botId }).update({ timezone });
    await updateBotSettings(owner.ctx, botId, settings);
  };
  const setProfileZone = (userId: string, timeZone: string) => owner.request('POST', `/api/v1/bots/${botId}/users/${userId}/update`, { token, body: { fields: { timeZone } } });

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    // The owner accepts and answers; workers come and go (a restart is a new worker process).
    owner = await startDeliveryBackend(standin, { WORKERS_ENABLED: 'false' }, clock);
    ({ botId, token } = await owner.createBot());
    telegram = standin.createBot();
    await setTelegramToken(owner.ctx, botId, telegram.token);
    leads = await seedLinkedLeads(owner.ctx.db, botId, range(30_000, 120), clock.now());
  });
  afterAll(async () => {
    await owner?.close();
    await standin?.close();
  });
  afterEach(async () => setBot({ delivery: {} }, 'UTC'));

  it('a restart before the due time sends exactly once, at the due time', async () => {
    const targets = take(5);
    const sendAt = new Date(clock.now() + 2 * HOUR).toISOString();
    const accepted = await send({ userIds: targets.map((l) => l.userId), text: 'restart-scheduled', sendAt });
    expect(accepted).toMatchObject({ queued: 0, scheduled: 5, sendAt });
    expect((await status(accepted.messageId)).status).toBe('scheduled');

    const first = await workerBackend();
    clock.advance(HOUR);
    await new Promise((r) => setTimeout(r, 300));
    await first.close();
    expect(received('restart-scheduled')).toHaveLength(0);

    clock.advance(HOUR);
    const second = await workerBackend();
    try {
      await settled(async () => expect((await status(accepted.messageId)).status).toBe('done'), 15_000);
    } finally {
      await second.close();
    }
    const counts = new Map<number, number>();
    for (const m of received('restart-scheduled')) counts.set(m.chatId, (counts.get(m.chatId) ?? 0) + 1);
    expect([...counts.entries()].sort()).toEqual(targets.map((l) => [l.chatId, 1]).sort());
    const rows = await owner.ctx.db('message_recipients').where({ message_id: accepted.messageId });
    expect(rows.map((r) => Number(r.sent_at))).toEqual(rows.map(() => clock.now()));
  });

  it('a local time follows each person\'s zone (profile, else the bot\'s); quiet hours across midnight hold it, with the reason', async () => {
    const [tokyo, berlin] = take(2);
    await setBot({ delivery: { quietHours: { from: '22:00', to: '07:00' } } }, 'Europe/Berlin');
    expect((await setProfileZone(tokyo.userId, 'Asia/Tokyo')).status).toBe(200);
    // 12:00 UTC: 21:00 in Tokyo, 13:00 in Berlin. "At 10:00" is tomorrow 01:00 UTC in Tokyo, today 09:00 UTC in Berlin.
    const accepted = await send({ userIds: [tokyo.userId, berlin.userId], text: 'local-ten', localTime: '10:00', delaySeconds: 3600 });
    const byUser = (s: { recipients: Array<{ userId: string; dueAt?: number; status: string; error: string | null }> }, u: SeededLead) => s.recipients.find((r) => r.userId === u.userId)!;
    const scheduled = await status(accepted.messageId);
    expect(byUser(scheduled, tokyo)).toMatchObject({ status: 'scheduled', dueAt: Date.UTC(2026, 10, 22, 1, 0) });
    expect(byUser(scheduled, berlin)).toMatchObject({ status: 'scheduled', dueAt: Date.UTC(2026, 10, 22, 9, 0) });

    // The Tokyo person moves to New York before the time comes: 01:00 UTC is 20:00 there, fine;
    // the Berlin person moves to Sydney, where 09:00 UTC is 20:00: also fine. Then quiet hours
    // are read at leave time: make them 19:00–07:00 so both are held, each until their own 07:00.
    await setProfileZone(tokyo.userId, 'America/New_York');
    await setProfileZone(berlin.userId, 'Australia/Sydney');
    await setBot({ delivery: { quietHours: { from: '19:00', to: '07:00' } } });
    const worker = await workerBackend();
    try {
      clock.advance(13 * HOUR); // 01:00 UTC on the 22nd: Tokyo's row is due.
      await settled(async () => expect(byUser(await status(accepted.messageId), tokyo).status).toBe('deferred'), 10_000);
      const held = byUser(await status(accepted.messageId), tokyo);
      // 07:00 in New York on the 22nd (EST, UTC−5) = 12:00 UTC.
      expect(held).toMatchObject({ dueAt: Date.UTC(2026, 10, 22, 12, 0), error: expect.stringContaining('quiet hours (19:00–07:00 America/New_York)') });
      clock.advance(8 * HOUR); // 09:00 UTC: Berlin's (now Sydney's) row is due; 20:00 in Sydney (AEDT, UTC+11).
      await settled(async () => expect(byUser(await status(accepted.messageId), berlin).status).toBe('deferred'), 10_000);
      // 07:00 in Sydney on the 23rd = 20:00 UTC on the 22nd.
      expect(byUser(await status(accepted.messageId), berlin).dueAt).toBe(Date.UTC(2026, 10, 22, 20, 0));
      expect(received('local-ten')).toHaveLength(0);
      clock.advance(3 * HOUR); // 12:00 UTC: New York's morning.
      await settled(() => expect(received('local-ten').map((m) => m.chatId)).toEqual([tokyo.chatId]), 10_000);
      clock.advance(8 * HOUR);
      await settled(async () => expect((await status(accepted.messageId)).status).toBe('done'), 10_000);
      expect(received('local-ten').map((m) => m.chatId).sort()).toEqual([tokyo.chatId, berlin.chatId].sort());
      expect(byUser(await status(accepted.messageId), berlin).error).toBeNull();
    } finally {
      await worker.close();
    }
  });

  it('quiet hours hold a non-critical message sent at night until the morning; a critical one leaves at once', async () => {
    const [person] = take(1);
    // Now 2026-11-23 09:00 UTC + … move to 23:30 UTC: inside 22:00–07:00 in UTC (the bot's zone).
    const nowLocal = new Date(clock.now());
    const toNight = Date.UTC(nowLocal.getUTCFullYear(), nowLocal.getUTCMonth(), nowLocal.getUTCDate(), 23, 30) - clock.now();
    clock.advance(toNight > 0 ? toNight : toNight + 24 * HOUR);
    const night = clock.now();
    await setBot({ delivery: { quietHours: { from: '22:00', to: '07:00' } } });
    const worker = await workerBackend();
    try {
      const normal = await send({ userIds: [person.userId], text: 'night-normal' });
      const critical = await send({ userIds: [person.userId], text: 'night-critical', critical: true });
      await settled(() => expect(received('night-critical')).toHaveLength(1), 10_000);
      await settled(async () => expect((await status(normal.messageId)).recipients[0].status).toBe('deferred'), 10_000);
      const morning = night - (night % (24 * HOUR)) + 31 * HOUR; // 07:00 UTC the next day
      expect((await status(normal.messageId)).recipients[0]).toMatchObject({ dueAt: morning, error: expect.stringContaining('quiet hours') });
      expect((await status(critical.messageId)).status).toBe('done');
      clock.advance(morning - clock.now());
      await settled(() => expect(received('night-normal')).toHaveLength(1), 10_000);
    } finally {
      await worker.close();
    }
  });

  it('the person\'s state is checked when the message leaves: paused after scheduling → deferred with the reason; blocked → skipped', async () => {
    const [paused, blocked] = take(2);
    const accepted = await send({ userIds: [paused.userId, blocked.userId], text: 'state-at-leave', delaySeconds: 600 });
    const until = new Date(clock.now() + 5 * HOUR).toISOString();
    expect((await owner.request('POST', `/api/v1/bots/${botId}/users/${paused.userId}/pause`, { token, body: { until, notify: false } })).status).toBe(200);
    expect((await owner.request('POST', `/api/v1/bots/${botId}/users/${blocked.userId}/block`, { token, body: { notify: false } })).status).toBe(200);
    const worker = await workerBackend();
    try {
      clock.advance(601_000);
      await settled(async () => {
        const s = await status(accepted.messageId);
        expect(s.recipients.map((r: { status: string }) => r.status).sort()).toEqual(['deferred', 'skipped']);
      }, 10_000);
      const s = await status(accepted.messageId);
      expect(s.recipients.find((r: { userId: string }) => r.userId === paused.userId)).toMatchObject({ status: 'deferred', dueAt: Date.parse(until), error: `the user is paused until ${until}` });
      expect(s.recipients.find((r: { userId: string }) => r.userId === blocked.userId)).toMatchObject({ status: 'skipped', error: 'the user is blocked' });
      expect(received('state-at-leave')).toHaveLength(0);
    } finally {
      await worker.close();
    }
  });

  it('a cancel key is unique among pending messages; cancel by key or id cancels what has not left and records message.cancelled', async () => {
    const targets = take(3);
    const body = { userIds: targets.map((l) => l.userId), text: 'cart-reminder', delaySeconds: 86_400, cancelKey: 'reminder:order:9821' };
    const first = await send(body);
    expect(first.cancelKey).toBe('reminder:order:9821');
    const taken = await send(body, 409);
    expect(taken.message).toContain(first.messageId);

    const cancel = await owner.request('POST', `/api/v1/bots/${botId}/messages/cancel`, { token, body: { cancelKey: 'reminder:order:9821' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ success: true, messageId: first.messageId, cancelKey: 'reminder:order:9821', cancelled: 3, inFlight: [], finished: 0 });
    const again = await owner.request('POST', `/api/v1/bots/${botId}/messages/${first.messageId}/cancel`, { token });
    expect(again.body).toMatchObject({ cancelled: 0, inFlight: [], finished: 3 });
    const s = await status(first.messageId);
    expect(s).toMatchObject({ status: 'done', counts: { cancelled: 3, scheduled: 0, sent: 0 } });

    // The key is free again once its message finished; the new message is the one it cancels.
    const second = await send(body);
    const byId = await owner.request('POST', `/api/v1/bots/${botId}/messages/cancel`, { token, body: { cancelKey: 'reminder:order:9821' } });
    expect(byId.body.messageId).toBe(second.messageId);
    const events = await owner.ctx.db('events').where({ bot_id: botId, type: 'message.cancelled' }).orderBy('id');
    expect(events.map((e) => fromJson<{ messageId: string; cancelled: number }>(e.payload))).toEqual([
      expect.objectContaining({ messageId: first.messageId, cancelled: 3 }),
      expect.objectContaining({ messageId: first.messageId, cancelled: 0 }),
      expect.objectContaining({ messageId: second.messageId, cancelled: 3 }),
    ]);
    expect((await owner.request('POST', `/api/v1/bots/${botId}/messages/cancel`, { token, body: { cancelKey: 'no-such-key' } })).status).toBe(404);
    expect((await owner.request('POST', `/api/v1/bots/${botId}/messages/cancel`, { token, body: { cancelKey: 'bad key!' } })).status).toBe(422);
    const both = await owner.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { ...body, cancelKey: undefined, sendAt: new Date(clock.now()).toISOString() } });
    expect(both.status).toBe(422);
    const tooFar = await owner.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { userIds: [targets[0].userId], text: 'x', sendAt: new Date(clock.now() + 400 * 86_400_000).toISOString() } });
    expect(tooFar.body.errors).toEqual([{ path: 'sendAt', message: 'at most 366 days ahead' }]);
  });

  it('concurrent sends with one cancel key: exactly one is accepted, the others are refused', async () => {
    const [person] = take(1);
    const body = { userIds: [person.userId], text: 'one-key', delaySeconds: 3600, cancelKey: 'concurrent:key' };
    const answers = await Promise.all(range(0, 6).map(() => owner.request('POST', `/api/v1/bots/${botId}/messages`, { token, body })));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    const held = await owner.ctx.db('message_cancel_keys').where({ bot_id: botId, cancel_key: 'concurrent:key' });
    expect(held.map((k) => k.message_id)).toEqual([answers.find((a) => a.status === 202)!.body.messageId]);
    const stored = await owner.ctx.db('message_recipients').join('messages', 'messages.id', 'message_recipients.message_id').where('messages.content', 'like', '%"one-key"%');
    expect(stored).toHaveLength(1);
  });

  it('cancel racing the start mark: a claimed row not yet started is cancelled and never starts; one on the wire is reported', async () => {
    const targets = take(3);
    const accepted = await send({ userIds: targets.map((l) => l.userId), text: 'race-statement' });
    const claimed = await claimDueRecipients(owner.ctx.db, { botId, limit: 10, now: clock.now(), leaseMs: 30_000 });
    const ids = claimed.filter((r) => r.message_id === accepted.messageId).map((r) => r.id);
    expect(ids).toHaveLength(3);
    // The first row's send started (its mark committed) before the cancel; the others had not.
    expect(await markSendsStarted(owner.ctx.db, [ids[0]], clock.now())).toEqual([true]);
    const bot = (await getBot(owner.ctx, botId))!;
    const result = await owner.ctx.db.transaction((trx) => cancelMessage(trx, owner.ctx, bot, { messageId: accepted.messageId }));
    const onWire = claimed.find((r) => r.id === ids[0])!;
    expect(result).toMatchObject({ cancelled: 2, inFlight: [{ leadId: onWire.lead_id, userId: onWire.user_id }], finished: 0 });
    // The later marks are refused: those sends never start.
    expect(await markSendsStarted(owner.ctx.db, ids.slice(1), clock.now())).toEqual([false, false]);
    const s = await status(accepted.messageId);
    expect(s.counts).toMatchObject({ queued: 1, cancelled: 2 });
    expect(s.recipients.find((r: { leadId: string }) => r.leadId === onWire.lead_id)).toMatchObject({ status: 'queued', leftBeforeCancel: true });
  });

  it('cancel during a live fan-out: at most the sends on the wire leave after it, each reported; nothing cancelled reaches anyone', async () => {
    const targets = take(60);
    standin.latencyMs = 150;
    const worker = await workerBackend({ DELIVERY_RATE_PER_SECOND: '20' });
    try {
      const accepted = await send({ userIds: targets.map((l) => l.userId), text: 'race-live' });
      await telegram.waitFor((messages) => messages.filter((m) => m.text === 'race-live').length >= 5, 15_000);
      const cancel = await owner.request('POST', `/api/v1/bots/${botId}/messages/${accepted.messageId}/cancel`, { token });
      expect(cancel.status).toBe(200);
      const { cancelled, inFlight, finished } = cancel.body as { cancelled: number; inFlight: Array<{ leadId: string }>; finished: number };
      expect(cancelled + inFlight.length + finished).toBe(60);
      expect(cancelled).toBeGreaterThan(0);
      await settled(async () => expect((await status(accepted.messageId)).status).toBe('done'), 15_000);
      await new Promise((r) => setTimeout(r, 400));
      const s = await status(accepted.messageId);
      const got = new Set(received('race-live').map((m) => m.chatId));
      const sentLeads = new Set(s.recipients.filter((r: { status: string }) => r.status === 'sent').map((r: { leadId: string }) => r.leadId));
      // Exactly the rows recorded sent reached the stand-in, once each.
      expect(received('race-live')).toHaveLength(sentLeads.size);
      expect(targets.filter((l) => got.has(l.chatId)).map((l) => l.leadId).sort()).toEqual([...sentLeads].sort());
      // What left after the cancel is exactly what it reported on the wire.
      const leftAfter = s.recipients.filter((r: { leftBeforeCancel?: boolean }) => r.leftBeforeCancel).map((r: { leadId: string }) => r.leadId);
      expect(leftAfter.sort()).toEqual(inFlight.map((r) => r.leadId).sort());
      expect(sentLeads.size).toBeLessThanOrEqual(finished + inFlight.length);
      expect(s.counts.cancelled).toBe(cancelled);
    } finally {
      standin.latencyMs = 0;
      await worker.close();
    }
  });
});
