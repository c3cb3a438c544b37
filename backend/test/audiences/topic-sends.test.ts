import fc from 'fast-check';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { isDeliverable, accountOf, type Population, seedPopulation } from './population';

/**
 * A send to topics is resolved by one INSERT … SELECT. Its rows are compared with a brute-force
 * model: for each topic and member, the lead itself or the user's chosen chats, then one copy per
 * lead (the lowest topic id), minus unreachable, inactive and excluded people.
 */
describe(`sends to topics (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let population: Population;
  const clock = new ManualClock();
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
    population = await seedPopulation(backend.ctx.db, botId, clock.now());
  });
  afterAll(() => backend.close());

  type Channel = 'last' | 'all' | 'telegram' | 'vk';
  /** The model: who a send to `topics` (id → members) reaches, with the topic each came through and the status. */
  function expected(topics: Array<{ id: number; users: string[]; leads: string[] }>, channel: Channel, excludeUserIds: string[], excludeLeadIds: string[], critical: boolean) {
    const came = new Map<string, number>();
    const offer = (leadId: string, topicId: number) => came.set(leadId, Math.min(came.get(leadId) ?? Infinity, topicId));
    const inChannel = (c: string) => channel === 'last' || channel === 'all' || c === channel;
    for (const topic of topics) {
      for (const id of topic.leads) {
        const lead = population.leads.find((l) => l.id === id)!;
        if (inChannel(lead.channel)) offer(id, topic.id);
      }
      for (const userId of topic.users) {
        const chats = population.leads
          .filter((l) => l.userId === userId && l.reachable && inChannel(l.channel))
          .sort((a, b) => b.lastActivityAt - a.lastActivityAt || (a.id < b.id ? -1 : 1));
        for (const chat of channel === 'all' ? chats : chats.slice(0, 1)) offer(chat.id, topic.id);
      }
    }
    return [...came.entries()]
      .map(([leadId, topicId]) => ({ lead: population.leads.find((l) => l.id === leadId)!, topicId }))
      .filter(({ lead }) => isDeliverable(population, lead) && !excludeLeadIds.includes(lead.id) && !(lead.userId && excludeUserIds.includes(lead.userId)))
      .map(({ lead, topicId }) => {
        const paused = !critical && (accountOf(population, lead)?.pausedUntil ?? 0) > clock.now();
        return { leadId: lead.id, userId: lead.userId, topicId, status: paused ? 'deferred' : 'queued' };
      })
      .sort((a, b) => (a.leadId < b.leadId ? -1 : 1));
  }

  it('writes exactly the rows the brute-force model computes, for any memberships, channel and exclusions', async () => {
    const leadIds = population.leads.map((l) => l.id);
    const topic = fc.record({ users: fc.subarray(population.userIds), leads: fc.subarray(leadIds, { maxLength: 6 }) });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(topic, { minLength: 1, maxLength: 3 }),
        fc.constantFrom<Channel>('last', 'all', 'telegram', 'vk'),
        fc.subarray(population.userIds, { maxLength: 3 }),
        fc.subarray(leadIds, { maxLength: 3 }),
        fc.boolean(),
        async (topics, channel, excludeUserIds, excludeLeadIds, critical) => {
          const created: Array<{ id: number; key: string; users: string[]; leads: string[] }> = [];
          for (const [i, t] of topics.entries()) {
            const key = `t${++run}-${i}`;
            expect((await api('POST', '/topics', { key, name: key })).status).toBe(201);
            if (t.users.length + t.leads.length > 0) expect((await api('POST', `/topics/${key}/subscribe`, { userIds: t.users, leadIds: t.leads })).status).toBe(200);
            const row = await backend.ctx.db('topics').where({ bot_id: botId, key }).first('id');
            created.push({ id: row.id, key, ...t });
          }
          const want = expected(created, channel, excludeUserIds, excludeLeadIds, critical);
          const res = await api('POST', '/messages', { topics: created.map((t) => t.key), text: 'Hi {{ lead.id }}', channel, excludeUserIds, excludeLeadIds, critical });
          if (want.length === 0) {
            expect(res.body).toMatchObject({ success: false, message: 'Nobody to reach in these topics' });
          } else {
            expect(res.status).toBe(202);
            expect(res.body).toMatchObject({ queued: want.filter((w) => w.status === 'queued').length, deferred: want.filter((w) => w.status === 'deferred').length });
            const rows = await backend.ctx.db('message_recipients').where({ message_id: res.body.messageId }).orderBy('lead_id');
            expect(rows.map((r) => ({ leadId: r.lead_id, userId: r.user_id, topicId: r.topic_id, status: r.status }))).toEqual(want);
          }
          for (const t of created) await api('DELETE', `/topics/${t.key}`);
        },
      ),
      { seed: 42, numRuns: 50 },
    );
  }, 400_000);

  it('refuses an unknown topic, topics with userIds, exclusions without topics and previewFor with topics, each with its path', async () => {
    await api('POST', '/topics', { key: 'refusals', name: 'r' });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ topics: ['refusals', 'no-such'], text: 'x' }, 'topics.1'],
      [{ topics: ['refusals'], userIds: ['pu1'], text: 'x' }, 'topics'],
      [{ userIds: ['pu1'], excludeUserIds: ['pu2'], text: 'x' }, 'excludeUserIds'],
      [{ topics: ['refusals'], previewFor: { userId: 'pu1' }, text: 'x' }, 'topics'],
      [{ topics: ['Bad Key'], text: 'x' }, 'topics.0'],
    ];
    for (const [body, path] of cases) {
      const res = await api('POST', '/messages', body);
      expect({ status: res.status, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ status: 422, paths: expect.arrayContaining([path]) });
    }
  });

  it('a template that fails for the people written, or nobody to reach, leaves no message and no row behind', async () => {
    await api('POST', '/topics', { key: 'rollback', name: 'Rollback' });
    await api('POST', '/topics/rollback/subscribe', { userIds: population.userIds });
    await api('POST', '/topics', { key: 'empty', name: 'Empty' });
    const written = async () => ({ messages: Number((await backend.ctx.db('messages').count({ n: '*' }))[0]!.n), rows: Number((await backend.ctx.db('message_recipients').count({ n: '*' }))[0]!.n) });
    const before = await written();
    // Short as written, 5,000 characters once rendered for a person: refused after the rows were written.
    const tooLong = await api('POST', '/messages', { topics: ['rollback'], text: '{% for i in (1..5000) %}x{% endfor %}' });
    expect({ status: tooLong.status, message: tooLong.body.message }).toEqual({ status: 422, message: expect.stringContaining('Message too long for Telegram (rendered for lead') });
    const nobody = await api('POST', '/messages', { topics: ['empty'], text: 'Hi' });
    expect(nobody.body).toMatchObject({ success: false, message: 'Nobody to reach in these topics' });
    expect(await written()).toEqual(before);
    const sent = await api('POST', '/messages', { topics: ['rollback'], text: 'Hi {{ lead.id }}' });
    expect(sent.status).toBe(202);
    expect((await written()).rows).toBe(before.rows + sent.body.queued + sent.body.deferred);
  });

  it('a dry run counts and previews; a scheduled send to a topic writes scheduled rows', async () => {
    await api('POST', '/topics', { key: 'everyone', name: 'Everyone' });
    await api('POST', '/topics/everyone/subscribe', { userIds: population.userIds });
    const dry = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { topics: ['everyone'], text: 'Hello {{ lead.id }}' }, headers: { 'x-dry-run': 'true' } });
    expect(dry.body).toMatchObject({ success: true, dry_run: true, messageId: null, queued: expect.any(Number), preview: expect.any(Array) });
    expect(dry.body.preview[0].text).toBe(`Hello ${dry.body.preview[0].leadId}`);
    const sendAt = new Date(clock.now() + 3_600_000).toISOString();
    const scheduled = await api('POST', '/messages', { topics: ['everyone'], text: 'later', sendAt });
    expect(scheduled.body).toMatchObject({ success: true, queued: 0, scheduled: dry.body.queued, sendAt });
    const statuses = await backend.ctx.db('message_recipients').where({ message_id: scheduled.body.messageId }).distinct('status', 'due_at');
    expect(statuses.map((s) => [s.status, Number(s.due_at)])).toEqual([['scheduled', Date.parse(sendAt)]]);
  });

  it("a local time is each person's own: the profile's zone, else the bot's, across the date line", async () => {
    // 12:00 UTC on 21 November. The bot is in Auckland (UTC+13: already 01:00 on the 22nd there).
    await backend.ctx.db('bots').where({ id: botId }).update({ timezone: 'Pacific/Auckland' });
    const profiles: Array<[Record<string, unknown>, number]> = [
      [{ timeZone: 'Asia/Tokyo' }, Date.UTC(2026, 10, 22, 1, 0)], // 21:00 there: 10:00 is tomorrow
      [{ timeZone: 'America/New_York' }, Date.UTC(2026, 10, 21, 15, 0)], // 07:00 there: today
      [{ timezone: 'Europe/Berlin' }, Date.UTC(2026, 10, 22, 9, 0)], // the lowercase field too
      [{ timeZone: 'US/Eastern' }, Date.UTC(2026, 10, 21, 15, 0)], // an alias, not a canonical name
      [{ timeZone: 'Not/AZone' }, Date.UTC(2026, 10, 21, 21, 0)], // no such zone: the bot's
      [{ timeZone: 5, timezone: 'Asia/Tokyo' }, Date.UTC(2026, 10, 21, 21, 0)], // timeZone given, but no zone
      [{}, Date.UTC(2026, 10, 21, 21, 0)], // the bot's 10:00 on the 22nd
    ];
    const dueOfUser = new Map<string, number>();
    for (const [i, userId] of population.userIds.entries()) {
      const [profile, due] = profiles[i % profiles.length];
      await backend.ctx.db('user_accounts').where({ bot_id: botId, user_id: userId }).update({ profile: JSON.stringify(profile) });
      dueOfUser.set(userId, due);
    }
    const leadMembers = population.leads.filter((l) => l.userId === null).map((l) => l.id);
    await api('POST', '/topics', { key: 'zones', name: 'Zones' });
    await api('POST', '/topics/zones/subscribe', { userIds: population.userIds, leadIds: leadMembers });
    const res = await api('POST', '/messages', { topics: ['zones'], text: 'at ten', localTime: '10:00', channel: 'all' });
    const rows = await backend.ctx.db('message_recipients').where({ message_id: res.body.messageId }).orderBy('lead_id');
    expect(rows.length).toBeGreaterThan(profiles.length);
    expect(rows.map((r) => ({ leadId: r.lead_id, status: r.status, dueAt: Number(r.due_at) }))).toEqual(
      rows.map((r) => ({ leadId: r.lead_id, status: 'scheduled', dueAt: r.user_id === null ? Date.UTC(2026, 10, 21, 21, 0) : dueOfUser.get(r.user_id) })),
    );
    const first = Math.min(...rows.map((r) => Number(r.due_at)));
    expect(res.body).toMatchObject({ success: true, queued: 0, scheduled: rows.length, sendAt: new Date(first).toISOString() });
    // A segment send takes the same path.
    const segment = await api('POST', '/messages', { segment: { filter: { conditions: [{ column: 'topic.zones', op: 'isTrue' }] } }, text: 'seg', localTime: '10:00', cancelKey: 'zones-seg' });
    const segmentRows = await backend.ctx.db('message_recipients').where({ message_id: segment.body.messageId });
    expect(segmentRows.length).toBeGreaterThan(0);
    for (const r of segmentRows) expect(Number(r.due_at)).toBe(r.user_id === null ? Date.UTC(2026, 10, 21, 21, 0) : dueOfUser.get(r.user_id));
  });
});
