import crypto from 'node:crypto';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import { botIdSchema } from '../../bots/bots';
import type { InboundContext } from '../../inbound/hooks';
import { ApiError } from '../../platform/http/errors';
import { notFound } from '../../platform/errors';
import { sameSecret } from '../../platform/secrets/same-secret';
import { handleWhatsappWebhook } from './handle-webhook';
import { changesFor, type WhatsappChange, webhookSchema } from './updates';
import { getWhatsappAccount, type WhatsappAccount } from './whatsapp-store';

/** Meta's subscription check (developers.facebook.com/docs/graph-api/webhooks/getting-started). */
const verificationSchema = z.object({ 'hub.mode': z.literal('subscribe'), 'hub.verify_token': z.string(), 'hub.challenge': z.string().min(1).max(200) });

async function accountOf(ctx: InboundContext, req: Request): Promise<WhatsappAccount> {
  const botId = botIdSchema.safeParse(req.params.botId);
  const account = botId.success ? await getWhatsappAccount(ctx, botId.data) : undefined;
  if (!account) throw notFound('Unknown bot');
  return account;
}

/** X-Hub-Signature-256 is `sha256=` + the HMAC-SHA256 of the raw body with the app secret. */
function signedByMeta(account: WhatsappAccount, body: Buffer, header: string | undefined): boolean {
  const expected = `sha256=${crypto.createHmac('sha256', account.appSecret).update(body).digest('hex')}`;
  return sameSecret(header, expected);
}

/** The `messages` changes for this bot's number, or a 400: a signed body that is not a WhatsApp webhook. */
function changesOf(account: WhatsappAccount, body: Buffer): WhatsappChange[] {
  try {
    return changesFor(webhookSchema.parse(JSON.parse(body.toString('utf8'))), account.phoneNumberId);
  } catch {
    throw new ApiError(400, 'Not a WhatsApp webhook');
  }
}

/**
 * `/whatsapp/{botId}/webhook`, the callback URL given to Meta: GET answers the subscription check
 * with the bot's verify token; POST accepts only bodies signed with the app secret (a forged one
 * is 401 and changes nothing). 500 when something could not be stored and 503 when a receipt ran
 * ahead of its send's record: Meta delivers the webhook again, and redelivered messages are dropped.
 */
export function whatsappWebhookRouter(ctx: InboundContext): Router {
  const router = Router();
  router.get('/whatsapp/:botId/webhook', async (req, res) => {
    const account = await accountOf(ctx, req);
    const query = verificationSchema.safeParse(req.query);
    if (!query.success || !sameSecret(query.data['hub.verify_token'], account.verifyToken)) throw new ApiError(403, 'Wrong verify token or not a subscription check');
    res.type('text/plain').send(query.data['hub.challenge']);
  });
  router.post('/whatsapp/:botId/webhook', express.raw({ type: () => true, limit: '3mb' }), async (req, res) => {
    const account = await accountOf(ctx, req);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!signedByMeta(account, body, req.get('x-hub-signature-256'))) throw new ApiError(401, 'Wrong or missing X-Hub-Signature-256');
    const { retry } = await handleWhatsappWebhook(ctx, account, changesOf(account, body));
    if (retry) throw new ApiError(503, 'A delivery receipt arrived before its send was recorded; deliver it again');
    res.json({ ok: true });
  });
  return router;
}
