import type { Knex } from 'knex';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres, toJson } from '../platform/db/database';
import { type InboundHook, type InboundHookInput, inboundHooks } from '../inbound/hooks';
import { appendTraceHop, appendTraceHops, type TraceHop } from '../traces/traces';
import { wakeAfterCommit } from '../platform/wakeups';
import type { EventRow } from '../events/fanout';
import { postJson } from '../events/http-post';
import { EVENTS_LOOP } from '../events/outbox';
import { DELIVERY_TIMEOUT_MS, MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../events/webhook-delivery';
import { workerTransaction } from '../events/worker-transaction';

/** What the messages API stores on a message sent with `wait` (api-contract.md). */
const waitSchema = z.object({ resumeUrl: z.url(), mode: z.enum(['buttons', 'text']), timeoutSeconds: z.number().int().positive() });
const sentPayloadSchema = z.object({ messageId: z.string(), externalId: z.string().optional() });

interface WaitRow {
  message_id: string;
  lead_id: string;
  bot_id: number;
  user_id: string | null;
  mode: 'buttons' | 'text';
  external_id: string | null;
  trace_id: string;
  expires_at: number;
  created_at: number;
}

interface ResumeRow {
  message_id: string;
  bot_id: number;
  status: 'pending' | 'delivered' | 'exhausted';
  resume_url: string;
  body: string;
  attempts: number;
}

type ResumeBody = {
  status: 'answered' | 'timeout';
  answer: { text?: string; buttonData?: string } | null;
  leadId: string | null;
  userId: string | null;
  messageId: string;
  traceId: string;
};

const RESUME_BATCH = 50;
const RESUME_LEASE_MS = 60_000;
/** n8n answers these when the execution is gone (finished, timed out, deleted): retrying cannot help. */
const FINAL_STATUSES = new Set([404, 409, 410]);

/**
 * A waiting message was sent to a lead (its `message.sent` event, seen by the fan-out): from now
 * on the lead's answer resumes the n8n execution, until the timeout. Nothing is registered once
 * the message was answered by another of its recipients.
 */
export async function registerWaits(trx: Knex, events: EventRow[]): Promise<void> {
  const sent = events.flatMap((event) => {
    const payload = sentPayloadSchema.safeParse(event.type === 'message.sent' && event.lead_id ? fromJson(event.payload) : null);
    return payload.success ? [{ event, ...payload.data }] : [];
  });
  if (sent.length === 0) return;
  const messages = await trx('messages').whereIn('id', [...new Set(sent.map((s) => s.messageId))]).whereNotNull('wait').select('id', 'wait');
  const waitOf = new Map(messages.flatMap((m: { id: string; wait: string }) => {
    const wait = waitSchema.safeParse(fromJson(m.wait));
    return wait.success ? [[m.id, wait.data] as const] : [];
  }));
  const answered = new Set(await trx('wait_resumes').whereIn('message_id', [...waitOf.keys()]).pluck('message_id'));
  const rows: WaitRow[] = sent.flatMap(({ event, messageId, externalId }) => {
    const wait = waitOf.get(messageId);
    if (!wait || answered.has(messageId)) return [];
    return [{
      message_id: messageId,
      lead_id: event.lead_id!,
      bot_id: event.bot_id,
      user_id: event.user_id,
      mode: wait.mode,
      external_id: externalId ?? null,
      trace_id: event.trace_id,
      expires_at: event.created_at + wait.timeoutSeconds * 1000,
      created_at: event.created_at,
    }];
  });
  if (rows.length > 0) await trx('message_waits').insert(rows).onConflict(['message_id', 'lead_id']).ignore();
}

/** The answer an update gives to a wait of `mode`, if it is one. */
function answerOf(update: InboundHookInput['update']): { mode: WaitRow['mode']; answer: NonNullable<ResumeBody['answer']> } | undefined {
  if (update.kind === 'button') return { mode: 'buttons', answer: { buttonData: update.data } };
  if (update.text !== undefined) return { mode: 'text', answer: { text: update.text } };
  return undefined;
}

/**
 * Inbound hook: an answer of a lead someone waits for resumes that execution — exactly once per
 * message, whichever recipient answers first (a double tap, or a second recipient, then produces
 * an ordinary event). Written in the update's transaction, so the answer and the resume commit together.
 */
export const resumeWaitingExecution: InboundHook = async (ctx, { trx, update, lead }) => {
  const given = answerOf(update);
  if (!given) return undefined;
  const now = ctx.clock.now();
  // A quick answer may come before the fan-out registered the wait from the `message.sent` event.
  await registerWaits(trx, await trx<EventRow>('events').whereNull('fanout').where({ lead_id: lead.id, type: 'message.sent' }));
  const query = trx<WaitRow>('message_waits').where({ bot_id: lead.botId, lead_id: lead.id, mode: given.mode }).where('expires_at', '>', now);
  if (update.kind === 'button' && update.messageRef) query.where((q) => q.whereNull('external_id').orWhere('external_id', update.messageRef!));
  const wait = await query.orderBy('created_at', 'desc').first();
  if (!wait) return undefined;
  const won = await queueResume(trx, now, wait, { status: 'answered', answer: given.answer, leadId: lead.id, userId: lead.userId ?? wait.user_id });
  await trx('message_waits').where({ message_id: wait.message_id }).delete();
  if (!won) return undefined;
  await appendTraceHop(trx, ctx.clock, { botId: wait.bot_id, traceId: wait.trace_id, hop: 'wait.answered', status: 'answered', leadId: lead.id, userId: lead.userId, latencyMs: now - wait.created_at, detail: { messageId: wait.message_id, ...given.answer } });
  wakeAfterCommit(trx, EVENTS_LOOP);
  return { consumed: true };
};

/** Inserts the message's one resume call; false when another answer (or the timeout) came first. */
async function queueResume(trx: Knex, now: number, wait: WaitRow, result: Omit<ResumeBody, 'messageId' | 'traceId'>): Promise<boolean> {
  const message = await trx('messages').where({ id: wait.message_id }).first('wait');
  const parsed = waitSchema.safeParse(message ? fromJson(message.wait) : null);
  if (!parsed.success) return false;
  const body: ResumeBody = { ...result, messageId: wait.message_id, traceId: wait.trace_id };
  const inserted = await trx('wait_resumes')
    .insert({ message_id: wait.message_id, bot_id: wait.bot_id, resume_url: parsed.data.resumeUrl, body: toJson(body), status: 'pending', attempts: 0, next_attempt_at: now, created_at: now })
    .onConflict('message_id')
    .ignore()
    .returning('message_id');
  return inserted.length > 0;
}

/** Registers the hook once per process (every backend in a process shares the hook list). */
export function registerSendAndWait(): void {
  if (!inboundHooks.includes(resumeWaitingExecution)) inboundHooks.push(resumeWaitingExecution);
}

/** Waits past their timeout: a message none of whose recipients answered in time resumes with `timeout`. */
export async function expireWaits(ctx: AppContext): Promise<number> {
  const now = ctx.clock.now();
  const expired = await ctx.db<WaitRow>('message_waits').where('expires_at', '<=', now).orderBy('expires_at').limit(RESUME_BATCH);
  const byMessage = new Map(expired.map((w) => [w.message_id, w]));
  for (const wait of byMessage.values()) {
    await workerTransaction(ctx, async (trx) => {
      await trx('message_waits').where({ message_id: wait.message_id }).where('expires_at', '<=', now).delete();
      const stillWaiting = await trx('message_waits').where({ message_id: wait.message_id }).first('lead_id');
      if (stillWaiting) return;
      if (await queueResume(trx, now, wait, { status: 'timeout', answer: null, leadId: wait.lead_id, userId: wait.user_id })) {
        await appendTraceHop(trx, ctx.clock, { botId: wait.bot_id, traceId: wait.trace_id, hop: 'wait.answered', status: 'timeout', leadId: wait.lead_id, userId: wait.user_id, detail: { messageId: wait.message_id } });
      }
    });
  }
  return byMessage.size;
}

/** POSTs due resume calls to n8n, with the webhook retry schedule. Returns how many were attempted. */
export async function deliverDueResumes(ctx: AppContext): Promise<number> {
  const claimed = await claimDueResumes(ctx);
  if (claimed.length === 0) return 0;
  const outcomes = await Promise.all(
    claimed.map(async (row) => {
      try {
        const answer = await postJson(row.resume_url, row.body, { 'x-metabot-delivery': `resume_${row.message_id}` }, DELIVERY_TIMEOUT_MS);
        const ok = answer.status >= 200 && answer.status < 300;
        return { row, ok, statusCode: answer.status, error: ok ? null : `HTTP ${answer.status}: ${answer.text.slice(0, 300)}` };
      } catch (err) {
        return { row, ok: false, statusCode: null, error: (err as Error).message };
      }
    }),
  );
  const now = ctx.clock.now();
  await workerTransaction(ctx, async (trx) => {
    const hops: TraceHop[] = [];
    for (const { row, ok, statusCode, error } of outcomes) {
      const attempts = row.attempts + 1;
      const final = ok || attempts >= MAX_ATTEMPTS || (statusCode !== null && FINAL_STATUSES.has(statusCode));
      const status = ok ? 'delivered' : final ? 'exhausted' : 'pending';
      const nextAttemptAt = final ? now : now + RETRY_DELAYS_MS[attempts - 1];
      await trx('wait_resumes')
        .where({ message_id: row.message_id })
        .update({ status, attempts, next_attempt_at: nextAttemptAt, last_status_code: statusCode, last_error: error, delivered_at: ok ? now : null });
      const body = fromJson<ResumeBody>(row.body);
      if (final) hops.push({ botId: row.bot_id, traceId: body.traceId, hop: 'wait.resumed', status, leadId: body.leadId, userId: body.userId, detail: { messageId: row.message_id, attempts, ...(error ? { error } : {}) } });
    }
    await appendTraceHops(trx, ctx.clock, hops);
  });
  return claimed.length;
}

async function claimDueResumes(ctx: AppContext): Promise<ResumeRow[]> {
  const now = ctx.clock.now();
  // Resumes are rare: a plain look first spares the loop a transaction on every pass.
  if (!(await ctx.db('wait_resumes').where({ status: 'pending' }).where('next_attempt_at', '<=', now).first('message_id'))) return [];
  return workerTransaction(ctx, async (trx) => {
    const query = trx<ResumeRow>('wait_resumes').where({ status: 'pending' }).where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(RESUME_BATCH);
    const rows: ResumeRow[] = isPostgres(trx) ? await query.forUpdate().skipLocked() : await query;
    if (rows.length > 0) await trx('wait_resumes').whereIn('message_id', rows.map((r) => r.message_id)).update({ next_attempt_at: now + RESUME_LEASE_MS });
    return rows;
  });
}
