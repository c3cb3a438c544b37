import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { recordEvent } from '../../src/events/outbox';
import { verifyWebhook } from '../../src/events/signature';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** The form the events capability stored before it shared secrets/: `gcm1:` + iv.tag.data, sealed with SECRET_KEY. */
function legacySeal(plain: string, keyHex: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `gcm1:${[iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.')}`;
}

describe(`subscription secrets at rest (${dialect})`, () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  /** Records one event for the bot and checks the delivery is signed with `secret`. */
  async function expectSignedWith(backend: TestBackend, botId: number, secret: string) {
    const before = receiver.received.length;
    await recordEvent(backend.ctx.db, backend.ctx, { botId, type: 'bot.started', traceId: `tr-${botId}`, leadId: 'ld_1', payload: {} });
    const got = (await receiver.waitFor(before + 1))[before];
    expect(got.body.botId).toBe(botId);
    expect(() => verifyWebhook(secret, got.headers['x-metabot-delivery'] as string, got.rawBody, got.headers['x-metabot-signature'] as string, Math.floor(Date.now() / 1000))).not.toThrow();
  }

  it('without SECRET_KEY a new secret is sealed with the generated key file, not stored in the clear', async () => {
    const backend = await startTestBackend();
    try {
      const { botId, token } = await backend.createBot();
      const created = await backend.request('POST', `/api/v1/bots/${botId}/subscriptions`, { token, body: { url: receiver.url, events: ['*'] } });
      const secret = created.body.subscription.secret as string;
      const stored = await backend.ctx.db('subscriptions').where({ bot_id: botId }).first();
      expect(stored.secret).not.toContain(secret.slice(6));
      expect(fs.existsSync(path.join(backend.dataDir, 'secret.key'))).toBe(true);
      await expectSignedWith(backend, botId, secret);
    } finally {
      await backend.close();
    }
  });

  it('keeps reading secrets stored before: in the clear, and in the old gcm1: form', async () => {
    const key = crypto.randomBytes(32).toString('hex');
    const backend = await startTestBackend({ env: { SECRET_KEY: key } });
    try {
      for (const seal of [(plain: string) => plain, (plain: string) => legacySeal(plain, key)]) {
        const { botId } = await backend.createBot();
        const secret = `whsec_${crypto.randomBytes(24).toString('base64url')}`;
        await backend.ctx.db('subscriptions').insert({ id: `sub_${crypto.randomBytes(12).toString('hex')}`, bot_id: botId, url: receiver.url, events: '["*"]', aliases: '[]', secret: seal(secret), adopted_at: null, created_at: Date.now() });
        await expectSignedWith(backend, botId, secret);
      }
    } finally {
      await backend.close();
    }
  });
});
