import crypto from 'node:crypto';
import type { BotState, RecordedMessage } from './bot-state';
import { admit, badRequest, chatIdOf, checkNotBlocked, checkReplyMarkup, jsonParam, messageObject, type Params, stringParam } from './methods';

/**
 * Payments as the Bot API has them (core.telegram.org/bots/api#payments, #sendinvoice,
 * #answerprecheckoutquery, #refundstarpayment; core.telegram.org/bots/payments-stars):
 * - sendInvoice: title 1-32 characters, description 1-255, payload 1-128 bytes, a three-letter
 *   currency, prices as integers in the smallest units; for Telegram Stars (XTR) exactly one price
 *   and an empty provider token, otherwise a provider token.
 * - "The Bot API must receive an answer within 10 seconds after the pre-checkout query was sent":
 *   an answer later than that is refused and the payment does not happen.
 * - refundStarPayment: only a Stars payment of this user, once.
 */

export const PAYMENT_RULES = { preCheckoutDeadlineMs: 10_000 };

interface Checkout {
  chatId: number;
  sentAt: number;
  answer?: { ok: boolean; errorMessage?: string; at: number };
}

/** What the stand-in keeps of payments per bot, beside its messages. */
export class PaymentsState {
  readonly checkouts = new Map<string, Checkout>();
  /** Stars charges by id: who paid and whether it was refunded. */
  readonly charges = new Map<string, { chatId: number; amount: number; refunded: boolean }>();
  deadlineMs = PAYMENT_RULES.preCheckoutDeadlineMs;
}

const states = new WeakMap<BotState, PaymentsState>();
export function paymentsOf(bot: BotState): PaymentsState {
  let state = states.get(bot);
  if (!state) states.set(bot, (state = new PaymentsState()));
  return state;
}

function sendInvoice(bot: BotState, params: Params): unknown {
  const chatId = chatIdOf(params);
  const title = stringParam(params, 'title') ?? '';
  const description = stringParam(params, 'description') ?? '';
  const payload = stringParam(params, 'payload') ?? '';
  const currency = stringParam(params, 'currency') ?? '';
  const prices = (jsonParam(params, 'prices') ?? []) as unknown as Array<{ label: string; amount: number }>;
  if (title.length < 1 || title.length > 32) throw badRequest('INVOICE_TITLE_INVALID');
  if (description.length < 1 || description.length > 255) throw badRequest('INVOICE_DESCRIPTION_INVALID');
  if (Buffer.byteLength(payload) < 1 || Buffer.byteLength(payload) > 128) throw badRequest('INVOICE_PAYLOAD_INVALID');
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');
  if (!Array.isArray(prices) || prices.length === 0 || prices.some((p) => !Number.isSafeInteger(p.amount) || p.amount <= 0)) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
  const providerToken = stringParam(params, 'provider_token') ?? '';
  if (currency === 'XTR' && (prices.length !== 1 || providerToken !== '')) throw badRequest('STARS_INVOICE_INVALID');
  if (currency !== 'XTR' && providerToken === '') throw badRequest('PAYMENT_PROVIDER_INVALID');
  const replyMarkup = jsonParam(params, 'reply_markup');
  checkReplyMarkup(replyMarkup);
  checkNotBlocked(bot, chatId);
  const admitted = admit(bot, chatId, params);
  const invoice = { title, description, payload, currency, prices, providerToken, totalAmount: prices.reduce((sum, p) => sum + p.amount, 0) };
  const record: RecordedMessage = { botId: bot.id, chatId, messageId: bot.newMessageId(chatId), method: 'sendInvoice', replyMarkup, paidBroadcast: admitted.paid, at: admitted.at, edits: [], invoice };
  bot.messages.push(record);
  bot.onMessage?.(record);
  return { ...messageObject(bot, record), invoice: { title, description, start_parameter: '', currency, total_amount: invoice.totalAmount } };
}

function answerPreCheckoutQuery(bot: BotState, params: Params): true {
  const checkout = paymentsOf(bot).checkouts.get(String(params.pre_checkout_query_id));
  if (!checkout || checkout.answer) throw badRequest('QUERY_ID_INVALID');
  if (Date.now() - checkout.sentAt > paymentsOf(bot).deadlineMs) throw badRequest('query is too old and response timeout expired or query ID is invalid');
  const ok = params.ok === true || params.ok === 'true';
  const errorMessage = stringParam(params, 'error_message');
  if (!ok && !errorMessage) throw badRequest('error_message is required when ok is false');
  checkout.answer = { ok, errorMessage, at: Date.now() };
  return true;
}

function refundStarPayment(bot: BotState, params: Params): true {
  const charge = paymentsOf(bot).charges.get(String(params.telegram_payment_charge_id));
  if (!charge || charge.chatId !== Number(params.user_id)) throw badRequest('CHARGE_NOT_FOUND');
  if (charge.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
  charge.refunded = true;
  return true;
}

export const paymentMethods: Record<string, (bot: BotState, params: Params) => unknown> = { sendInvoice, answerPreCheckoutQuery, refundStarPayment };

/**
 * The person pays the latest invoice sent to them: a pre_checkout_query, then — when the bot said
 * yes within the deadline — a successful_payment message. Resolves with what happened.
 */
export async function payInvoice(bot: BotState, chatId: number, enqueue: (body: Record<string, unknown>) => void, incoming: () => Record<string, unknown>): Promise<{ paid: boolean; chargeId?: string; reason?: string }> {
  const invoiceMessage = [...bot.messages].reverse().find((m) => m.chatId === chatId && m.invoice);
  if (!invoiceMessage) throw new Error(`chat ${chatId} has no invoice`);
  const invoice = invoiceMessage.invoice as { payload: string; currency: string; totalAmount: number };
  const payments = paymentsOf(bot);
  const queryId = crypto.randomBytes(8).toString('hex');
  payments.checkouts.set(queryId, { chatId, sentAt: Date.now() });
  enqueue({ pre_checkout_query: { id: queryId, from: bot.user(chatId), currency: invoice.currency, total_amount: invoice.totalAmount, invoice_payload: invoice.payload } });
  const deadline = Date.now() + payments.deadlineMs;
  while (!payments.checkouts.get(queryId)!.answer && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const answer = payments.checkouts.get(queryId)!.answer;
  if (!answer) return { paid: false, reason: 'no answer to the pre-checkout query within 10 s' };
  if (!answer.ok) return { paid: false, reason: answer.errorMessage };
  const chargeId = `stxch_${crypto.randomBytes(10).toString('hex')}`;
  if (invoice.currency === 'XTR') payments.charges.set(chargeId, { chatId, amount: invoice.totalAmount, refunded: false });
  enqueue({ message: { ...incoming(), successful_payment: { currency: invoice.currency, total_amount: invoice.totalAmount, invoice_payload: invoice.payload, telegram_payment_charge_id: chargeId, ...(invoice.currency === 'XTR' ? {} : { provider_payment_charge_id: `prov_${chargeId}` }) } } });
  return { paid: true, chargeId };
}
