import { stoppedTopicRows } from '../audiences/topics';
import { type Bot, getBot } from '../bots/bots';
import type { RenderedMessage, SendOutcome, UploadedFileId } from '../channels/channel';
import { userProfiles } from '../identity/accounts';
import { type DeliveryLeadState, deliveryLeadStates } from '../identity/recipients';
import { type DeliveryContext, gatherMsAt } from './engine';
import { DELIVERY_LOOP, templateScope, textIsCaption, type UserProfiles } from './messages';
import { quietHoursEnd, type QuietHours, recipientZone } from './schedule';
import { renderedLimitProblems } from './message-limits';
import { countSend } from './metrics';
import type { Pending, RowOutcome } from './outcomes';
import { Semaphore, sleepUntil, StartWindow, wallClock } from './pacing';
import { botPausedUntil, botRate, deliverySettings, pauseBot, reserveSlots } from './rate';
import { botsWithDueRows } from './statements/bots-with-due-rows';
import { chatsBusyUntil } from './statements/chats-busy-until';
import { claimDueRecipients, type RecipientRow } from './statements/claim-due-recipients';
import type { LoadedMessage } from './statements/load-messages';
import { recordFileIds, renderedFiles, withTelegramFiles } from './stored-files';
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
  const { toSend, writes } = await triageBatch(ctx, bot, claimed, write);
  const batch: SendBatch = { ctx, bot, rate, write, inFlight: new Semaphore(Math.max(2, Math.ceil(rate / 10))), startWindow: ctx.delivery.startWindow(bot.id), pausedUntil: 0 };
  await Promise.all([...writes, sendAll(batch, toSend)]);
  return true;
}

/** Decides each claimed row before any send: the rows to send (rendered), and the writes of the others. */
async function triageBatch(ctx: DeliveryContext, bot: Bot, claimed: RecipientRow[], write: Write): Promise<{ toSend: ToSend[]; writes: Array<Promise<void>> }> {
  const botId = bot.id;
  const spacingMs = ctx.config.DELIVERY_CHAT_SPACING_MS;
  const quiet = deliverySettings(bot).quietHours;
  const distinct = (pick: (row: RecipientRow) => string) => [...new Set(claimed.map(pick))];
  const [messages, leads, busyChats, profiles, stopped] = await Promise.all([
    ctx.delivery.messagesFor(distinct((r) => r.message_id)),
    deliveryLeadStates(ctx.db, botId, distinct((r) => r.lead_id)),
    chatsBusyUntil(ctx.db, botId, distinct((r) => r.chat_id), ctx.clock.now(), spacingMs),
    userProfiles(ctx.db, botId, claimed.map((r) => r.user_id)),
    stoppedTopicRows(ctx.db, botId, claimed),
  ]);
  const writes: Array<Promise<void>> = [];
  const toSend: ToSend[] = [];
  const chatsInBatch = new Map<string, number>();
  const deferredUntil = new Set<number>();
  for (const row of claimed) {
    const message = messages.get(row.message_id)!;
    const lead = leads.get(row.lead_id);
    const earlierInBatch = chatsInBatch.get(row.chat_id) ?? 0;
    const now = ctx.clock.now();
    const decided = beforeSend(lead, message, now, chatFreeAt(earlierInBatch, busyChats.get(row.chat_id), now, spacingMs), stopped.has(row.id)) ?? outsideQuietHours(bot, quiet, row, message, profiles, now);
    if (decided) {
      if (decided.kind === 'deferred') deferredUntil.add(decided.dueAt);
      writes.push(write({ row, message, outcome: decided, attempted: false }));
      continue;
    }
    chatsInBatch.set(row.chat_id, earlierInBatch + 1);
    try {
      toSend.push({ row, message, rendered: render(row, lead!, message, profiles) });
    } catch (error) {
      if (!(error instanceof UnsendableError)) throw error;
      writes.push(write({ row, message, outcome: { kind: 'failed', reason: error.message }, attempted: false }));
    }
  }
  // Deferred rows (a pause, quiet hours) leave when it ends: the loop is woken then, once per distinct time.
  for (const at of deferredUntil) ctx.wakeups.wakeLaterAfterCommit(ctx.db, DELIVERY_LOOP, at - ctx.clock.now());
  return { toSend, writes };
}

/** Quiet hours hold a message that is neither critical nor an identity notice until they end in the person's zone (read now, so a changed zone counts). */
function outsideQuietHours(bot: Bot, quiet: QuietHours | undefined, row: RecipientRow, message: LoadedMessage, profiles: UserProfiles, now: number): RowOutcome | undefined {
  if (!quiet || message.critical || message.notice) return undefined;
  const zone = recipientZone(bot, row.user_id === null ? undefined : profiles.get(row.user_id));
  const end = quietHoursEnd(quiet, now, zone);
  return end === undefined ? undefined : { kind: 'deferred', dueAt: end, reason: `quiet hours (${quiet.from}–${quiet.to} ${zone}) until ${new Date(end).toISOString()}` };
}

/** Why a row cannot be sent as rendered for its person; the reason is stored on the failed recipient. */
class UnsendableError extends Error {}

function render(row: RecipientRow, lead: DeliveryLeadState, message: LoadedMessage, profiles: UserProfiles): RenderedMessage {
  const recipient = { leadId: row.lead_id, userId: row.user_id, channel: row.channel, chatId: row.chat_id, profile: lead.profile, attributes: lead.attributes };
  let rendered;
  try {
    rendered = renderTemplate(message.template, templateScope(recipient, message.content.params, profiles));
  } catch (error) {
    throw new UnsendableError(`template: ${(error as Error).message}`);
  }
  const { parseMode, imageUrl, quickReplies, requestContact } = message.content;
  // What the static check at accept could not see: this person's rendering past Telegram's limit.
  const problems = renderedLimitProblems({ text: rendered.text, parseMode, isCaption: textIsCaption(message.content) });
  if (problems.length > 0) throw new UnsendableError(`too long for Telegram: ${problems.map((p) => p.message).join('; ')}`);
  return { text: rendered.text, parseMode, buttons: rendered.buttons, imageUrl, ...renderedFiles(message.content, message.files), quickReplies, requestContact };
}

/**
 * A file uploaded with a message goes to Telegram once: the first recipient of each file not yet
 * uploaded is sent alone, and the others wait for the file id its answer carries. When that send
 * fails the next recipient uploads, one at a time, so a file is never uploaded twice at once here.
 */
async function sendAll(batch: SendBatch, toSend: ToSend[]): Promise<void> {
  let rest = toSend;
  for (;;) {
    const pioneers = firstUploads(rest);
    if (pioneers.length === 0) break;
    await sendAtSlots(batch, pioneers);
    rest = rest.filter((item) => !pioneers.includes(item));
  }
  await sendAtSlots(batch, rest);
}

/** One item per message whose Telegram upload is still to be made. */
function firstUploads(items: ToSend[]): ToSend[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (item.row.channel !== 'telegram' || seen.has(item.row.message_id)) return false;
    if (!item.message.files.some((f) => f.telegramFileId === null)) return false;
    seen.add(item.row.message_id);
    return true;
  });
}

/** Reserves one rate slot per send in the bot's shared schedule, then sends each at its slot. */
async function sendAtSlots(batch: SendBatch, toSend: ToSend[]): Promise<void> {
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
  // A cancel that reached the row before its mark wins: the send does not start.
  if (!(await ctx.delivery.starts.write(row.id))) return batch.write({ row, message, outcome: { kind: 'cancelled' }, attempted: false });
  // Checked after the mark's commit: a 429 may have arrived meanwhile. The pause's remaining
  // duration (a wall-clock span) moves the row's due time on the database clock.
  const pauseLeftMs = batch.pausedUntil - wallClock.now();
  if (pauseLeftMs > 0) return batch.write({ row, message, outcome: { kind: 'release', dueAt: ctx.clock.now() + pauseLeftMs }, attempted: false });
  const sent = await send(batch, row, message, rendered);
  if (sent.result.kind === 'ok' && sent.result.uploaded) await rememberUploads(ctx, message, sent.result.uploaded);
  if (sent.result.kind === 'rateLimited') await pauseBatch(batch, sent.result.retryAfterMs);
  const outcome = afterSend(row, sent, ctx.clock.now(), ctx.config, Math.random());
  countSend(row.channel, sent.result, outcome, sent.latencyMs);
  await batch.write({ row, message, outcome, attempted: sent.result.kind !== 'rateLimited' });
}

async function send({ ctx, bot }: SendBatch, row: RecipientRow, message: LoadedMessage, rendered: RenderedMessage): Promise<SendResult> {
  const channel = ctx.channels.get(row.channel);
  const paidBroadcast = deliverySettings(bot).allowPaidBroadcast === true;
  const started = performance.now();
  const result: SendOutcome = channel
    ? await channel.send({ botId: bot.id, chatId: row.chat_id }, await withFiles(ctx, row, message, rendered), { paidBroadcast, deliveryKey: row.id })
    : { kind: 'permanent', reason: `no ${row.channel} channel in this backend` };
  return { result, latencyMs: Math.round(performance.now() - started) };
}

/** Telegram gets an upload by the file id an earlier recipient's send returned, else with its bytes. */
function withFiles(ctx: DeliveryContext, row: RecipientRow, message: LoadedMessage, rendered: RenderedMessage): Promise<RenderedMessage> | RenderedMessage {
  if (row.channel !== 'telegram' || message.files.length === 0) return rendered;
  return withTelegramFiles(ctx.db, rendered, (ref) => message.files.find((f) => f.id === ref)?.telegramFileId ?? null);
}

async function rememberUploads(ctx: DeliveryContext, message: LoadedMessage, uploaded: UploadedFileId[]): Promise<void> {
  for (const { ref, fileId } of uploaded) {
    const file = message.files.find((f) => f.id === ref);
    if (file && !file.telegramFileId) file.telegramFileId = fileId;
  }
  await recordFileIds(ctx.db, uploaded);
}

/** A 429 pauses the whole bot: the rest of this batch here, and every process through the shared rate row. */
async function pauseBatch(batch: SendBatch, retryAfterMs: number): Promise<void> {
  batch.pausedUntil = Math.max(batch.pausedUntil, wallClock.now() + retryAfterMs);
  await pauseBot(batch.ctx.db, batch.bot.id, batch.pausedUntil);
}
