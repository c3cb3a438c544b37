import type { Knex } from 'knex';
import type { z } from 'zod';
import { Counter } from 'prom-client';
import { type Bot, getBot } from '../bots/bots';
import { type ImmediateReply, type InboundUpdate, inboundUpdateSchema } from '../channels/inbound-update';
import type { AppContext } from '../platform/context';
import { openCallAnswers } from '../events/call-answers';
import { recordEvent } from '../events/outbox';
import { OPERATOR_AUDIENCE, routePersonActivity } from '../conversations/routing';
import { setLeadPhone } from '../identity/lead-directory';
import { defaultPhoneCountry, toE164 } from '../identity/phones';
import { ensureLead, type Lead, markLeadReachable, markLeadUnreachable } from '../identity/leads';
import { linkTokenPattern, redeemLinkToken } from '../identity/link-tokens';
import { identityText } from '../identity/texts';
import { metricsRegistry } from '../platform/metrics/metrics';
import { appendTraceHop, newTraceId } from '../traces/traces';
import type { InboundContext } from './hooks';

const inboundCounter = new Counter({
  name: 'metabot_inbound_updates_total',
  help: 'Updates received from channels, by channel, kind and outcome (handled, duplicate)',
  labelNames: ['channel', 'kind', 'outcome'] as const,
  registers: [metricsRegistry],
});

export interface InboundResult {
  /** What to answer in the chat at once (identity flows), if anything. */
  reply?: ImmediateReply;
  /** The update was a redelivery of one already handled: nothing was done. */
  duplicate?: boolean;
  /** A pre-checkout the workflow decides: its `call_answers` row (by event id) is decided by this time. */
  awaitingAnswer?: { eventId: number; deadline: number };
  traceId?: string;
}

interface Handling {
  ctx: InboundContext;
  trx: Knex;
  bot: Bot;
  lead: Lead;
  traceId: string;
}

/**
 * Everything a person does in any channel enters here: the lead is found or created, identity
 * flows run (deep-link token, contact, block/unblock), and the matching event is recorded with
 * a trace hop, all in one transaction. A redelivered update (same bot, channel and updateId) is dropped.
 */
export async function handleInbound(ctx: InboundContext, input: z.input<typeof inboundUpdateSchema>): Promise<InboundResult> {
  const update = inboundUpdateSchema.parse(input);
  const bot = await getBot(ctx, update.botId);
  if (!bot) throw new Error(`Inbound update for unknown bot ${update.botId}`);
  const traceId = newTraceId();
  const result = await ctx.db.transaction(async (trx): Promise<InboundResult> => {
    if (!(await isFirstDelivery(trx, ctx, update))) return { duplicate: true };
    const lead = await ensureLead(trx, ctx.clock, { botId: bot.id, channel: update.channel, chatId: update.chatId, profile: update.profile });
    const handling: Handling = { ctx, trx, bot, lead, traceId };
    return { ...(await dispatch(handling, update)), traceId };
  });
  inboundCounter.inc({ channel: update.channel, kind: update.kind, outcome: result.duplicate ? 'duplicate' : 'handled' });
  return result;
}

async function isFirstDelivery(trx: Knex, ctx: AppContext, update: InboundUpdate): Promise<boolean> {
  if (update.updateId === undefined) return true;
  const inserted = await trx('inbound_updates')
    .insert({ bot_id: update.botId, channel: update.channel, update_id: update.updateId, received_at: ctx.clock.now() })
    .onConflict(['bot_id', 'channel', 'update_id'])
    .ignore()
    .returning('update_id');
  return inserted.length > 0;
}

async function dispatch(h: Handling, update: InboundUpdate): Promise<InboundResult> {
  const change = { botId: h.bot.id, leadId: h.lead.id, traceId: h.traceId };
  if (update.kind === 'bot_blocked') {
    await markLeadUnreachable(h.trx, h.ctx, change);
    return {};
  }
  if (update.kind === 'bot_unblocked') {
    await markLeadReachable(h.trx, h.ctx, change);
    return {};
  }
  // Any other activity proves the chat is reachable again (e.g. /start after unblocking).
  if (!h.lead.reachable) await markLeadReachable(h.trx, h.ctx, change);
  // The person's own contact card is stored (and announced) by the contact flow below.
  if (update.senderPhone !== undefined && !(update.kind === 'contact' && update.isOwn)) await recordChannelPhone(h, update.senderPhone);

  if (update.kind === 'start' && update.payload !== undefined && linkTokenPattern.test(update.payload)) {
    return redeem(h, update.payload);
  }
  const deletedNotice = await deletedAccountNotice(h);
  const result = await handleActivity(h, update);
  return deletedNotice ? { ...result, reply: deletedNotice } : result;
}

async function handleActivity(h: Handling, update: InboundUpdate): Promise<InboundResult> {
  switch (update.kind) {
    case 'start':
      await emit(h, 'bot.started', { startPayload: update.payload ?? null });
      return {};
    case 'contact':
      return handleContact(h, update);
    case 'pre_checkout':
      return preCheckout(h, update);
    case 'payment': {
      const charges = { telegramPaymentChargeId: update.telegramPaymentChargeId, providerPaymentChargeId: update.providerPaymentChargeId ?? null };
      await emit(h, 'payment.succeeded', { payload: update.payload, currency: update.currency, totalAmount: update.totalAmount, ...charges }, charges);
      return {};
    }
    case 'message':
    case 'button': {
      const data = update.kind === 'message'
        ? { text: update.text ?? null, media: update.media ?? null }
        : { buttonData: update.data, callbackId: update.callbackId ?? null, messageRef: update.messageRef ?? null };
      const routing = await routePersonActivity(h.trx, h.ctx, h.bot, h.lead, h.traceId, { kind: update.kind, text: update.kind === 'message' ? update.text : undefined, body: data });
      // While a human has the conversation no workflow takes the update, a waiting send-and-wait neither.
      const consumed = routing.audience === OPERATOR_AUDIENCE ? undefined : await runHooks(h, update);
      if (consumed) return { reply: consumed.reply };
      await emit(h, update.kind === 'message' ? 'message.received' : 'button.pressed', data, undefined, routing.audience);
      return routing.reply ? { reply: { text: routing.reply } } : {};
    }
    default:
      return {};
  }
}

/**
 * A pre-checkout is recorded for workflows; when the workflow decides its answer, the event opens
 * a `call_answers` row in the same transaction (the mechanism endpoint calls wait on), with the
 * bot's default as its fallback.
 */
async function preCheckout(h: Handling, update: Extract<InboundUpdate, { kind: 'pre_checkout' }>): Promise<InboundResult> {
  const { awaitWorkflow } = update;
  const data = { queryId: update.queryId, payload: update.payload, currency: update.currency, totalAmount: update.totalAmount, approved: update.approved };
  const eventId = await emit(h, 'payment.pre_checkout', awaitWorkflow ? { ...data, answer: 'workflow', answerWithinMs: awaitWorkflow.timeoutMs } : data);
  if (!awaitWorkflow) return {};
  const now = h.ctx.clock.now();
  const fallback = { success: awaitWorkflow.fallback.ok, message: awaitWorkflow.fallback.errorMessage ?? '' };
  await openCallAnswers(h.trx, now, [{ eventId, botId: h.bot.id, traceId: h.traceId, timeoutMs: awaitWorkflow.timeoutMs, fallback }]);
  return { awaitingAnswer: { eventId, deadline: now + awaitWorkflow.timeoutMs } };
}

async function runHooks(h: Handling, update: Extract<InboundUpdate, { kind: 'message' } | { kind: 'button' }>) {
  for (const hook of h.ctx.inboundHooks) {
    const outcome = await hook(h.ctx, { trx: h.trx, update, lead: h.lead, traceId: h.traceId });
    if (outcome?.consumed) return outcome;
  }
  return undefined;
}

/** Only the person's own contact counts (Telegram marks a forwarded card with another user id). */
async function handleContact(h: Handling, update: Extract<InboundUpdate, { kind: 'contact' }>): Promise<InboundResult> {
  if (!update.isOwn) {
    return { reply: { text: identityText(h.bot, 'contact.not_own'), requestContact: { buttonText: identityText(h.bot, 'contact.request_button') } } };
  }
  const phone = await setLeadPhone(h.trx, h.lead.id, update.phone, defaultPhoneCountry(h.bot, h.ctx.config));
  // A phone that is not valid is passed on as typed (digits only): the workflow may still ask again.
  const contact = { phone: phone ?? update.phone.replace(/\D/g, ''), valid: phone !== undefined, isOwn: true, verified: update.verified };
  const routing = await routePersonActivity(h.trx, h.ctx, h.bot, h.lead, h.traceId, { kind: 'contact', body: { contact } });
  await emit(h, 'contact.shared', { contact }, undefined, routing.audience);
  return { reply: { text: identityText(h.bot, 'contact.received'), removeKeyboard: true } };
}

/**
 * A channel that knows the number the person writes from (WhatsApp) gives it with every update:
 * stored as if they had shared their own contact, and announced once as `contact.shared` (source
 * `channel`), so linking by phone needs no contact button.
 */
async function recordChannelPhone(h: Handling, given: string): Promise<void> {
  const country = defaultPhoneCountry(h.bot, h.ctx.config);
  const phone = toE164(given, country);
  if (phone === undefined || phone === h.lead.phone) return;
  await setLeadPhone(h.trx, h.lead.id, phone, country);
  await emit(h, 'contact.shared', { contact: { phone, valid: true, isOwn: true, verified: true, source: 'channel' } });
}

async function redeem(h: Handling, token: string): Promise<InboundResult> {
  const redemption = await redeemLinkToken(h.trx, h.ctx, { botId: h.bot.id, token, leadId: h.lead.id, channel: h.lead.channel, traceId: h.traceId });
  if (redemption.status === 'linked') {
    return { reply: { text: identityText(h.bot, redemption.result.changed ? 'link.done' : 'link.already') } };
  }
  // The person is told; the workflow sees the failed attempt (without the token).
  await emit(h, 'bot.started', { startPayload: null, linkError: redemption.status === 'already' ? null : redemption.status });
  return { reply: { text: identityText(h.bot, `link.${redemption.status}`) } };
}

/** Seed 004 event 8: a deleted account's chat is told so once, the next time the person writes. */
async function deletedAccountNotice(h: Handling): Promise<ImmediateReply | undefined> {
  if (h.lead.userId !== null) return undefined;
  const pending = await h.trx('links as k')
    .join('user_accounts as a', function account() {
      this.on('a.bot_id', '=', 'k.bot_id').andOn('a.user_id', '=', 'k.user_id');
    })
    .where({ 'k.lead_id': h.lead.id, 'k.status': 'disconnected', 'a.state': 'deleted' })
    .whereNull('k.deletion_noticed_at')
    .first('k.lead_id');
  if (!pending) return undefined;
  await h.trx('links').where({ lead_id: h.lead.id }).update({ deletion_noticed_at: h.ctx.clock.now() });
  return { text: identityText(h.bot, 'account.deleted') };
}

/** `detail` goes on the trace hop too (a payment's charge ids); `audience` narrows who receives it (conversations/routing.ts). */
async function emit(h: Handling, type: string, data: Record<string, unknown>, detail?: Record<string, unknown>, audience: string | null = null): Promise<number> {
  const { lead } = h;
  const eventId = await recordEvent(h.trx, h.ctx, { botId: h.bot.id, type, traceId: h.traceId, leadId: lead.id, userId: lead.userId, audience, payload: { channel: lead.channel, ...data } });
  await appendTraceHop(h.trx, h.ctx.clock, { botId: h.bot.id, traceId: h.traceId, hop: type, status: 'received', sourceSystem: lead.channel, leadId: lead.id, userId: lead.userId, ...(detail ? { detail } : {}) });
  return eventId;
}

/** Channels redeliver within minutes (Telegram: up to a day); ids older than two days are forgotten. */
export function purgeInboundUpdates(ctx: AppContext): Promise<number> {
  return ctx.db('inbound_updates').where('received_at', '<', ctx.clock.now() - 2 * 24 * 3_600_000).delete();
}
