import { createToken } from '../../src/bots/tokens';
import fc from 'fast-check';
import { seedLinkedLeads, range } from '../support/delivery';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`topics (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const clock = new ManualClock();
  const api = (method: string, path: string, body?: unknown, auth = token) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token: auth, body });
  const events = async (type: string) => (await backend.ctx.db('events').where({ bot_id: botId, type }).orderBy('id')).map((e) => ({ userId: e.user_id, leadId: e.lead_id, payload: JSON.parse(e.payload) }));
  const allMembers = async (key: string, limit: number) => {
    const seen: Array<{ kind: string; id: string }> = [];
    let cursor: string | null | undefined;
    do {
      const page = await api('GET', `/topics/${key}/members?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.members.map((m: { kind: string; id: string }) => ({ kind: m.kind, id: m.id })));
      cursor = page.body.nextCursor;
    } while (cursor);
    return seen;
  };

  beforeAll(async () => {
    backend = await startTestBackend({ clock });
    ({ botId, token } = await backend.createBot());
  });
  afterAll(() => backend.close());

  it('creates, lists and deletes topics; refuses a duplicate key, a bad key and an unknown topic', async () => {
    const created = await api('POST', '/topics', { key: 'family-news', name: 'Family news' });
    expect(created).toMatchObject({ status: 201, body: { success: true, topic: { key: 'family-news', name: 'Family news', createdAt: expect.any(String) } } });
    expect((await api('POST', '/topics', { key: 'family-news', name: 'Again' })).status).toBe(409);
    const bad = await api('POST', '/topics', { key: 'Not A Key', name: 'x' });
    expect(bad).toMatchObject({ status: 422, body: { success: false, errors: [{ path: 'key' }] } });
    expect((await api('GET', '/topics')).body.topics).toEqual([{ key: 'family-news', name: 'Family news', createdAt: expect.any(String), members: 0 }]);
    expect((await api('POST', '/topics/nope/subscribe', { userIds: ['u1'] })).status).toBe(404);
    expect((await api('DELETE', '/topics/family-news')).status).toBe(200);
    expect((await api('GET', '/topics')).body.topics).toEqual([]);
    expect((await api('DELETE', '/topics/family-news')).status).toBe(404);
  });

  it('subscribes users and leads once each, with one event per change; lists unknown leads; a token without "audiences" is refused', async () => {
    await api('POST', '/topics', { key: 'webinar', name: 'Webinar news' });
    const [lead] = await seedLinkedLeads(backend.ctx.db, botId, [501], clock.now());
    const first = await api('POST', '/topics/webinar/subscribe', { userIds: ['crm-1', 'crm-2'], leadIds: [lead.leadId, 'ld_missing'] });
    expect(first.body).toMatchObject({ success: true, changed: 3, unknown: ['ld_missing'] });
    expect((await api('POST', '/topics/webinar/subscribe', { userIds: ['crm-1'] })).body).toMatchObject({ changed: 0 });
    expect(await events('topic.subscribed')).toEqual([
      { userId: 'crm-1', leadId: null, payload: { topic: { key: 'webinar', name: 'Webinar news' }, member: { kind: 'user', id: 'crm-1' } } },
      { userId: 'crm-2', leadId: null, payload: expect.objectContaining({ member: { kind: 'user', id: 'crm-2' } }) },
      { userId: null, leadId: lead.leadId, payload: expect.objectContaining({ member: { kind: 'lead', id: lead.leadId } }) },
    ]);
    expect((await api('POST', '/topics/webinar/unsubscribe', { userIds: ['crm-2', 'crm-9'] })).body).toMatchObject({ changed: 1 });
    expect(await events('topic.unsubscribed')).toEqual([{ userId: 'crm-2', leadId: null, payload: expect.objectContaining({ member: { kind: 'user', id: 'crm-2' } }) }]);
    expect((await api('POST', '/topics/webinar/subscribe', {})).status).toBe(422);

    const { token: messagesOnly } = await backend.createBot({ scopes: ['messages'] });
    const other = await backend.request('GET', `/api/v1/bots/${botId}/topics`, { token: messagesOnly });
    expect(other.status).toBe(403);
    const { token: noAudiences } = await createToken(backend.ctx, { botId, scopes: ['messages', 'identity'] });
    expect((await api('GET', '/topics', undefined, noAudiences)).body).toMatchObject({ success: false, message: expect.stringContaining('audiences') });
  });

  it('membership after any sequence of subscribes and unsubscribes equals a brute-force model; pages list each member once', async () => {
    const people = range(1, 12).map((i) => `p${i}`);
    const leads = await seedLinkedLeads(backend.ctx.db, botId, range(9000, 6), clock.now());
    const op = fc.record({
      action: fc.constantFrom('subscribe', 'unsubscribe'),
      userIds: fc.subarray(people, { maxLength: 6 }),
      leadIds: fc.subarray(leads.map((l) => l.leadId), { maxLength: 3 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 5 }), async (ops, pageSize) => {
        const key = `prop-${++run}`;
        await api('POST', '/topics', { key, name: key });
        const model = new Set<string>();
        for (const o of ops) {
          if (o.userIds.length + o.leadIds.length === 0) continue;
          const res = await api('POST', `/topics/${key}/${o.action}`, { userIds: o.userIds, leadIds: o.leadIds });
          const expected = [...o.userIds.map((id) => `user:${id}`), ...o.leadIds.map((id) => `lead:${id}`)].filter((m) => (o.action === 'subscribe' ? !model.has(m) : model.has(m)));
          for (const m of expected) {
            if (o.action === 'subscribe') model.add(m);
            else model.delete(m);
          }
          expect(res.body.changed).toBe(expected.length);
        }
        const listed = (await allMembers(key, pageSize)).map((m) => `${m.kind}:${m.id}`);
        expect(listed).toHaveLength(new Set(listed).size);
        expect(listed.sort()).toEqual([...model].sort());
        await api('DELETE', `/topics/${key}`);
      }),
      { seed: 42, numRuns: 50 },
    );
  }, 400_000);

  it('refuses a cursor it did not give', async () => {
    await api('POST', '/topics', { key: 'cursor', name: 'c' });
    expect(await api('GET', '/topics/cursor/members?cursor=bm9wZQ')).toMatchObject({ status: 422, body: { errors: [{ path: 'cursor' }] } });
  });
});
