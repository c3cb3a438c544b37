import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../../bots/access';
import { recordEvent } from '../../events/outbox';
import type { AppContext } from '../../platform/context';
import { conflict, notFound, parseInput } from '../../platform/errors';
import { botPathParams, errorResponses, jsonContent } from '../../platform/openapi/registry';
import { decideCallAnswer, readCallAnswer } from '../../events/call-answers';
import { appendTraceHop } from '../../traces/traces';
import { type PreCheckoutAnswer, preCheckoutAnswerSchema, toCallAnswer } from './payment-settings';
import { telegramApi } from './telegram-channel';
import { getTelegramBot } from './telegram-store';
import { describeTelegramError } from './telegram-wire';

export const refundSchema = z
  .object({
    leadId: z.string().trim().min(1).max(200).meta({ description: 'Who paid (the lead of the payment.succeeded event)' }),
    telegramPaymentChargeId: z.string().trim().min(1).max(256).meta({ description: 'From the payment.succeeded event' }),
  })
  .meta({ id: 'RefundRequest' });

/**
 * `POST /bots/{botId}/payments/refund`: refunds a Telegram Stars payment (refundStarPayment) and
 * records `payment.refunded` with the charge id on the payment's lead. Payments in other
 * currencies are refunded at the payment provider, not through Telegram.
 * `POST /bots/{botId}/payments/pre-checkouts/{eventId}/answer`: a workflow's pre-checkout answer.
 */
export function paymentsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoute(docs);
  const router = Router();
  router.post('/bots/:botId/payments/refund', botAccess(ctx, 'messages'), async (req, res) => {
    const { bot, traceId } = res.locals;
    const refund = parseInput(refundSchema, req.body, 'refund');
    const lead = await ctx.db('leads').where({ bot_id: bot.id, id: refund.leadId, channel: 'telegram' }).first('id', 'chat_id');
    if (!lead) throw notFound('Unknown Telegram lead');
    const record = await getTelegramBot(ctx, bot.id);
    if (!record) throw notFound('This bot has no Telegram token');
    try {
      await telegramApi(ctx, record.token).refundStarPayment(Number(lead.chat_id), refund.telegramPaymentChargeId);
    } catch (error) {
      throw conflict(`Telegram did not refund: ${describeTelegramError(error)}`);
    }
    await ctx.db.transaction(async (trx) => {
      const who = { botId: bot.id, traceId, leadId: lead.id };
      await recordEvent(trx, ctx, { ...who, type: 'payment.refunded', payload: { channel: 'telegram', telegramPaymentChargeId: refund.telegramPaymentChargeId } });
      await appendTraceHop(trx, ctx.clock, { ...who, hop: 'payment.refunded', status: 'refunded', detail: { telegramPaymentChargeId: refund.telegramPaymentChargeId } });
    });
    res.json({ success: true, trace_id: traceId });
  });
  router.post('/bots/:botId/payments/pre-checkouts/:eventId/answer', botAccess(ctx, 'messages'), async (req, res) => {
    const { bot, traceId } = res.locals;
    const eventId = eventIdSchema.safeParse(req.params.eventId);
    if (!eventId.success) throw notFound('Unknown pre-checkout');
    const answer = parseInput(preCheckoutAnswerSchema, req.body, 'answer');
    await answerPreCheckout(ctx, bot.id, eventId.data, answer);
    res.json({ success: true, trace_id: traceId });
  });
  return router;
}

const eventIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * The workflow's answer to a pre-checkout that waits for it: decided like an endpoint call's
 * answer (`call_answers`, the first decision wins in any process); the process that received the
 * pre-checkout sends it to Telegram. Too late (the default was sent) or second: 409.
 */
async function answerPreCheckout(ctx: AppContext, botId: number, eventId: number, answer: PreCheckoutAnswer): Promise<void> {
  const event = await ctx.db('events').where({ id: eventId, bot_id: botId, type: 'payment.pre_checkout' }).first('id');
  if (!event) throw notFound('Unknown pre-checkout');
  const won = await ctx.db.transaction(async (trx) => {
    const row = await readCallAnswer(trx, eventId);
    if (!row) throw conflict('This pre-checkout was answered by the bot\'s rule at once (settings.payments.preCheckout is "rule")');
    // Past its deadline the default is being sent, whether or not this process's timer has fired yet.
    if (row.status === 'waiting' && ctx.clock.now() > row.deadline) throw conflict(`Too late: the bot's default answer is sent after ${row.deadline - row.created_at} ms`);
    return decideCallAnswer(trx, ctx, eventId, { status: 'answered', answer: toCallAnswer(answer) }, 'payment.pre_checkout_answered');
  });
  if (won) return;
  const row = await readCallAnswer(ctx.db, eventId);
  throw conflict(row?.status === 'fallback' ? `Too late: the bot's default answer was sent (${row.reason ?? 'no answer in time'})` : 'This pre-checkout was answered already');
}

function documentRoute(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'post',
    path: '/api/v1/bots/{botId}/payments/pre-checkouts/{eventId}/answer',
    operationId: 'answerPreCheckout',
    tags: ['Messages'],
    summary: 'Answer a Telegram pre-checkout the workflow decides',
    description: 'For a bot whose settings.payments.preCheckout is "workflow": the answer to the payment.pre_checkout event (its id). The first answer wins; one after the bot\'s workflowTimeoutMs, when the default was sent, is refused with 409.',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams.extend({ eventId: z.string().meta({ description: 'The id of the payment.pre_checkout event' }) }), body: jsonContent(preCheckoutAnswerSchema) },
    responses: {
      200: { description: 'The answer is taken; Telegram gets it at once' },
      409: { description: 'Decided already: the default was sent (too late), another answer won, or the bot\'s rule answered' },
      ...errorResponses('messages'),
    },
  });
  docs.registerPath({
    method: 'post',
    path: '/api/v1/bots/{botId}/payments/refund',
    operationId: 'refundPayment',
    tags: ['Messages'],
    summary: 'Refund a Telegram Stars payment',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams, body: jsonContent(refundSchema) },
    responses: {
      200: { description: 'Refunded; payment.refunded recorded' },
      409: { description: 'Telegram did not refund (already refunded, unknown charge, unreachable; the reason is in the message)' },
      ...errorResponses('messages'),
    },
  });
}
