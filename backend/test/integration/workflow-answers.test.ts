import { loadConfig } from '../../src/platform/config/config';
import { startServer, type RunningServer } from '../../src/server';
import { jsonRequest, dialect, startTestBackend, testDatabaseUrl, type TestBackend } from '../support/test-backend';
import { type ReceivedRequest, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * Endpoints whose answer the workflow decides: a real backend with its loops running, and real HTTP
 * receivers standing in for n8n's held webhook request (a Metabot Trigger responding with Answer Call).
 */
const postMap = (answerTimeoutMs = 15_000) => ({
  name: 'Family site',
  endpoints: [
    {
      alias: 'post/new',
      purpose: 'A new post was published',
      owner: 'Family site team',
      params: { type: 'object', required: ['postId'], properties: { postId: { type: ['integer', 'string'] } } },
      answer: 'workflow',
      answerTimeoutMs,
      fallback: { success: true, message: 'Accepted; the post is checked later', checked: false },
    },
    { alias: 'comment/new', purpose: 'A comment was written', owner: 'Family site team' },
  ],
});

const json = (value: unknown) => JSON.stringify(value);

describe(`answers decided by the workflow (${dialect})`, () => {
  let backend: TestBackend;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(() => backend.close());

  async function receiver(respond?: WebhookReceiver['respond']): Promise<WebhookReceiver> {
    const started = await startWebhookReceiver();
    started.respond = respond;
    receivers.push(started);
    return started;
  }

  async function botWith(map: unknown, subscribers: Array<{ receiver: WebhookReceiver; answers: boolean }>) {
    const bot = await backend.createBot({ map });
    for (const { receiver: r, answers } of subscribers) {
      const created = await backend.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, {
        token: bot.token,
        body: { url: r.url, events: ['endpoint.called'], answers },
      });
      expect(created.status).toBe(201);
      expect(created.body.subscription.answers).toBe(answers);
    }
    const call = (alias: string, params: Record<string, unknown>, headers: Record<string, string> = {}) =>
      backend.request('POST', `/api/v1/bots/${bot.botId}/call/${alias}`, { token: bot.token, body: { script_request_params: params }, headers });
    const trace = async (traceId: string) => (await backend.request('GET', `/api/v1/bots/${bot.botId}/traces/${traceId}`, { token: bot.token })).body.hops;
    return { ...bot, call, trace };
  }

  const notFound = (req: ReceivedRequest) => ({ body: json({ success: false, message: 'Пост не найден', postId: req.body.data.params.postId }) });
  const answered = (hops: Array<{ hop: string; status: string }>) => hops.filter((h) => h.hop === 'endpoint.answered');

  describe('the map declares who answers', () => {
    const endpoint = (extra: Record<string, unknown>) => ({ name: 'M', endpoints: [{ alias: 'a/b', purpose: 'p', owner: 'o', ...extra }] });
    const importMap = async (map: unknown) => {
      const bot = await backend.createBot();
      return backend.request('POST', `/api/v1/bots/${bot.botId}/maps`, { token: bot.token, body: { document: map } });
    };

    it.each([
      ['a workflow answer without a fallback', { answer: 'workflow' }, 'endpoints.0.fallback', /required with answer: "workflow"/],
      ['a timeout below 100 ms', { answer: 'workflow', answerTimeoutMs: 50, fallback: { success: true } }, 'endpoints.0.answerTimeoutMs', /100-30000 ms/],
      ['a timeout over 30 s', { answer: 'workflow', answerTimeoutMs: 30_001, fallback: { success: true } }, 'endpoints.0.answerTimeoutMs', /100-30000 ms/],
      ['a fallback on an endpoint that answers "accepted"', { fallback: { success: true } }, 'endpoints.0.fallback', /only to an endpoint with answer: "workflow"/],
      ['a fallback without success', { answer: 'workflow', fallback: { message: 'x' } }, 'endpoints.0.fallback.success', /boolean/],
      ['a fallback setting trace_id', { answer: 'workflow', fallback: { success: true, trace_id: 'x' } }, 'endpoints.0.fallback.trace_id', /set by the backend/],
      ['an unknown answer mode', { answer: 'sometimes' }, 'endpoints.0.answer', /accepted|workflow/],
      ['a fallback over 4 kB', { answer: 'workflow', fallback: { success: true, note: 'x'.repeat(5000) } }, 'endpoints.0.fallback', /at most 4096 bytes/],
    ])('refuses %s with the field named', async (_name, extra, path, message) => {
      const answer = await importMap(endpoint(extra));
      expect(answer.status).toBe(422);
      expect(answer.body.errors).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
    });

    it('accepts a workflow answer with its timeout and fallback, and "accepted" stays the default', async () => {
      const answer = await importMap(endpoint({ answer: 'workflow', answerTimeoutMs: 100, fallback: { success: false, message: 'Later', errorCode: 503, retryAfter: 60 } }));
      expect(answer.status).toBe(201);
      expect((await importMap(endpoint({}))).status).toBe(201);
    });
  });

  it("the bot's integration document tells the calling system who answers, how long it waits and the fallback", async () => {
    const bot = await backend.createBot({ map: postMap() });
    const doc = await backend.request('GET', `/docs/${bot.botId}/openapi.json`, { token: bot.token });
    expect(doc.body.paths[`/api/v1/bots/${bot.botId}/call/post/new`].post.description).toContain(
      'Answered by the workflow within 15000 ms (`answered_by: "workflow"`); otherwise `answered_by: "fallback"` with {"success":true,"message":"Accepted; the post is checked later","checked":false}.',
    );
    expect(doc.body.paths[`/api/v1/bots/${bot.botId}/call/comment/new`].post.description).not.toContain('Answered by the workflow');
  });

  it('answers with what the workflow responds, in the call answer contract, and traces the answer hop', async () => {
    const n8n = await receiver(notFound);
    const bot = await botWith(postMap(), [{ receiver: n8n, answers: true }]);
    const answer = await bot.call('post/new', { postId: 42 }, { 'X-Trace-Id': 'tr-post-42' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ success: false, message: 'Пост не найден', postId: 42, answered_by: 'workflow', event_id: expect.any(Number), trace_id: 'tr-post-42' });
    // The workflow was told it answers the call.
    expect(n8n.received[0].body.data).toMatchObject({ alias: 'post/new', params: { postId: 42 }, answer: 'workflow' });
    const hops = await bot.trace('tr-post-42');
    expect(hops.map((h: { hop: string }) => h.hop)).toEqual(expect.arrayContaining(['endpoint.called', 'workflow.delivered', 'endpoint.answered']));
    expect(answered(hops)).toEqual([
      expect.objectContaining({ status: 'answered', latencyMs: expect.any(Number), detail: expect.objectContaining({ event_id: answer.body.event_id, delivery_id: expect.stringMatching(/^dlv_/) }) }),
    ]);
    const delivery = await backend.ctx.db('event_deliveries').where({ event_id: answer.body.event_id }).first();
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, order_key: null });
  });

  it('an endpoint with answer "accepted" still answers Accepted at once', async () => {
    const n8n = await receiver(notFound);
    const bot = await botWith(postMap(), [{ receiver: n8n, answers: true }]);
    const answer = await bot.call('comment/new', {});
    expect(answer.body).toEqual({ success: true, message: 'Accepted', queued: true, event_id: expect.any(Number), trace_id: expect.any(String) });
  });

  it('on timeout sends the fallback, and the event is still delivered to every subscriber', async () => {
    const slow = await receiver(() => ({ body: json({ success: true, message: 'Too late' }), delayMs: 3_000 }));
    const plain = await receiver();
    const bot = await botWith(postMap(300), [{ receiver: slow, answers: true }, { receiver: plain, answers: false }]);
    const started = Date.now();
    const answer = await bot.call('post/new', { postId: 7 }, { 'X-Trace-Id': 'tr-timeout' });
    expect(answer.body).toEqual({ success: true, message: 'Accepted; the post is checked later', checked: false, answered_by: 'fallback', event_id: expect.any(Number), trace_id: 'tr-timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
    await plain.waitFor(1);
    await slow.waitFor(1);
    await waitFor(async () => (await backend.ctx.db('event_deliveries').where({ event_id: answer.body.event_id, status: 'delivered' })).length === 2, 'both deliveries delivered');
    // The late answer is noted, not used.
    await waitFor(async () => answered(await bot.trace('tr-timeout')).length === 2, 'the late answer on the trace');
    expect(answered(await bot.trace('tr-timeout'))).toEqual([
      expect.objectContaining({ status: 'fallback', detail: expect.objectContaining({ reason: 'no answer within 300 ms' }) }),
      expect.objectContaining({ status: 'ignored', detail: expect.objectContaining({ decided: 'fallback' }) }),
    ]);
  });

  it('a retry with the same Idempotency-Key returns the stored answer without running anything again', async () => {
    const n8n = await receiver(notFound);
    const bot = await botWith(postMap(), [{ receiver: n8n, answers: true }]);
    const headers = { 'Idempotency-Key': 'post-42-published' };
    const [first, concurrent] = await Promise.all([bot.call('post/new', { postId: 42 }, headers), bot.call('post/new', { postId: 42 }, headers)]);
    expect(first.body).toMatchObject({ success: false, message: 'Пост не найден', answered_by: 'workflow' });
    expect(concurrent.body).toEqual(first.body);
    const retry = await bot.call('post/new', { postId: 42 }, headers);
    expect(retry.body).toEqual(first.body);
    expect(n8n.received).toHaveLength(1);
    expect((await bot.call('post/new', { postId: 43 }, headers)).status).toBe(409);
  });

  it('a retry of a call that got the fallback returns the fallback, even when the workflow answered later', async () => {
    const slow = await receiver(() => ({ body: json({ success: true, message: 'Found' }), delayMs: 1_500 }));
    const bot = await botWith(postMap(150), [{ receiver: slow, answers: true }]);
    const headers = { 'Idempotency-Key': 'post-8' };
    const first = await bot.call('post/new', { postId: 8 }, headers);
    expect(first.body).toMatchObject({ answered_by: 'fallback', message: 'Accepted; the post is checked later' });
    await waitFor(async () => (await backend.ctx.db('event_deliveries').where({ event_id: first.body.event_id, status: 'delivered' })).length === 1, 'the slow delivery');
    expect((await bot.call('post/new', { postId: 8 }, headers)).body).toEqual(first.body);
  });

  it('a dry run validates without running the workflow, and answers as any dry run', async () => {
    const n8n = await receiver(notFound);
    const bot = await botWith(postMap(), [{ receiver: n8n, answers: true }]);
    const answer = await bot.call('post/new', { postId: 42 }, { 'X-Dry-Run': 'true' });
    expect(answer.body).toEqual({ success: true, message: 'Valid request; dry run, nothing was queued', dry_run: true, trace_id: expect.any(String) });
    const invalid = await bot.call('post/new', {}, { 'X-Dry-Run': 'true' });
    expect(invalid.body).toMatchObject({ success: false, errorCode: 422 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(n8n.received).toHaveLength(0);
    expect(await backend.ctx.db('call_answers').where({ bot_id: bot.botId })).toEqual([]);
  });

  it.each([
    ['not JSON', { body: '<html>oops</html>', contentType: 'text/html' }, 'answer is not JSON'],
    ['the wrong shape', { body: json({ success: 'yes' }) }, 'answer has the wrong shape: success: Invalid input: expected boolean, received string'],
    ['a reserved field', { body: json({ success: true, trace_id: 'forged' }) }, 'answer has the wrong shape: trace_id: "trace_id" is set by the backend, not by the endpoint\'s answer'],
    ['too big', { body: json({ success: true, message: 'x', blob: 'y'.repeat(70_000) }) }, 'answer over 65536 bytes'],
    ['an error of the workflow (500)', { status: 500, body: json({ message: 'Error in workflow' }) }, 'HTTP 500'],
    ['empty (the workflow ended without answering)', { body: '' }, 'answer is not JSON'],
  ])('an answer that is %s gets the fallback at once, with the reason on the trace', async (_name, response, reason) => {
    const n8n = await receiver(() => response);
    const bot = await botWith(postMap(20_000), [{ receiver: n8n, answers: true }]);
    const traceId = `tr-bad-${Math.random().toString(36).slice(2)}`;
    const started = Date.now();
    const answer = await bot.call('post/new', { postId: 1 }, { 'X-Trace-Id': traceId });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ success: true, answered_by: 'fallback', checked: false });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answered(await bot.trace(traceId))).toEqual([expect.objectContaining({ status: 'fallback', detail: expect.objectContaining({ reason }) })]);
  });

  it('a subscriber that fails (5xx) gets the event again on the retry schedule', async () => {
    const n8n = await receiver(() => ({ status: 503 }));
    const bot = await botWith(postMap(), [{ receiver: n8n, answers: true }]);
    const answer = await bot.call('post/new', { postId: 5 });
    expect(answer.body).toMatchObject({ answered_by: 'fallback' });
    const delivery = await backend.ctx.db('event_deliveries').where({ event_id: answer.body.event_id }).first();
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503' });
    expect(delivery.next_attempt_at).toBeGreaterThan(Date.now() + 2_000);
  });

  it('a call no answering subscriber wants gets the fallback at once, and the event goes to the others', async () => {
    const plain = await receiver(() => ({ body: json({ success: false, message: 'not an answer' }) }));
    const bot = await botWith(postMap(20_000), [{ receiver: plain, answers: false }]);
    const started = Date.now();
    const answer = await bot.call('post/new', { postId: 3 }, { 'X-Trace-Id': 'tr-nobody' });
    expect(answer.body).toMatchObject({ success: true, answered_by: 'fallback' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answered(await bot.trace('tr-nobody'))).toEqual([expect.objectContaining({ status: 'fallback', detail: expect.objectContaining({ reason: 'no active workflow answers this endpoint' }) })]);
    await plain.waitFor(1);
  });

  describe('several subscribed workflows', () => {
    it('the first answering workflow to respond decides; a later one and a non-answering one are not the answer', async () => {
      const fast = await receiver(() => ({ body: json({ success: true, message: 'fast' }), delayMs: 50 }));
      const slow = await receiver(() => ({ body: json({ success: true, message: 'slow' }), delayMs: 800 }));
      const plain = await receiver(() => ({ body: json({ success: false, message: 'plain' }) }));
      const bot = await botWith(postMap(), [{ receiver: slow, answers: true }, { receiver: plain, answers: false }, { receiver: fast, answers: true }]);
      const answer = await bot.call('post/new', { postId: 9 }, { 'X-Trace-Id': 'tr-several' });
      expect(answer.body).toMatchObject({ success: true, message: 'fast', answered_by: 'workflow' });
      await waitFor(async () => answered(await bot.trace('tr-several')).length === 2, 'the slow answer on the trace');
      expect(answered(await bot.trace('tr-several')).map((h: { status: string }) => h.status)).toEqual(['answered', 'ignored']);
      for (const r of [fast, slow, plain]) await r.waitFor(1);
    });

    it('an unusable answer does not decide while another answering workflow may still answer', async () => {
      const broken = await receiver(() => ({ status: 500 }));
      const good = await receiver(() => ({ body: json({ success: true, message: 'Found', title: 'Lake' }), delayMs: 300 }));
      const bot = await botWith(postMap(), [{ receiver: broken, answers: true }, { receiver: good, answers: true }]);
      const answer = await bot.call('post/new', { postId: 10 }, { 'X-Trace-Id': 'tr-one-broken' });
      expect(answer.body).toMatchObject({ success: true, message: 'Found', title: 'Lake', answered_by: 'workflow' });
      expect(answered(await bot.trace('tr-one-broken'))).toEqual([
        expect.objectContaining({ status: 'ignored', detail: expect.objectContaining({ reason: 'HTTP 500' }) }),
        expect.objectContaining({ status: 'answered' }),
      ]);
    });
  });

  it('answers many concurrent calls, each with its own answer', async () => {
    const n8n = await receiver((req) => ({ body: json({ success: true, message: `post ${req.body.data.params.postId}` }), delayMs: 100 }));
    const bot = await botWith(postMap(), [{ receiver: n8n, answers: true }]);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => bot.call('post/new', { postId: i })));
    expect(answers.map((a) => a.body.message)).toEqual(Array.from({ length: 30 }, (_, i) => `post ${i}`));
    expect(answers.every((a) => a.body.answered_by === 'workflow')).toBe(true);
  });
});

const describeOnPostgres = testDatabaseUrl ? describe : describe.skip;

describeOnPostgres('answers across two backend processes on PostgreSQL', () => {
  let api: TestBackend;
  let worker: RunningServer;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    // The process the CRM calls runs no loops: the other one makes the delivery and stores the answer.
    api = await startTestBackend({ env: { WORKERS_ENABLED: 'false' } });
    worker = await startServer({ config: loadConfig({ ...process.env, PORT: '0', LOG_LEVEL: 'silent', DATA_DIR: api.dataDir, WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: api.ctx.config.DATABASE_URL! }) });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await worker?.close();
    await api?.close();
  });

  it('the waiting request learns the answer the other process stored, and a retry through the other process gets it too', async () => {
    const n8n = await startWebhookReceiver();
    receivers.push(n8n);
    n8n.respond = (req) => ({ body: json({ success: true, message: `post ${req.body.data.params.postId} found` }), delayMs: 50 });
    const bot = await api.createBot({ map: postMap() });
    expect((await api.request('POST', `/api/v1/bots/${bot.botId}/subscriptions`, { token: bot.token, body: { url: n8n.url, events: ['endpoint.called'], answers: true } })).status).toBe(201);
    const call = (request: TestBackend['request'], postId: number) =>
      request('POST', `/api/v1/bots/${bot.botId}/call/post/new`, { token: bot.token, body: { script_request_params: { postId } }, headers: { 'Idempotency-Key': `post-${postId}` } });
    const answers = await Promise.all([1, 2, 3].map((postId) => call(api.request, postId)));
    expect(answers.map((a) => a.body)).toEqual([1, 2, 3].map((postId) => expect.objectContaining({ success: true, message: `post ${postId} found`, answered_by: 'workflow' })));
    const retry = await call(jsonRequest(worker.url), 2);
    expect(retry.body).toEqual(answers[1].body);
    expect(n8n.received).toHaveLength(3);
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
