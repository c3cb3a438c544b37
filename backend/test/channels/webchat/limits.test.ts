import crypto from 'node:crypto';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../../support/test-backend';
import { newVisitor, openStream } from '../../support/webchat';

/** Buckets that never get in the way, for tests of another limit. */
const roomy = {
  WEBCHAT_IP_VISITORS_PER_MINUTE: '10000',
  WEBCHAT_BOT_VISITORS_PER_MINUTE: '10000',
  WEBCHAT_IP_UPDATES_PER_MINUTE: '10000',
  WEBCHAT_BOT_UPDATES_PER_MINUTE: '10000',
  WEBCHAT_IP_STREAMS_PER_MINUTE: '10000',
  WEBCHAT_BOT_STREAMS_PER_MINUTE: '10000',
};

async function withBackend(env: Record<string, string>, body: (backend: TestBackend, botId: number, clock: ManualClock) => Promise<void>): Promise<void> {
  const clock = new ManualClock(Date.now());
  const backend = await startTestBackend({ env: { ...roomy, SECRET_KEY: 'c'.repeat(64), ...env }, clock });
  try {
    const { botId } = await backend.createBot();
    await body(backend, botId, clock);
  } finally {
    await backend.close();
  }
}

const createVisitor = (backend: TestBackend, botId: number, headers: Record<string, string> = {}) => backend.request('POST', `/chat/${botId}/api/visitors`, { headers });

describe(`web chat limits (${dialect})`, () => {
  it('200 concurrent updates from one visitor: no more than WEBCHAT_VISITOR_PER_MINUTE are accepted, the rest are 429', async () => {
    await withBackend({ WEBCHAT_VISITOR_PER_MINUTE: '30' }, async (backend, botId) => {
      const visitor = await newVisitor(backend, botId);
      const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => visitor.send({ kind: 'text', text: `flood ${i}` }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 202)).toHaveLength(30);
      expect(statuses.filter((s) => s === 429)).toHaveLength(170);
      expect((await visitor.history()).body.messages).toHaveLength(30);
    });
  });

  it('a retried update is answered with the stored row even when the visitor is at the limit', async () => {
    await withBackend({ WEBCHAT_VISITOR_PER_MINUTE: '2' }, async (backend, botId) => {
      const visitor = await newVisitor(backend, botId);
      const first = await visitor.send({ kind: 'text', text: 'one', id: 'retry-0001' });
      expect((await visitor.send({ kind: 'text', text: 'two' })).status).toBe(202);
      const again = await visitor.send({ kind: 'text', text: 'one', id: 'retry-0001' });
      expect(again.status).toBe(202);
      expect(again.body.message.id).toBe(first.body.message.id);
      expect((await visitor.send({ kind: 'text', text: 'three' })).status).toBe(429);
    });
  });

  it('one address mints at most WEBCHAT_IP_VISITORS_PER_MINUTE visitors (429, Retry-After), then the bucket refills', async () => {
    await withBackend({ WEBCHAT_IP_VISITORS_PER_MINUTE: '5' }, async (backend, botId, clock) => {
      const statuses = [];
      for (let i = 0; i < 7; i += 1) statuses.push((await createVisitor(backend, botId)).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
      const refused = await createVisitor(backend, botId);
      expect(Number(refused.headers.get('retry-after'))).toBe(12);
      expect(refused.body).toMatchObject({ success: false, trace_id: expect.any(String) });
      clock.advance(12_000);
      expect((await createVisitor(backend, botId)).status).toBe(201);
      expect((await createVisitor(backend, botId)).status).toBe(429);
    });
  });

  it('X-Forwarded-For is ignored unless TRUST_PROXY says a proxy sets it', async () => {
    const forwarded = (i: number) => ({ 'x-forwarded-for': `203.0.113.${i}` });
    await withBackend({ WEBCHAT_IP_VISITORS_PER_MINUTE: '2' }, async (backend, botId) => {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await createVisitor(backend, botId, forwarded(i))).status);
      expect(statuses).toEqual([201, 201, 429, 429]);
    });
    await withBackend({ WEBCHAT_IP_VISITORS_PER_MINUTE: '2', TRUST_PROXY: 'loopback' }, async (backend, botId) => {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await createVisitor(backend, botId, forwarded(i))).status);
      expect(statuses).toEqual([201, 201, 201, 201]);
      expect((await createVisitor(backend, botId, forwarded(0))).status).toBe(201);
      expect((await createVisitor(backend, botId, forwarded(0))).status).toBe(429);
    });
  });

  it('all addresses together get at most WEBCHAT_BOT_VISITORS_PER_MINUTE visitors of one bot; another bot is not affected', async () => {
    await withBackend({ WEBCHAT_BOT_VISITORS_PER_MINUTE: '3', TRUST_PROXY: '1' }, async (backend, botId) => {
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await createVisitor(backend, botId, { 'x-forwarded-for': `198.51.100.${i}` })).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      const other = await backend.createBot({ name: 'Other' });
      expect((await createVisitor(backend, other.botId)).status).toBe(201);
    });
  });

  it('updates per address are limited across visitors (WEBCHAT_IP_UPDATES_PER_MINUTE)', async () => {
    await withBackend({ WEBCHAT_IP_UPDATES_PER_MINUTE: '3' }, async (backend, botId) => {
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await (await newVisitor(backend, botId)).send({ kind: 'text', text: `hi ${i}` })).status);
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
    });
  });

  it('streams per address are limited (WEBCHAT_IP_STREAMS_PER_MINUTE)', async () => {
    await withBackend({ WEBCHAT_IP_STREAMS_PER_MINUTE: '2' }, async (backend, botId) => {
      const visitor = await newVisitor(backend, botId);
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await fetch(`${backend.url}/chat/${botId}/api/events`, { headers: { authorization: `Bearer ${visitor.token}` } });
        statuses.push(res.status);
        await res.body?.cancel();
      }
      expect(statuses).toEqual([200, 200, 429]);
    });
  });

  it('a visitor holds at most WEBCHAT_STREAMS_PER_VISITOR open streams: a new one closes the oldest', async () => {
    await withBackend({ WEBCHAT_STREAMS_PER_VISITOR: '2' }, async (backend, botId) => {
      const visitor = await newVisitor(backend, botId);
      const ended: number[] = [];
      const streams = [];
      for (let i = 0; i < 3; i += 1) {
        const res = await fetch(`${backend.url}/chat/${botId}/api/events`, { headers: { authorization: `Bearer ${visitor.token}` } });
        expect(res.status).toBe(200);
        void res.text().then(() => ended.push(i), () => ended.push(i));
        streams.push(res);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ended).toEqual([0]);
      const live = await openStream(backend.url, botId, visitor.token);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ended).toEqual([0, 1]);
      expect((await visitor.send({ kind: 'text', text: `still here ${crypto.randomUUID()}` })).status).toBe(202);
      await live.waitFor((messages) => messages.length === 1);
      live.close();
    });
  });
});
