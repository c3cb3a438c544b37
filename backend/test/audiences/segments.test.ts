import fc from 'fast-check';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { accountOf, isDeliverable, type ModelLead, type Population, seedPopulation } from './population';

type Cond = { column: string; op: string; value?: unknown };

/**
 * Segments against a brute-force model: each filter is evaluated in JS person by person, with the
 * data tables' semantics (neq also matches empty; isEmpty is null or ""; a JSON field compares as
 * the value's type and is empty when it holds another type), and compared with the SQL answer.
 */
describe(`segments (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let population: Population;
  const clock = new ManualClock();
  const members = new Set<string>();
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false' } });
    ({ botId, token } = await backend.createBot());
    population = await seedPopulation(backend.ctx.db, botId, clock.now());
    await api('POST', '/topics', { key: 'vip', name: 'VIP' });
    const users = population.userIds.filter((_, i) => i % 3 === 0);
    const leads = population.leads.filter((_, i) => i % 4 === 1).map((l) => l.id);
    await api('POST', '/topics/vip/subscribe', { userIds: users, leadIds: leads });
    for (const u of users) members.add(`user:${u}`);
    for (const l of leads) members.add(`lead:${l}`);
  });
  afterAll(() => backend.close());

  /** A value of a person as the column reads it, typed by what the condition compares. */
  function valueOf(lead: ModelLead, cond: Cond): unknown {
    const account = accountOf(population, lead);
    switch (cond.column) {
      case 'channel':
        return lead.channel;
      case 'linked':
        return lead.userId !== null;
      case 'state':
        return account?.state ?? null;
      case 'reachable':
        return lead.reachable;
      case 'lastActivityAt':
        return lead.lastActivityAt;
      case 'topic.vip':
        return members.has(`lead:${lead.id}`) || (lead.userId !== null && members.has(`user:${lead.userId}`));
    }
    const [source, key] = cond.column.split('.');
    const raw = source === 'attributes' ? lead.attributes[key] : account?.profile[key];
    if (raw === undefined || raw === null) return null;
    if (['isEmpty', 'isNotEmpty'].includes(cond.op)) return raw;
    const sample = Array.isArray(cond.value) ? cond.value[0] : cond.value;
    const wanted = ['isTrue', 'isFalse'].includes(cond.op) ? 'boolean' : typeof sample === 'number' ? 'number' : typeof sample === 'boolean' ? 'boolean' : 'string';
    return typeof raw === wanted ? raw : null;
  }

  function holds(lead: ModelLead, cond: Cond): boolean {
    const v = valueOf(lead, cond);
    const given = cond.column === 'lastActivityAt' && typeof cond.value === 'string' ? Date.parse(cond.value) : cond.value;
    switch (cond.op) {
      case 'eq':
        return v !== null && v === given;
      case 'neq':
        return v === null || v !== given;
      case 'gt':
        return v !== null && (v as number) > (given as number);
      case 'gte':
        return v !== null && (v as number) >= (given as number);
      case 'lt':
        return v !== null && (v as number) < (given as number);
      case 'in':
        return v !== null && (given as unknown[]).includes(v);
      case 'like':
        return typeof v === 'string' && v.startsWith(String(given).replace(/%$/, ''));
      case 'isEmpty':
        return v === null || v === '';
      case 'isNotEmpty':
        return !(v === null || v === '');
      case 'isTrue':
        return v === true;
      case 'isFalse':
        return v === false;
    }
    throw new Error(`no model for ${cond.op}`);
  }

  const condition: fc.Arbitrary<Cond> = fc.oneof(
    fc.record({ column: fc.constant('channel'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom('telegram', 'vk', 'webchat') }),
    fc.record({ column: fc.constant('channel'), op: fc.constant('in'), value: fc.subarray(['telegram', 'vk', 'webchat'], { minLength: 1 }) }),
    fc.record({ column: fc.constantFrom('linked', 'reachable', 'topic.vip', 'attributes.vip'), op: fc.constantFrom('isTrue', 'isFalse') }),
    fc.record({ column: fc.constant('state'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom('active', 'blocked') }),
    fc.record({ column: fc.constant('state'), op: fc.constantFrom('isEmpty', 'isNotEmpty') }),
    fc.record({ column: fc.constant('attributes.region'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom('north', 'south', 'west') }),
    fc.record({ column: fc.constant('attributes.region'), op: fc.constant('like'), value: fc.constantFrom('no%', 's%') }),
    fc.record({ column: fc.constant('attributes.score'), op: fc.constantFrom('gt', 'lt', 'gte', 'eq', 'neq'), value: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ column: fc.constant('attributes.score'), op: fc.constant('eq'), value: fc.constant('3') }),
    fc.record({ column: fc.constant('attributes.note'), op: fc.constantFrom('isEmpty', 'isNotEmpty') }),
    fc.record({ column: fc.constant('profile.city'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom('Berlin', 'Oslo') }),
    fc.record({ column: fc.constant('profile.level'), op: fc.constantFrom('gte', 'lt'), value: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ column: fc.constant('lastActivityAt'), op: fc.constantFrom('gte', 'lt'), value: fc.constantFrom(1, 2, 3).map((m) => new Date(clock.now() - m * 60_000).toISOString()) }),
  );

  it('preview and send resolve exactly the people the brute-force model selects, for any filter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<'all' | 'any'>('all', 'any'), fc.array(condition, { minLength: 0, maxLength: 4 }), async (match, conditions) => {
        const filter = { match, conditions };
        const matching = population.leads
          .filter((l) => (conditions.length === 0 ? true : match === 'all' ? conditions.every((c) => holds(l, c)) : conditions.some((c) => holds(l, c))))
          .map((l) => l.id)
          .sort();
        const reached = matching.filter((id) => isDeliverable(population, population.leads.find((l) => l.id === id)!));
        const preview = await api('POST', '/segments/preview', { filter });
        expect(preview.status).toBe(200);
        expect({ count: preview.body.count, deliverable: preview.body.deliverable }).toEqual({ count: matching.length, deliverable: reached.length });
        expect(preview.body.sample.map((s: { leadId: string }) => s.leadId)).toEqual(matching.slice(0, 10));
        const sent = await api('POST', '/messages', { segment: { filter }, text: 'Segment news' });
        if (reached.length === 0) return void expect(sent.body).toMatchObject({ success: false, message: 'Nobody to reach in this segment' });
        const rows = await backend.ctx.db('message_recipients').where({ message_id: sent.body.messageId }).orderBy('lead_id');
        expect(rows.map((r) => r.lead_id)).toEqual(reached);
      }),
      { seed: 42, numRuns: 50 },
    );
  }, 400_000);

  it('refuses an unknown column, an unknown topic and a bad value with their paths, never a 500', async () => {
    const cases: Array<[Cond, string]> = [
      [{ column: 'password', op: 'eq', value: 'x' }, 'segment.filter.conditions.0.column'],
      [{ column: 'topic.none', op: 'isTrue' }, 'segment.filter.topics.0'],
      [{ column: 'lastActivityAt', op: 'gt', value: 'yesterday' }, 'segment.filter.conditions.0.value'],
      [{ column: 'channel', op: 'isTrue' }, 'segment.filter.conditions.0.op'],
      [{ column: 'attributes.a"b', op: 'eq', value: 'x' }, 'segment.filter.conditions.0.column'],
    ];
    for (const [cond, path] of cases) {
      const res = await api('POST', '/segments/preview', { filter: { conditions: [cond] } });
      expect({ status: res.status, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ status: 422, paths: [path] });
    }
  });
});
