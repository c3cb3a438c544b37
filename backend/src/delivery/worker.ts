import { type Bot, getBot } from '../bots/bots';
import type { RenderedMessage, SendOutcome } from '../channels/channel';
import { type DeliveryLeadState, deliveryLeadStates } from '../identity/recipients';
import { type DeliveryContext, gatherMsAt } from './engine';
import { templateScope } from './messages';
import { countSend } from './metrics';
import type { Pending } from './outcomes';
import { Semaphore, sleepUntil, StartWindow, wallClock } from './pacing';
import { botPausedUntil, botRate, deliverySettings, pauseBot, reserveSlots } from './rate';
import { botsWithDueRows } from './statements/bots-with-due-rows';
import { chatsBusyUntil } from './statements/chats-busy-until';
import { claimDueRecipients, type RecipientRow } from './statements/claim-due-recipients';
import type { LoadedMessage } from './statements/load-messages';
import { renderTemplate } from './templates';
import { afterSend, beforeSend, chatFreeAt, type SendResult } from './triage';

/*
 * Two clocks, each value on exactly one. Times the database holds or compares (due_at, sent_at and
 * chat spacing, the users' pauses, the lease) come from `ctx.clock`, which tests move. Real-time
 * pacing (the bot's rate slots and 429 pause in the shared rate row, sleeping until a slot, the
 * start window, this batch's 429 pause) runs on `wallClock`, because Telegram counts real seconds.
 */

const MAX_BATCH = 500;

type Write = (item: Pending) => Promise<void>;

interface ToSend {
  row: RecipientRow;
  message: LoadedMessage;
  rendered: RenderedMessage;
}

/** The sends of one batch of one bot: they share the in-flight cap, the start window and a 429 pause. */
interface SendBatch {
  ctx: DeliveryContext;
  bot: Bot;
  rate: number;
  write: Write;
  inFlight: Semaphore;
  startWindow: StartWindow;
  /** Wall-clock end of a 429 pause one of the batch's sends got: the later sends are released. */
  pausedUntil: number;
}

/**
 * The delivery loop: every bot with due rows gets one batch (about half a second of its rate).
 * Resolves true while there is more to do, so the loop continues without waiting for its tick.
 */
export async function deliverDue(ctx: DeliveryContext): Promise<boolean> {
  const botIds = await botsWithDueRows(ctx.db, ctx.clock.now());
  const results = await Promise.all(
    botIds.map(async (botId) => {
      const bot = await getBot(ctx, botId);
      return bot ? deliverForBot(ctx, bot) : false;
    }),
  );
  return results.some(Boolean);
}

/** One batch of one bot: claim, triage, reserve rate slots, send each at its slot, record outcomes. */
async function deliverForBot(ctx: DeliveryContext, bot: Bot): Promise<boolean> {
  if ((await botPausedUntil(ctx.db, bot.id)) > wallClock.now()) return false;
  const rate = botRate(bot, ctx.config);
  const limit = Math.max(1, Math.min(MAX_BATCH, Math.ceil(rate / 2)));
  const claimed = await claimDueRecipients(ctx.db, { botId: bot.id, limit, now: ctx.clock.now(), leaseMs: ctx.config.DELIVERY_LEASE_MS });
  if (claimed.length === 0) return false;
  const write: Write = (item) => ctx.delivery.outcomes.write(item, gatherMsAt(rate));
  const { toSend, writes } = await triageBatch(ctx, bot.id, claimed, write);
  const batch: SendBatch = { ctx, bot, rate, write, inFlight: new Semaphore(Math.max(2, Math.ceil(rate / 10))), startWindow: ctx.delivery.startWindow(bot.id), pausedUntil: 0 };
  await Promise.all([...writes, sendAll(batch, toSend)]);
  return true;
}

/** Decides each claimed row before any send: the rows to send (rendered), and the writes of the others. */
async function triageBatch(ctx: DeliveryContext, botId: number, claimed: RecipientRow[], write: Write): Promise<{ toSend: ToSend[]; writes: Array<Promise<void>> }> {
  const spacingMs = ctx.config.DELIVERY_CHAT_SPACING_MS;
  const distinct = (pick: (row: RecipientRow) => string) => [...new Set(claimed.map(pick))];
  const [messages, leads, busyChats] = await Promise.all([
    ctx.delivery.messagesFor(distinct((r) => r.message_id)),
    deliveryLeadStates(ctx.db, botId, distinct((r) => r.lead_id)),
    chatsBusyUntil(ctx.db, botId, distinct((r) => r.chat_id), ctx.clock.now(), spacingMs),
  ]);
  const writes: Array<Promise<void>> = [];
  const toSend: ToSend[] = [];
  const chatsInBatch = new Map<string, number>();
  for (const row of claimed) {
    const message = messages.get(row.message_id)!;
    const lead = leads.get(row.lead_id);
    const earlierInBatch = chatsInBatch.get(row.chat_id) ?? 0;
    const now = ctx.clock.now();
    const decided = beforeSend(lead, message, now, chatFreeAt(earlierInBatch, busyChats.get(row.chat_id), now, spacingMs));
    if (decided) {
      writes.push(write({ row, message, outcome: decided, attempted: false }));
      continue;
    }
    chatsInBatch.set(row.chat_id, earlierInBatch + 1);
    try {
      toSend.push({ row, message, rendered: render(row, lead!, message) });
    } catch (error) {
      writes.push(write({ row, message, outcome: { kind: 'failed', reason: `template: ${(error as Error).message}` }, attempted: false }));
    }
  }
  return { toSend, writes };
}

function render(row: RecipientRow, lead: DeliveryLeadState, message: LoadedMessage): RenderedMessage {
  const recipient = { leadId: row.lead_id, userId: row.user_id, channel: row.channel, chatId: row.chat_id, profile: lead.profile, attributes: lead.attributes };
  const rendered = renderTemplate(message.template, templateScope(recipient, message.content.params));
  const { parseMode, imageUrl, quickReplies, requestContact } = message.content;
  return { text: rendered.text, parseMode, buttons: rendered.buttons, imageUrl, quickReplies, requestContact };
}

/** Reserves one rate slot per send in the bot's shared schedule, then sends each at its slot. */
async function sendAll(batch: SendBatch, toSend: ToSend[]): Promise<void> {
  if (toSend.length === 0) return;
  const intervalMs = 1000 / batch.rate;
  const firstSlot = await reserveSlots(batch.ctx.db, batch.bot.id, toSend.length, intervalMs, wallClock.now());
  await Promise.all(toSend.map((item, i) => sendAtSlot(batch, item, firstSlot + i * intervalMs)));
}

async function sendAtSlot(batch: SendBatch, item: ToSend, slot: number): Promise<void> {
  await sleepUntil(slot);
  await batch.inFlight.acquire();
  try {
    await batch.startWindow.waitTurn(batch.rate);
    await attemptSend(batch, item);
  } finally {
    batch.inFlight.release();
  }
}

async function attemptSend(batch: SendBatch, { row, message, rendered }: ToSend): Promise<void> {
  const { ctx } = batch;
  await ctx.delivery.starts.write(row.id);
  // Checked after the mark's commit: a 429 may have arrived meanwhile. The pause's remaining
  // duration (a wall-clock span) moves the row's due time on the database clock.
  const pauseLeftMs = batch.pausedUntil - wallClock.now();
  if (pauseLeftMs > 0) return batch.write({ row, message, outcome: { kind: 'release', dueAt: ctx.clock.now() + pauseLeftMs }, attempted: false });
  const sent = await send(batch, row, rendered);
  if (sent.result.kind === 'rateLimited') await pauseBatch(batch, sent.result.retryAfterMs);
  const outcome = afterSend(row, sent, ctx.clock.now(), ctx.config, Math.random());
  countSend(row.channel, sent.result, outcome, sent.latencyMs);
  await batch.write({ row, message, outcome, attempted: sent.result.kind !== 'rateLimited' });
}

async function send({ ctx, bot }: SendBatch, row: RecipientRow, rendered: RenderedMessage): Promise<SendResult> {
  const channel = ctx.channels.get(row.channel);
  const paidBroadcast = deliverySettings(bot).allowPaidBroadcast === true;
  const started = performance.now();
  const result: SendOutcome = channel
    ? await channel.send({ botId: bot.id, chatId: row.chat_id }, rendered, { paidBroadcast })
    : { kind: 'permanent', reason: `no ${row.channel} channel in this backend` };
  return { result, latencyMs: Math.round(performance.now() - started) };
}

/** A 429 pauses the whole bot: the rest of this batch here, and every process through the shared rate row. */
async function pauseBatch(batch: SendBatch, retryAfterMs: number): Promise<void> {
  batch.pausedUntil = Math.max(batch.pausedUntil, wallClock.now() + retryAfterMs);
  await pauseBot(batch.ctx.db, batch.bot.id, batch.pausedUntil);
}
