import { postToTarget } from '../events/http-post';
import { nextAttemptAt as scheduledAttempt } from '../events/retry-schedule';
import { workerTransaction } from '../events/worker-transaction';
import type { AppContext } from '../platform/context';
import { fromJson, isPostgres } from '../platform/db/database';
import { appendTraceHop, appendTraceHops, type TraceHop } from '../traces/traces';
import { queueResume } from './answers';
import type { ResumeBody, ResumeRow, WaitRow } from './rows';

const RESUME_BATCH = 50;
const RESUME_LEASE_MS = 60_000;
/** n8n answers these when the execution is gone (deleted, never existed): retrying cannot help. */
const FINAL_STATUSES: readonly number[] = [404, 410];
/**
 * n8n answers 409 both for an execution that has finished and for one still running, not parked yet:
 * a person who answers within the moment n8n takes to save the wait (a busy n8n, a quick tap). The
 * first 409 is retried on the schedule (5 s later); a second one is final.
 */
const CONFLICT = 409;

function isFinalAnswer(statusCode: number | null, attempts: number): boolean {
  if (statusCode === null) return false;
  return FINAL_STATUSES.includes(statusCode) || (statusCode === CONFLICT && attempts > 1);
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
    claimed.map(async (row) => ({ row, ...(await postToTarget(ctx, row.resume_url, row.body, { 'x-metabot-delivery': `resume_${row.message_id}` })) })),
  );
  const now = ctx.clock.now();
  await workerTransaction(ctx, async (trx) => {
    const hops: TraceHop[] = [];
    for (const { row, ok, statusCode, error } of outcomes) {
      const attempts = row.attempts + 1;
      const scheduled = scheduledAttempt(now, attempts);
      const final = ok || scheduled === undefined || isFinalAnswer(statusCode, attempts);
      const status = ok ? 'delivered' : final ? 'exhausted' : 'pending';
      const nextAttemptAt = final ? now : scheduled;
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

/**
 * One pass of the waits loop: time out waits nobody answered, then POST the due resume calls.
 * Resolves true (run again at once) while either found work.
 */
export async function runWaitsOnce(ctx: AppContext): Promise<boolean> {
  const expired = await expireWaits(ctx);
  const resumed = await deliverDueResumes(ctx);
  return expired > 0 || resumed > 0;
}
