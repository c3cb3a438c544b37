import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordEvent } from '../../src/events/outbox';
import { runEventsOnce } from '../../src/events/worker';
import { runWaitsOnce } from '../../src/waits/resumes';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** Targets a token holder must not make the backend call (docs/security.md, "No server-side request forgery"). */
const PRIVATE_TARGETS = [
  'http://127.0.0.1:5678/webhook/x',
  'http://[::ffff:127.0.0.1]/x',
  'http://2130706433/x',
  'http://0x7f.1/x',
  'http://localhost:5678/x',
  'http://LOCALHOST./x',
  'http://[::1]/x',
  'http://10.1.2.3/x',
  'http://172.16.0.9/x',
  'http://192.168.1.1/x',
  'http://100.64.0.1/x',
  'http://[fd12:3456::1]/x',
  'http://0.0.0.0:22/x',
];
const METADATA_TARGETS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:169.254.169.254]/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[fe80::1]/x',
];
const OTHER_SCHEMES = ['file:///etc/passwd', 'ftp://n8n.example.com/x', 'gopher://127.0.0.1:6379/_INFO'];

/** A server that accepts connections and never answers (a filtered port, from outside). */
async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A resume call on its last attempt: one failure exhausts it and writes the wait.resumed hop. */
function lastResume(botId: number, messageId: string, url: string) {
  return {
    message_id: messageId, bot_id: botId, resume_url: url, status: 'pending', attempts: 7, next_attempt_at: 0, created_at: 0,
    body: JSON.stringify({ status: 'timeout', answer: null, leadId: null, userId: null, messageId, traceId: `tr-${messageId}` }),
  };
}

describe(`no server-side request forgery (${dialect})`, () => {
  let strict: TestBackend;
  let receiver: WebhookReceiver;
  let botId: number;
  let token: string;

  beforeAll(async () => {
    strict = await startTestBackend({ env: { WORKERS_ENABLED: 'false', WEBHOOK_ALLOW_PRIVATE: 'false' } });
    ({ botId, token } = await strict.createBot());
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await strict.close();
  });

  const subscribe = (backend: TestBackend, as: { botId: number; token: string }, url: string) =>
    backend.request('POST', `/api/v1/bots/${as.botId}/subscriptions`, { token: as.token, body: { url, events: ['*'] } });

  it('refuses subscription URLs on loopback, private, link-local and metadata addresses, and other schemes, with a 422 naming the field', async () => {
    for (const url of [...PRIVATE_TARGETS, ...METADATA_TARGETS, ...OTHER_SCHEMES]) {
      const answer = await subscribe(strict, { botId, token }, url);
      expect({ url, status: answer.status }).toEqual({ url, status: 422 });
      expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'url', message: expect.any(String) })]);
    }
    expect((await subscribe(strict, { botId, token }, 'https://n8n.example.com/webhook/abc')).status).toBe(201);
    expect(await strict.ctx.db('subscriptions').where({ bot_id: botId }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('refuses such a wait.resumeUrl on the messages API (dry run included)', async () => {
    for (const resumeUrl of [...PRIVATE_TARGETS, ...METADATA_TARGETS, ...OTHER_SCHEMES]) {
      const answer = await strict.request('POST', `/api/v1/bots/${botId}/messages?dry_run=true`, {
        token,
        body: { leadIds: ['ld_nobody'], text: 'Confirm?', wait: { resumeUrl, mode: 'text', timeoutSeconds: 60 } },
      });
      expect({ resumeUrl, status: answer.status }).toEqual({ resumeUrl, status: 422 });
      expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'wait.resumeUrl' })]);
    }
  });

  it('checks again at send time: a subscription stored before the check is not called, and says only "address not allowed"', async () => {
    const stored = await strict.createBot();
    const { id } = (await subscribe(strict, stored, 'https://n8n.example.com/webhook/stored')).body.subscription;
    await strict.ctx.db('subscriptions').where({ id }).update({ url: `${receiver.url}/stored` });
    await recordEvent(strict.ctx.db, strict.ctx, { botId: stored.botId, type: 'bot.started', traceId: 'tr-stored', leadId: 'ld_stored', payload: {} });
    await runEventsOnce(strict.ctx);
    const [delivery] = await strict.ctx.db('event_deliveries').where({ subscription_id: id });
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, last_error: 'address not allowed' });
    expect(receiver.received).toHaveLength(0);
  });

  it('checks resume calls at send time too: the row and the wait.resumed hop say only "address not allowed"', async () => {
    const { botId: resumeBot } = await strict.createBot();
    await strict.ctx.db('wait_resumes').insert([
      lastResume(resumeBot, 'msg_meta', 'http://169.254.169.254/latest/meta-data/'),
      lastResume(resumeBot, 'msg_loop', `${receiver.url}/resume`),
    ]);
    await runWaitsOnce(strict.ctx);
    const rows = await strict.ctx.db('wait_resumes').where({ bot_id: resumeBot }).orderBy('message_id');
    expect(rows.map((r) => [r.message_id, r.status, r.last_error])).toEqual([['msg_loop', 'exhausted', 'address not allowed'], ['msg_meta', 'exhausted', 'address not allowed']]);
    const hops = await strict.ctx.db('trace_hops').where({ bot_id: resumeBot, hop: 'wait.resumed' });
    expect(hops.map((h) => JSON.parse(h.detail).error)).toEqual(['address not allowed', 'address not allowed']);
    expect(receiver.received).toHaveLength(0);
  });

  describe('where the operator allows private targets', () => {
    let open: TestBackend;
    let openBot: { botId: number; token: string };

    beforeAll(async () => {
      open = await startTestBackend({ env: { WORKERS_ENABLED: 'false', WEBHOOK_ALLOW_PRIVATE: 'true' } });
      openBot = await open.createBot();
    });
    afterAll(() => open.close());

    it('still refuses link-local and metadata addresses', async () => {
      for (const url of METADATA_TARGETS) expect({ url, status: (await subscribe(open, openBot, url)).status }).toEqual({ url, status: 422 });
      expect((await subscribe(open, openBot, `${receiver.url}/open`)).status).toBe(201);
    });

    it('stores the status code, never the body (webhooks and resume calls), and a refused connection reads like a timed-out one', async () => {
      const silent = await startSilentServer();
      const closedPort = await startSilentServer();
      await closedPort.close();
      try {
        const { botId: failing, token: failingToken } = await open.createBot();
        for (const url of [`${receiver.url}/fails`, silent.url, closedPort.url]) await subscribe(open, { botId: failing, token: failingToken }, url);
        receiver.status = 500;
        await recordEvent(open.ctx.db, open.ctx, { botId: failing, type: 'bot.started', traceId: 'tr-fails', leadId: 'ld_fails', payload: {} });
        await runEventsOnce(open.ctx);
        const deliveries = await open.ctx.db('event_deliveries as d').join('subscriptions as s', 's.id', 'd.subscription_id').where('d.bot_id', failing).select('s.url', 'd.last_status_code', 'd.last_error');
        const byUrl = Object.fromEntries(deliveries.map((d) => [d.url, [d.last_status_code, d.last_error]]));
        expect(byUrl).toEqual({
          [`${receiver.url}/fails`]: [500, 'HTTP 500'],
          [silent.url]: [null, 'connection refused or timed out'],
          [closedPort.url]: [null, 'connection refused or timed out'],
        });
        await open.ctx.db('wait_resumes').insert(lastResume(failing, 'msg_fails', `${receiver.url}/resume-fails`));
        await runWaitsOnce(open.ctx);
        expect(await open.ctx.db('wait_resumes').where({ message_id: 'msg_fails' }).first()).toMatchObject({ last_status_code: 500, last_error: 'HTTP 500' });
        const [hop] = await open.ctx.db('trace_hops').where({ bot_id: failing, hop: 'wait.resumed' });
        expect(JSON.parse(hop.detail)).toMatchObject({ error: 'HTTP 500' });
      } finally {
        receiver.status = 200;
        await silent.close();
      }
    }, 30_000);
  });

  it('WEBHOOK_ALLOWED_HOSTS opens exactly the listed host and port', async () => {
    const port = new URL(receiver.url).port;
    const listed = await startTestBackend({ env: { WORKERS_ENABLED: 'false', WEBHOOK_ALLOW_PRIVATE: 'false', WEBHOOK_ALLOWED_HOSTS: `n8n.internal, 127.0.0.1:${port}` } });
    try {
      const bot = await listed.createBot();
      expect((await subscribe(listed, bot, `${receiver.url}/listed`)).status).toBe(201);
      expect((await subscribe(listed, bot, `http://127.0.0.1:${Number(port) + 1}/other-port`)).status).toBe(422);
      expect((await subscribe(listed, bot, `http://localhost:${port}/other-name`)).status).toBe(422);
      const before = receiver.received.length;
      await recordEvent(listed.ctx.db, listed.ctx, { botId: bot.botId, type: 'bot.started', traceId: 'tr-listed', leadId: 'ld_listed', payload: {} });
      await runEventsOnce(listed.ctx);
      expect((await receiver.waitFor(before + 1)).at(-1)?.path).toBe('/webhook/listed');
    } finally {
      await listed.close();
    }
  });
});
