import { ensureLead, getLead, markLeadReachable, markLeadUnreachable } from '../../src/identity/leads';
import { linkLead, unlinkUser } from '../../src/identity/links';
import { updateAccount } from '../../src/identity/accounts';
import { resolveRecipients } from '../../src/identity/recipients';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`identity: leads, links and recipients (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  const clock = new ManualClock();
  const db = () => backend.ctx.db;
  const lead = (chatId: string, channel: 'telegram' | 'webchat' = 'telegram', profile = {}) =>
    ensureLead(db(), clock, { botId, channel, chatId, profile });
  const link = (userId: string, leadId: string) =>
    db().transaction((trx) => linkLead(trx, backend.ctx, { botId, userId, leadId, channel: 'telegram', source: 'api', traceId: 't-link' }));
  const resolve = (targets: { userIds?: string[]; leadIds?: string[] }, options: { critical?: boolean; channel?: 'last' | 'all' } = {}) =>
    resolveRecipients(db(), botId, targets, { critical: options.critical ?? false, now: clock.now(), channel: options.channel });

  beforeAll(async () => {
    backend = await startTestBackend({ clock });
    ({ botId } = await backend.createBot());
  });
  afterAll(() => backend.close());

  it('creates a lead on first contact and refreshes profile and activity later, keeping its id', async () => {
    const first = await lead('100', 'telegram', { firstName: 'Ann', language: 'ru' });
    expect(first).toMatchObject({ id: expect.stringMatching(/^ld_/), botId, channel: 'telegram', chatId: '100', profile: { firstName: 'Ann', language: 'ru' }, attributes: {}, reachable: true, userId: null });
    clock.advance(1000);
    const again = await lead('100', 'telegram', { lastName: 'Lee' });
    expect(again.id).toBe(first.id);
    expect(again.profile).toEqual({ firstName: 'Ann', lastName: 'Lee', language: 'ru' });
    expect(again.lastActivityAt).toBe(first.lastActivityAt + 1000);
    expect(again.createdAt).toBe(first.createdAt);
    const other = await lead('100', 'webchat');
    expect(other.id).not.toBe(first.id);
  });

  it('resolves users to their most recently active lead, or to all of them', async () => {
    const tg = await lead('u1-tg');
    clock.advance(10);
    const web = await lead('u1-web', 'webchat');
    await link('u1', tg.id);
    await link('u1', web.id);
    const last = await resolve({ userIds: ['u1'] });
    expect(last.deliverable).toEqual([expect.objectContaining({ leadId: web.id, userId: 'u1', channel: 'webchat', chatId: 'u1-web' })]);
    clock.advance(10);
    await lead('u1-tg');
    expect((await resolve({ userIds: ['u1'] })).deliverable.map((r) => r.leadId)).toEqual([tg.id]);
    const all = await resolve({ userIds: ['u1'] }, { channel: 'all' });
    expect(all.deliverable.map((r) => r.leadId).sort()).toEqual([tg.id, web.id].sort());
  });

  it('names unknown ids: never-linked users, users whose leads were unlinked, missing leads', async () => {
    const gone = await lead('gone');
    await link('u-gone', gone.id);
    await db().transaction((trx) => unlinkUser(trx, backend.ctx, { botId, userId: 'u-gone', traceId: 't', reason: 'api' }));
    const answer = await resolve({ userIds: ['nobody', 'u-gone'], leadIds: ['ld_missing'] });
    expect(answer.unknown.sort()).toEqual(['ld_missing', 'nobody', 'u-gone']);
    expect(answer.deliverable).toEqual([]);
  });

  it('defers paused users until the pause ends unless the message is critical; an expired pause is over', async () => {
    const l = await lead('paused');
    await link('u-paused', l.id);
    const until = clock.now() + 3_600_000;
    await db().transaction((trx) => updateAccount(trx, clock, botId, 'u-paused', { pausedUntil: until }));
    const normal = await resolve({ userIds: ['u-paused'] });
    expect(normal.deliverable).toEqual([]);
    expect(normal.deferred).toEqual([expect.objectContaining({ leadId: l.id, until })]);
    const critical = await resolve({ userIds: ['u-paused'] }, { critical: true });
    expect(critical.deliverable.map((r) => r.leadId)).toEqual([l.id]);
    clock.advance(3_600_001);
    expect((await resolve({ userIds: ['u-paused'] })).deliverable.map((r) => r.leadId)).toEqual([l.id]);
  });

  it('names blocked, deleted and disconnected users and people who blocked the bot as inactive', async () => {
    for (const state of ['blocked', 'deleted', 'disconnected'] as const) {
      const l = await lead(`s-${state}`);
      await link(`u-${state}`, l.id);
      await db().transaction((trx) => updateAccount(trx, clock, botId, `u-${state}`, { state }));
    }
    const blocker = await lead('blocker');
    await link('u-blocker', blocker.id);
    const changed = await db().transaction((trx) => markLeadUnreachable(trx, backend.ctx, { botId, leadId: blocker.id, traceId: 't-403' }));
    expect(changed).toBe(true);
    const answer = await resolve({ userIds: ['u-blocked', 'u-deleted', 'u-disconnected', 'u-blocker'], leadIds: [blocker.id] }, { critical: true });
    expect(answer.deliverable).toEqual([]);
    expect(answer.inactive).toEqual(expect.arrayContaining([
      { id: 'u-blocked', reason: 'blocked' },
      { id: 'u-deleted', reason: 'deleted' },
      { id: 'u-disconnected', reason: 'disconnected' },
      { id: 'u-blocker', reason: 'bot_blocked' },
      { id: blocker.id, reason: 'bot_blocked' },
    ]));
  });

  it('records bot.blocked once and bot.unblocked on the way back, in the caller transaction', async () => {
    const l = await lead('blocks');
    await link('u-blocks', l.id);
    await db().transaction((trx) => markLeadUnreachable(trx, backend.ctx, { botId, leadId: l.id, traceId: 't-b1' }));
    expect(await db().transaction((trx) => markLeadUnreachable(trx, backend.ctx, { botId, leadId: l.id, traceId: 't-b2' }))).toBe(false);
    const blocked = await db()('events').where({ bot_id: botId, lead_id: l.id, type: 'bot.blocked' });
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ trace_id: 't-b1', user_id: 'u-blocks' });
    expect(JSON.parse(blocked[0].payload)).toEqual({ channel: 'telegram' });
    expect((await getLead(db(), botId, l.id))!.reachable).toBe(false);

    await expect(db().transaction(async (trx) => {
      await markLeadReachable(trx, backend.ctx, { botId, leadId: l.id, traceId: 't-rollback' });
      throw new Error('caller failed');
    })).rejects.toThrow('caller failed');
    expect(await db()('events').where({ trace_id: 't-rollback' })).toHaveLength(0);

    await db().transaction((trx) => markLeadReachable(trx, backend.ctx, { botId, leadId: l.id, traceId: 't-b3' }));
    expect((await getLead(db(), botId, l.id))!.reachable).toBe(true);
    expect(await db()('events').where({ trace_id: 't-b3', type: 'bot.unblocked' })).toHaveLength(1);
    expect(await db()('trace_hops').where({ trace_id: 't-b3', hop: 'bot.unblocked' })).toHaveLength(1);
  });

  it('resolves 2,000 users in one answer with every id accounted for', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `bulk-${i}`);
    const rows = ids.slice(0, 1000).map((_userId, i) => ({ id: `ld_bulk${i}`, bot_id: botId, channel: 'telegram', chat_id: `bulk-${i}`, attributes: '{}', reachable: true, last_activity_at: 1, created_at: 1 }));
    await db().batchInsert('leads', rows, 200);
    await db().batchInsert('links', rows.map((r, i) => ({ lead_id: r.id, bot_id: botId, user_id: ids[i], source: 'api', status: 'connected', connected_at: 1 })), 200);
    const answer = await resolve({ userIds: [...ids, 'bulk-0'] });
    expect(answer.deliverable).toHaveLength(1000);
    expect(answer.deliverable[0]).toMatchObject({ userId: 'bulk-0', leadId: 'ld_bulk0', attributes: {} });
    expect(answer.unknown).toHaveLength(1000);
  });
});
