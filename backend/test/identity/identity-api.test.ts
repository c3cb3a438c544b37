import { ensureLead } from '../../src/identity/leads';
import { resumeExpiredPauses } from '../../src/identity/lifecycle';
import { noticeRecipients, resolveRecipients } from '../../src/identity/recipients';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`identity HTTP API (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const clock = new ManualClock();
  let chat = 0;
  const api = (method: string, path: string, body?: unknown, auth = token) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token: auth, body });
  const newLead = (channel: 'telegram' | 'webchat' = 'telegram') => ensureLead(backend.ctx.db, clock, { botId, channel, chatId: `c${++chat}`, profile: { firstName: 'Bo' } });
  const linkedUser = async (userId: string) => {
    const lead = await newLead();
    expect((await api('POST', '/links', { userId, leadId: lead.id })).status).toBe(200);
    return lead;
  };
  const lastEvent = async (userId: string) => {
    const row = await backend.ctx.db('events').where({ bot_id: botId, user_id: userId }).andWhere('type', 'like', 'user.%').orderBy('id', 'desc').first();
    return { ...row, payload: JSON.parse(row.payload) };
  };
  const resolve = (userIds: string[], critical = false) => resolveRecipients(backend.ctx.db, botId, { userIds }, { critical, now: clock.now() });

  beforeAll(async () => {
    backend = await startTestBackend({ clock });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  it('links by API, refuses to move a lead linked to another user, unlinks', async () => {
    const lead = await newLead();
    const linked = await api('POST', '/links', { userId: 'u1', leadId: lead.id });
    expect(linked.body).toMatchObject({ success: true, link: { userId: 'u1', leadId: lead.id, source: 'api', connectedAt: expect.any(String) }, trace_id: expect.any(String) });
    expect(await lastEvent('u1')).toMatchObject({ type: 'user.linked', lead_id: lead.id, trace_id: linked.body.trace_id });
    expect((await api('POST', '/links', { userId: 'u1', leadId: lead.id })).status).toBe(200);
    expect((await api('POST', '/links', { userId: 'u2', leadId: lead.id })).status).toBe(409);
    expect((await api('POST', '/links', { userId: 'u2', leadId: 'ld_nope' })).status).toBe(404);

    const user = await api('GET', '/users/u1');
    expect(user.body.user).toMatchObject({ userId: 'u1', state: 'active', pausedUntil: null, blockReason: null, leads: [expect.objectContaining({ id: lead.id, userId: 'u1' })] });
    const unlinked = await api('DELETE', '/links', { userId: 'u1', leadId: lead.id });
    expect(unlinked.body).toMatchObject({ success: true, unlinked: [lead.id] });
    expect(await lastEvent('u1')).toMatchObject({ type: 'user.unlinked', lead_id: lead.id });
    expect((await api('GET', '/users/u1')).body.user.leads).toEqual([]);
    expect((await api('GET', '/users/nobody')).status).toBe(404);
  });

  it('answers bad input with 422 listing the problems, and needs the identity scope', async () => {
    const bad = await api('POST', '/links', { userId: '', leadId: 'x' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['leadId', 'userId']);
    expect((await api('POST', '/link-tokens', { userId: 'u', ttlSeconds: 5 })).status).toBe(422);
    expect((await api('GET', '/leads?limit=0')).status).toBe(422);
    expect((await api('POST', '/users/u1/explode', {})).status).toBe(404);
    const tablesOnly = await backend.createBot({ scopes: ['tables'] });
    const denied = await backend.request('GET', `/api/v1/bots/${tablesOnly.botId}/leads`, { token: tablesOnly.token });
    expect(denied.status).toBe(403);
  });

  it('lists leads with filters and cursor paging', async () => {
    const mine = [await linkedUser('pager'), await newLead('webchat'), await newLead('webchat')];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { leads: Array<{ id: string }>; nextCursor: string | null } } = await api('GET', `/leads?channel=webchat&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.leads.map((l) => l.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining([mine[1].id, mine[2].id]));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await api('GET', '/leads?userId=pager')).body.leads.map((l: { id: string }) => l.id)).toEqual([mine[0].id]);
    expect((await api('GET', `/leads?chatId=${mine[1].chatId}&channel=webchat`)).body.leads).toHaveLength(1);
    expect((await api('GET', `/leads/${mine[0].id}`)).body.lead).toMatchObject({ id: mine[0].id, userId: 'pager', profile: { firstName: 'Bo' } });
    expect((await api('GET', '/leads/ld_missing')).status).toBe(404);
  });

  it('merges attributes and deletes a key set to null', async () => {
    const lead = await newLead();
    await api('PATCH', `/leads/${lead.id}/attributes`, { attributes: { plan: 'gold', score: 5 } });
    const patched = await api('PATCH', `/leads/${lead.id}/attributes`, { attributes: { score: null, city: 'Sochi' } });
    expect(patched.body.lead.attributes).toEqual({ plan: 'gold', city: 'Sochi' });
    expect((await api('PATCH', '/leads/ld_missing/attributes', { attributes: {} })).status).toBe(404);
    expect((await api('PATCH', `/leads/${lead.id}/attributes`, { attributes: 'x' })).status).toBe(422);
  });

  it('pauses until a time: only critical messages pass, the user is told, and the pause ends by itself', async () => {
    const lead = await linkedUser('u-pause');
    const until = new Date(clock.now() + 3_600_000).toISOString();
    const paused = await api('POST', '/users/u-pause/pause', { until });
    expect(paused.body.user).toMatchObject({ state: 'active', pausedUntil: until });
    const event = await lastEvent('u-pause');
    expect(event).toMatchObject({ type: 'user.paused', trace_id: paused.body.trace_id });
    expect(event.payload).toMatchObject({ until, leadIds: [lead.id], notice: { text: expect.stringMatching(/not disturb you until/), leadIds: [lead.id] } });
    expect((await resolve(['u-pause'])).deferred).toEqual([expect.objectContaining({ leadId: lead.id, until: Date.parse(until) })]);
    expect((await resolve(['u-pause'], true)).deliverable.map((r) => r.leadId)).toEqual([lead.id]);
    const trace = await api('GET', `/traces/${paused.body.trace_id}`);
    expect(trace.body.hops[0]).toEqual(expect.objectContaining({ hop: 'user.paused', status: 'pause', userId: 'u-pause' }));
    expect(trace.body.hops[1]).toEqual(expect.objectContaining({ hop: 'message.queued', detail: expect.objectContaining({ messageId: event.payload.notice.messageId }) }));

    expect((await api('POST', '/users/u-pause/pause', {})).status).toBe(422);
    expect((await api('POST', '/users/u-pause/pause', { until: new Date(clock.now() - 1).toISOString() })).status).toBe(409);

    clock.advance(3_600_001);
    expect(await resumeExpiredPauses(backend.ctx)).toBe(1);
    expect(await resumeExpiredPauses(backend.ctx)).toBe(0);
    expect(await lastEvent('u-pause')).toMatchObject({ type: 'user.resumed', payload: { auto: true, notice: { leadIds: [lead.id] } } });
    expect((await api('GET', '/users/u-pause')).body.user.pausedUntil).toBeNull();
  });

  it('resumes a pause early', async () => {
    await linkedUser('u-resume');
    await api('POST', '/users/u-resume/pause', { until: new Date(clock.now() + 60_000).toISOString() });
    const resumed = await api('POST', '/users/u-resume/resume', {});
    expect(resumed.body.user.pausedUntil).toBeNull();
    expect(await lastEvent('u-resume')).toMatchObject({ type: 'user.resumed', payload: { notice: { text: expect.stringMatching(/Welcome back/) } } });
    expect((await api('POST', '/users/u-resume/resume', {})).status).toBe(409);
  });

  it('blocks with a reason the user is told, and unblocks', async () => {
    const lead = await linkedUser('u-block');
    const blocked = await api('POST', '/users/u-block/block', { reason: 'Unpaid invoice' });
    expect(blocked.body.user).toMatchObject({ state: 'blocked', blockReason: 'Unpaid invoice' });
    expect(await lastEvent('u-block')).toMatchObject({ type: 'user.blocked', payload: { reason: 'Unpaid invoice', notice: { text: 'Your account has been blocked. Reason: Unpaid invoice', leadIds: [lead.id] } } });
    expect((await resolve(['u-block'], true)).inactive).toEqual([{ id: 'u-block', reason: 'blocked' }]);
    expect((await noticeRecipients(backend.ctx.db, botId, [lead.id])).map((r) => r.chatId)).toEqual([lead.chatId]);
    expect((await api('POST', '/users/u-block/block', {})).status).toBe(409);
    expect((await api('POST', '/users/u-block/pause', { until: new Date(clock.now() + 1000).toISOString() })).status).toBe(409);

    const unblocked = await api('POST', '/users/u-block/unblock', {});
    expect(unblocked.body.user).toMatchObject({ state: 'active', blockReason: null });
    expect(await lastEvent('u-block')).toMatchObject({ type: 'user.unblocked', payload: { notice: { text: expect.stringMatching(/unblocked/) } } });
    expect((await resolve(['u-block'])).deliverable).toHaveLength(1);
  });

  it('disconnects (told how to come back) and deletes (told nothing); both de-authorise', async () => {
    const lead = await linkedUser('u-disc');
    const disconnected = await api('POST', '/users/u-disc/disconnect', {});
    expect(disconnected.body.user).toMatchObject({ state: 'disconnected', leads: [] });
    expect(await lastEvent('u-disc')).toMatchObject({ type: 'user.unlinked', payload: { reason: 'disconnected', leadIds: [lead.id], notice: { text: expect.stringMatching(/sign in again/), leadIds: [lead.id] } } });
    expect((await resolve(['u-disc'], true)).inactive).toEqual([{ id: 'u-disc', reason: 'disconnected' }]);
    expect((await api('POST', '/links', { userId: 'u-disc', leadId: lead.id })).status).toBe(200);
    expect(await lastEvent('u-disc')).toMatchObject({ type: 'user.linked', payload: { reconnected: true } });

    await linkedUser('u-del');
    const deleted = await api('POST', '/users/u-del/delete', { notify: true });
    expect(deleted.body.user.state).toBe('deleted');
    expect(await lastEvent('u-del')).toMatchObject({ type: 'user.deleted', payload: { notice: null } });
    expect((await resolve(['u-del'], true)).inactive).toEqual([{ id: 'u-del', reason: 'deleted' }]);
    expect((await api('POST', '/users/u-del/block', {})).status).toBe(409);
  });

  it('honours notify: false', async () => {
    await linkedUser('u-quiet');
    await api('POST', '/users/u-quiet/block', { notify: false });
    expect((await lastEvent('u-quiet')).payload.notice).toBeNull();
  });

  it('users/update stores the pushed fields and records user.updated with what changed and where', async () => {
    await linkedUser('u-upd');
    const first = await api('POST', '/users/u-upd/update', { fields: { firstname: 'Ann', role: 'user', phone: '79181234567' }, originId: 'crm:profile-form' });
    expect(first.body).toMatchObject({ success: true, changed: ['firstname', 'role', 'phone'], user: { userId: 'u-upd', profile: { firstname: 'Ann', role: 'user', phone: '79181234567' } } });
    expect(await lastEvent('u-upd')).toMatchObject({
      type: 'user.updated',
      trace_id: first.body.trace_id,
      payload: { changed: ['firstname', 'role', 'phone'], fields: { firstname: 'Ann', role: 'user', phone: '79181234567' }, previous: { firstname: null, role: null, phone: null }, originId: 'crm:profile-form' },
    });
    const trace = await api('GET', `/traces/${first.body.trace_id}`);
    expect(trace.body.hops).toEqual([expect.objectContaining({ hop: 'user.updated', status: 'updated', userId: 'u-upd', detail: { changed: ['firstname', 'role', 'phone'], originId: 'crm:profile-form' } })]);
    expect(JSON.stringify(trace.body)).not.toContain('9181234567');

    const second = await api('POST', '/users/u-upd/update', { fields: { firstname: 'Ann', role: 'admin', location: { city: 'Sochi' } } });
    expect(second.body.changed).toEqual(['role', 'location']);
    expect((await lastEvent('u-upd')).payload).toEqual({ changed: ['role', 'location'], fields: { role: 'admin', location: { city: 'Sochi' } }, previous: { role: 'user', location: null }, originId: null });

    const events = async () => (await backend.ctx.db('events').where({ bot_id: botId, user_id: 'u-upd', type: 'user.updated' })).length;
    const before = await events();
    const same = await api('POST', '/users/u-upd/update', { fields: { role: 'admin', location: { city: 'Sochi' } } });
    expect(same.body.changed).toEqual([]);
    expect(await events()).toBe(before);
    expect((await api('GET', `/traces/${same.body.trace_id}`)).body.hops).toEqual([expect.objectContaining({ hop: 'user.updated', status: 'unchanged' })]);
    expect((await api('GET', '/users/u-upd')).body.user.profile).toEqual({ firstname: 'Ann', role: 'admin', phone: '79181234567', location: { city: 'Sochi' } });

    expect((await api('POST', '/users/nobody/update', { fields: { a: 1 } })).status).toBe(404);
    const empty = await api('POST', '/users/u-upd/update', { fields: {} });
    expect(empty.status).toBe(422);
    expect(empty.body.errors[0].path).toBe('fields');
  });

  it('publishes every identity route in the OpenAPI document', async () => {
    const doc = await backend.request('GET', '/openapi.json');
    for (const path of ['/link-tokens', '/links', '/users/{userId}', '/users/{userId}/update', '/users/{userId}/{action}', '/leads', '/leads/{leadId}', '/leads/{leadId}/attributes']) {
      expect(doc.body.paths[`/api/v1/bots/{botId}${path}`]).toBeDefined();
    }
  });
});
