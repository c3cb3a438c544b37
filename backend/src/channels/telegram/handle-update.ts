import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { getBot } from '../../bots/bots';
import type { InboundContext } from '../../inbound/hooks';
import type { CallAnswerWaiters } from '../../events/call-answer-waiters';
import { answerOf } from '../../events/call-answers';
import { handleInbound } from '../../inbound/inbound';
import { type InboundInput, toInboundUpdate } from './updates';
import { fromCallAnswer, type PreCheckoutAnswer, readPaymentSettings } from './payment-settings';
import { handleStaffGroupUpdate } from './staff-inbound';
import { sendTelegram } from './telegram-channel';
import { describeTelegramError } from './telegram-wire';

/**
 * A pressed button spins until answered. A workflow may answer it with a toast or an alert within
 * TELEGRAM_BUTTON_ANSWER_DELAY_MS; then the backend answers it empty. Telegram takes one answer,
 * so whichever comes second is refused and ignored here — no state is shared, whichever process
 * the workflow's answer reaches.
 */
function answerLater(ctx: InboundContext, botId: number, api: Api, callbackId: string): void {
  const answer = () => api.answerCallbackQuery(callbackId).catch((err: unknown) => ctx.logger.debug({ error: describeTelegramError(err), botId }, 'answerCallbackQuery: already answered or too old'));
  const delayMs = ctx.config.TELEGRAM_BUTTON_ANSWER_DELAY_MS;
  if (delayMs === 0) return void answer();
  setTimeout(() => void answer(), delayMs).unref();
}

/** What a Telegram update needs beyond the inbound pipeline: the waiters a pre-checkout decided by the workflow waits with. */
export interface TelegramUpdateContext extends InboundContext {
  callAnswers: CallAnswerWaiters;
}

async function sendPreCheckoutAnswer(ctx: InboundContext, botId: number, api: Api, queryId: string, answer: PreCheckoutAnswer): Promise<void> {
  const sent = answer.ok ? api.answerPreCheckoutQuery(queryId, true) : api.answerPreCheckoutQuery(queryId, false, { error_message: answer.errorMessage ?? 'This payment cannot be taken now.' });
  await sent.catch((err: unknown) => ctx.logger.warn({ error: describeTelegramError(err), botId }, 'answerPreCheckoutQuery failed'));
}

/**
 * Telegram cancels a payment whose pre-checkout query is not answered within 10 seconds. By the
 * bot's rule (`settings.payments.preCheckout: "rule"`) it is answered here at once, before the
 * event is recorded; when the workflow decides, the event carries `approved: null` and the answer
 * is awaited (see `answerWhenDecided`).
 */
async function preCheckoutUpdate(ctx: InboundContext, botId: number, api: Api, update: Extract<InboundInput, { kind: 'pre_checkout' }>): Promise<InboundInput> {
  const settings = readPaymentSettings((await getBot(ctx, botId))?.settings.payments);
  if (settings.preCheckout === 'workflow') return { ...update, approved: null, awaitWorkflow: { timeoutMs: settings.workflowTimeoutMs, fallback: settings.answer } };
  await sendPreCheckoutAnswer(ctx, botId, api, update.queryId, settings.answer);
  return { ...update, approved: settings.answer.ok };
}

/**
 * The workflow's answer (Answer Pre-Checkout, in any process) or, at the deadline, the bot's
 * default, sent to Telegram. Not awaited by the update's handling, so the bot's other updates do
 * not queue behind a workflow's seconds.
 */
function answerWhenDecided(ctx: TelegramUpdateContext, botId: number, api: Api, queryId: string, awaiting: { eventId: number; deadline: number }): void {
  void ctx.callAnswers
    .wait(awaiting.eventId, awaiting.deadline, 'payment.pre_checkout_answered')
    .then((row) => sendPreCheckoutAnswer(ctx, botId, api, queryId, fromCallAnswer(answerOf(row).answer)))
    .catch((err: unknown) => ctx.logger.warn({ err, botId, eventId: awaiting.eventId }, 'pre-checkout not answered: its answer could not be read'));
}

/**
 * One Telegram update, from long polling or the webhook: normalised, handed to the inbound
 * pipeline, the immediate reply sent, and a pressed button answered so it stops spinning. An
 * update from the bot's staff group goes to the operators' handling instead (staff-inbound.ts).
 * Throws when the update could not be stored, so it is delivered again (duplicates are dropped
 * by the inbound pipeline).
 */
export async function handleTelegramUpdate(ctx: TelegramUpdateContext, botId: number, api: Api, update: Update): Promise<void> {
  // The staff group is the operators' room: nothing said there is a person's message.
  if (await handleStaffGroupUpdate(ctx, botId, api, update)) return;
  const parsed = toInboundUpdate(botId, update);
  if (!parsed) return;
  const inbound = parsed.kind === 'pre_checkout' ? await preCheckoutUpdate(ctx, botId, api, parsed) : parsed;
  try {
    const result = await handleInbound(ctx, inbound);
    if (result.awaitingAnswer && inbound.kind === 'pre_checkout') answerWhenDecided(ctx, botId, api, inbound.queryId, result.awaitingAnswer);
    if (result.reply) {
      const outcome = await sendTelegram(api, inbound.chatId, result.reply);
      if (outcome.kind !== 'ok') ctx.logger.warn({ botId, outcome, traceId: result.traceId }, 'immediate reply not delivered');
    }
  } finally {
    if (inbound.kind === 'button' && inbound.callbackId) answerLater(ctx, botId, api, inbound.callbackId);
  }
}
