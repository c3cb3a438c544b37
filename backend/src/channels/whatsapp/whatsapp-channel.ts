import type { AppContext } from '../../platform/context';
import type { OutboundChannel, RenderedMessage, SendOutcome } from '../channel';
import { perBotCache } from '../per-bot-cache';
import { type GraphOutcome, postMessage } from './graph-api';
import { freeFormPayload, templatePayload, whatsappMedia } from './payloads';
import { getWhatsappAccount, lastInboundAt, type WhatsappAccount } from './whatsapp-store';

const ACCOUNT_CACHE_MS = 5_000;

/** WhatsApp's customer-service window: free-form messages only within 24 hours of the person's last message. */
const SERVICE_WINDOW_MS = 24 * 3_600_000;

const OUTSIDE_WINDOW = 'outside the 24-hour window and no template configured';

/** Outside the window only an approved template may go: the bot's fallback, or nothing (with the reason). */
async function sendTemplate(ctx: AppContext, account: WhatsappAccount, to: string, message: RenderedMessage, why: string): Promise<SendOutcome> {
  if (!account.fallbackTemplate) return { kind: 'permanent', reason: `${OUTSIDE_WINDOW} (${why})` };
  return templateOutcome(await postMessage(target(ctx, account), { to, ...templatePayload(account.fallbackTemplate, message) }));
}

/** A template is never refused for the window (Meta says 131047 only of free-form messages): such an answer is a plain failure. */
function templateOutcome(outcome: GraphOutcome): SendOutcome {
  return outcome.kind === 'outsideWindow' ? { kind: 'permanent', reason: outcome.reason } : outcome;
}

const target = (ctx: AppContext, account: WhatsappAccount) => ({ apiRoot: ctx.config.WHATSAPP_API_ROOT, phoneNumberId: account.phoneNumberId, accessToken: account.accessToken });

/**
 * Sends one message to one person: free-form inside the window; outside it, or when WhatsApp says
 * the window has closed (131047, our clock and Meta's differ by the webhook's delay), the template.
 */
export async function sendWhatsapp(ctx: AppContext, account: WhatsappAccount, to: string, message: RenderedMessage): Promise<SendOutcome> {
  const since = await lastInboundAt(ctx.db, account.botId, to);
  if (since === undefined) return sendTemplate(ctx, account, to, message, 'the person never wrote');
  if (ctx.clock.now() - since >= SERVICE_WINDOW_MS) return sendTemplate(ctx, account, to, message, 'last message over 24 hours ago');
  const payload = freeFormPayload(message);
  if (typeof payload === 'string') return { kind: 'permanent', reason: payload };
  const outcome = await postMessage(target(ctx, account), { to, ...payload });
  return outcome.kind === 'outsideWindow' ? sendTemplate(ctx, account, to, message, outcome.reason) : outcome;
}

/** The WhatsApp channel for delivery: the bot's account read every few seconds (a change from the CLI is picked up). */
export function whatsappChannel(ctx: AppContext): OutboundChannel {
  const accountFor = perBotCache((botId) => getWhatsappAccount(ctx, botId), ACCOUNT_CACHE_MS);
  return {
    name: 'whatsapp',
    async send(recipient, message) {
      const account = await accountFor(recipient.botId);
      if (!account) return { kind: 'permanent', reason: 'this bot has no WhatsApp number (metabot-backend bot set-whatsapp)' };
      const sendable = whatsappMedia(message);
      if (typeof sendable === 'string') return { kind: 'permanent', reason: sendable };
      return sendWhatsapp(ctx, account, recipient.chatId, sendable);
    },
  };
}
