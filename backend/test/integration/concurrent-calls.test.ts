import { userAccountMap } from '../support/maps';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

describe(`concurrent calls share group commits and each is persisted (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
  });
  afterAll(() => backend.close());

  /** `n` calls of users/update sent at once; `call(i)` gives the i-th one's params and headers. */
  const burst = (n: number, call: (i: number) => { params: Record<string, unknown>; headers?: Record<string, string> }, bot = { botId, token }) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => {
        const { params, headers } = call(i);
        return backend.request('POST', `/api/v1/bots/${bot.botId}/call/users/update`, { token: bot.token, headers, body: { script_request_params: params } });
      }),
    );

  it('answers 200 only for calls whose event and trace hop are stored, each with its own event id', async () => {
    const calls = 100;
    const answers = await burst(calls, (i) => ({ headers: { 'X-Trace-Id': `burst-${i}` }, params: { userId: i, role: 'user' } }));
    expect(answers.map((a) => a.status)).toEqual(Array(calls).fill(200));
    expect(new Set(answers.map((a) => a.body.event_id)).size).toBe(calls);

    const events = await backend.ctx.db('events').where('trace_id', 'like', 'burst-%');
    const hops = await backend.ctx.db('trace_hops').where('trace_id', 'like', 'burst-%');
    expect(events).toHaveLength(calls);
    expect(hops).toHaveLength(calls);
    const eventById = new Map(events.map((e) => [Number(e.id), e]));
    const hopByTrace = new Map(hops.map((h) => [h.trace_id, h]));
    answers.forEach((answer, i) => {
      // The id in each answer is the id of that call's own event, and its hop points to it.
      const event = eventById.get(answer.body.event_id);
      expect(event).toMatchObject({ trace_id: `burst-${i}`, user_id: String(i) });
      expect(JSON.parse(hopByTrace.get(`burst-${i}`).detail)).toEqual({ event_id: answer.body.event_id, map_version: 1 });
    });
  });

  it('a burst of calls on a map version nobody called yet reads and compiles that version once', async () => {
    const fresh = await backend.createBot({ map: userAccountMap });
    const versionReads: string[] = [];
    const seen = (query: { sql: string }) => void (/from .communication_maps. where .bot_id. = \S+ and .version. = /.test(query.sql) && versionReads.push(query.sql));
    backend.ctx.db.on('query', seen);
    const answers = await burst(20, (i) => ({ params: { userId: i, role: 'user' } }), fresh);
    backend.ctx.db.off('query', seen);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(versionReads).toHaveLength(1);
  });

  it('numbers the events of a batch in the order of its calls, as their hops', async () => {
    const answers = await burst(30, (i) => ({ headers: { 'X-Trace-Id': `order-${i}` }, params: { userId: 'same-person', role: 'user', n: i } }));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const eventOrder = (await backend.ctx.db('events').where('trace_id', 'like', 'order-%').orderBy('id')).map((e) => e.trace_id);
    const hopOrder = (await backend.ctx.db('trace_hops').where('trace_id', 'like', 'order-%').orderBy('id')).map((h) => h.trace_id);
    expect(eventOrder).toEqual(hopOrder);
    expect(eventOrder).toHaveLength(30);
  });

  it('a call the database cannot store fails alone; the rest of its batch is stored', async () => {
    const answers = await burst(10, (i) => ({ headers: { 'X-Trace-Id': `nul-${i}` }, params: { userId: i === 4 ? 'a\u0000b' : `nul-user-${i}`, role: 'user' } }));
    // PostgreSQL cannot store NUL in text (the caller's error); SQLite can.
    const refused = dialect === 'postgresql' ? [4] : [];
    expect(answers.map((a) => a.status)).toEqual(answers.map((_, i) => (refused.includes(i) ? 400 : 200)));
    expect(await backend.ctx.db('events').where('trace_id', 'like', 'nul-%')).toHaveLength(10 - refused.length);
    expect(await backend.ctx.db('trace_hops').where('trace_id', 'like', 'nul-%')).toHaveLength(10 - refused.length);
  });

  it('idempotent calls and plain calls arriving together are all persisted once', async () => {
    const answers = await burst(40, (i) => ({
      headers: { 'X-Trace-Id': `mixed-${i}`, ...(i % 2 === 0 ? { 'Idempotency-Key': `mixed-key-${i % 4}` } : {}) },
      params: { userId: i % 2 === 0 ? i % 4 : i, role: 'user' },
    }));
    expect(answers.every((a) => a.status === 200 && a.body.success)).toBe(true);
    // 20 plain calls, and the 20 keyed ones use two keys: 22 events.
    expect(await backend.ctx.db('events').where('trace_id', 'like', 'mixed-%')).toHaveLength(22);
  });
});
