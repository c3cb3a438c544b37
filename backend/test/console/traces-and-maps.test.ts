import fc from 'fast-check';
import { appendTraceHops, type TraceHop } from '../../src/traces/traces';
import { addConsoleUser, consoleLogin, type ConsoleClient } from '../support/console';
import { userAccountMap } from '../support/maps';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`console: trace explorer and map history (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  let architect: ConsoleClient;
  const clock = new ManualClock();

  beforeAll(async () => {
    backend = await startTestBackend({ clock });
    ({ botId, token } = await backend.createBot());
    await addConsoleUser(backend, 'arch@example.com', 'architect');
    architect = await consoleLogin(backend, 'arch@example.com');
  });
  afterAll(() => backend.close());

  it('pages through every trace matching the filters exactly once, newest first, as a scan of the raw hops finds them', async () => {
    // Random histories: hops of 40 traces interleaved in time, with users, aliases, statuses and sources drawn from small sets.
    const hopArb = fc.record({
      trace: fc.integer({ min: 0, max: 39 }),
      user: fc.constantFrom('u1', 'u2', null),
      alias: fc.constantFrom('payments/succeeded', 'users/update', null),
      status: fc.constantFrom('accepted', 'sent', 'failed'),
      source: fc.constantFrom('crm', 'telegram', null),
    });
    const history = fc.sample(fc.array(hopArb, { minLength: 150, maxLength: 150 }), 1)[0];
    const written: Array<TraceHop & { at: number }> = [];
    for (const h of history) {
      clock.advance(1000);
      const hop: TraceHop = { botId, traceId: `tr-${h.trace}`, hop: 'endpoint.called', status: h.status, userId: h.user, alias: h.alias, sourceSystem: h.source };
      await appendTraceHops(backend.ctx.db, clock, [hop]);
      written.push({ ...hop, at: clock.now() });
    }
    const middle = written[50].at;
    const filters: Array<Record<string, string | number>> = [{}, { userId: 'u1' }, { alias: 'payments/succeeded', status: 'failed' }, { sourceSystem: 'crm', from: middle }, { to: middle, userId: 'u2' }];
    for (const filter of filters) {
      const matches = (h: (typeof written)[number]) =>
        (filter.userId === undefined || h.userId === filter.userId) &&
        (filter.alias === undefined || h.alias === filter.alias) &&
        (filter.status === undefined || h.status === filter.status) &&
        (filter.sourceSystem === undefined || h.sourceSystem === filter.sourceSystem) &&
        (filter.from === undefined || h.at >= Number(filter.from)) &&
        (filter.to === undefined || h.at < Number(filter.to));
      const expected: string[] = [];
      for (const h of [...written].reverse()) if (matches(h) && !expected.includes(h.traceId)) expected.push(h.traceId);
      const seen: string[] = [];
      let before: number | undefined;
      for (let page = 0; page < 50; page++) {
        const params = new URLSearchParams(Object.entries({ ...filter, limit: 3, ...(before ? { before } : {}) }).map(([k, v]): [string, string] => [k, String(v)]));
        const res = await architect.request('GET', `/bots/${botId}/traces?${params}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.traces.map((t: { traceId: string }) => t.traceId));
        if (res.body.nextBefore === null) break;
        before = res.body.nextBefore;
      }
      expect({ filter, seen }).toEqual({ filter, seen: expected });
    }
  });

  it('summarizes a trace and shows its hops in order with failures counted', async () => {
    clock.advance(1000);
    const start = clock.now();
    const chain: Array<Omit<TraceHop, 'botId' | 'traceId'>> = [
      { hop: 'endpoint.called', status: 'accepted', alias: 'payments/succeeded', sourceSystem: 'crm', userId: 'u9' },
      { hop: 'workflow.delivered', status: 'delivered', alias: 'payments/succeeded' },
      { hop: 'message.queued', status: 'queued', userId: 'u9' },
      { hop: 'message.failed', status: 'failed', userId: 'u9', leadId: 'ld_x' },
    ];
    for (const hop of chain) {
      await appendTraceHops(backend.ctx.db, clock, [{ botId, traceId: 'tr-chain', ...hop }]);
      clock.advance(250);
    }
    const list = await architect.request('GET', `/bots/${botId}/traces?userId=u9`);
    expect(list.body.traces).toEqual([
      { traceId: 'tr-chain', firstHop: 'endpoint.called', hops: 4, failures: 1, startedAt: start, endedAt: start + 750, alias: 'payments/succeeded', userId: 'u9', leadId: 'ld_x', sourceSystem: 'crm' },
    ]);
    const trace = await architect.request('GET', `/bots/${botId}/traces/tr-chain`);
    expect(trace.body.hops.map((h: { hop: string }) => h.hop)).toEqual(chain.map((h) => h.hop));
    expect(trace.body.truncated).toBe(false);
    expect((await architect.request('GET', `/bots/${botId}/traces/tr-none`)).status).toBe(404);
    expect((await architect.request('GET', `/bots/${botId}/traces?limit=1000`)).status).toBe(422);
  });

  it('records who wrote each map version: the token by name, the console user by email; rollback writes a new version', async () => {
    const { createToken } = await import('../../src/bots/tokens');
    const named = await createToken(backend.ctx, { botId, name: 'crm-sync', scopes: ['maps'] });
    await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token: named.token, body: { document: userAccountMap, comment: 'first' } });
    await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token, body: { document: { ...userAccountMap, endpoints: userAccountMap.endpoints.slice(1) } } });
    const rollback = await architect.request('POST', `/bots/${botId}/maps/rollback`, { version: 1, comment: 'back to the full map' });
    expect(rollback.status).toBe(201);
    const versions = (await architect.request('GET', `/bots/${botId}/maps`)).body.versions;
    expect(versions.map((v: Record<string, unknown>) => [v.version, v.author, v.authorKind, v.authorRef !== null, v.comment, v.rolledBackFrom])).toEqual([
      [3, 'arch@example.com', 'console', true, 'back to the full map', 1],
      [2, expect.stringMatching(/^token /), 'token', true, '', null],
      [1, 'crm-sync', 'token', true, 'first', null],
    ]);
    const diff = (await architect.request('GET', `/bots/${botId}/maps/diff?from=2&to=3`)).body.diff;
    expect(diff.added).toEqual([userAccountMap.endpoints[0].alias]);
  });
});
