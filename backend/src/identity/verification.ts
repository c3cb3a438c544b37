import crypto from 'node:crypto';
import type { AppContext } from '../platform/context';
import { isPostgres } from '../platform/db/database';
import { secretKey } from '../platform/secrets/secret-box';
import { appendTraceHop } from '../traces/traces';
import { type Link, linkLead } from './links';

/** A code is good for 5 minutes and 5 tries; a user gets at most 3 codes in any hour. */
export const CODE_VALIDITY_MS = 5 * 60_000;
export const MAX_ATTEMPTS = 5;
export const MAX_CODES_PER_HOUR = 3;
const HOUR_MS = 3_600_000;

interface CodeRow {
  id: string;
  bot_id: number;
  user_id: string;
  salt: string;
  code_hash: string;
  attempts: number;
  expires_at: number | string;
  verified_at: number | string | null;
  created_at: number | string;
}

export type StartedVerification =
  | { status: 'started'; verificationId: string; code: string; expiresAt: number; attemptsLeft: number }
  | { status: 'limited'; retryAt: number };

export type VerificationOutcome =
  | { status: 'verified'; link: Link }
  | { status: 'wrong'; attemptsLeft: number }
  | { status: 'expired' | 'too_many_attempts' | 'none' };

/** The code's salted HMAC under the server's secret key: a stolen table alone cannot be brute-forced offline. */
function codeHash(key: Buffer, salt: string, code: string): string {
  return crypto.createHmac('sha256', key).update(`verification-code:${salt}:${code}`).digest('hex');
}

function sameCode(key: Buffer, row: Pick<CodeRow, 'salt' | 'code_hash'>, code: string): boolean {
  return crypto.timingSafeEqual(Buffer.from(codeHash(key, row.salt, code), 'hex'), Buffer.from(row.code_hash, 'hex'));
}

/**
 * A new 6-digit code for `userId`, unless the user had 3 in the last hour. The user's row in
 * `verification_users` is locked (PostgreSQL; SQLite runs one write transaction at a time) before
 * counting, so concurrent starts cannot both see 2. Codes older than the window are deleted here:
 * a user keeps at most 3 rows. The code itself is returned, never stored or logged.
 */
export async function startVerification(ctx: AppContext, input: { botId: number; userId: string; traceId: string }): Promise<StartedVerification> {
  const key = secretKey(ctx);
  return ctx.db.transaction(async (trx) => {
    const now = ctx.clock.now();
    const user = { bot_id: input.botId, user_id: input.userId };
    await trx('verification_users').insert(user).onConflict(['bot_id', 'user_id']).ignore();
    const lock = trx('verification_users').where(user);
    if (isPostgres(trx)) lock.forUpdate();
    await lock.first();
    await trx('verification_codes').where(user).andWhere('created_at', '<=', now - HOUR_MS).delete();
    const recent = (await trx('verification_codes').where(user).orderBy('created_at', 'asc').select('created_at')) as Array<Pick<CodeRow, 'created_at'>>;
    if (recent.length >= MAX_CODES_PER_HOUR) {
      const retryAt = Number(recent[recent.length - MAX_CODES_PER_HOUR].created_at) + HOUR_MS;
      await appendTraceHop(trx, ctx.clock, { botId: input.botId, traceId: input.traceId, hop: 'verification.started', status: 'limited', userId: input.userId });
      return { status: 'limited', retryAt };
    }
    const code = crypto.randomInt(0, 1_000_000).toString().padStart(6, '0');
    const salt = crypto.randomBytes(16).toString('hex');
    const verificationId = `vc_${crypto.randomBytes(12).toString('base64url')}`;
    const expiresAt = now + CODE_VALIDITY_MS;
    await trx('verification_codes').insert({ id: verificationId, ...user, salt, code_hash: codeHash(key, salt, code), attempts: 0, expires_at: expiresAt, verified_at: null, created_at: now });
    await appendTraceHop(trx, ctx.clock, { botId: input.botId, traceId: input.traceId, hop: 'verification.started', status: 'started', userId: input.userId, detail: { verificationId } });
    return { status: 'started', verificationId, code, expiresAt, attemptsLeft: MAX_ATTEMPTS };
  });
}

/** Why the user's newest code takes no (further) attempt. */
function closedReason(row: CodeRow | undefined, now: number): 'expired' | 'too_many_attempts' | 'none' | undefined {
  if (!row || row.verified_at !== null) return 'none';
  if (Number(row.expires_at) <= now) return 'expired';
  if (row.attempts >= MAX_ATTEMPTS) return 'too_many_attempts';
  return undefined;
}

export interface VerifyRequest {
  botId: number;
  userId: string;
  leadId: string;
  channel: string;
  code: string;
  traceId: string;
}

/**
 * Checks `code` against the user's newest code. Every try is counted first, by one conditional
 * `update … where attempts < 5` (a row lock on PostgreSQL), so concurrent tries never exceed 5;
 * a right code is consumed (`verified_at`) and links the lead in the same transaction. Failures
 * are recorded as the attempt count and a `verification.failed` trace hop.
 */
export async function verifyCode(ctx: AppContext, request: VerifyRequest): Promise<VerificationOutcome> {
  const key = secretKey(ctx);
  const outcome = await ctx.db.transaction(async (trx): Promise<VerificationOutcome> => {
    const now = ctx.clock.now();
    const newest = (await trx('verification_codes').where({ bot_id: request.botId, user_id: request.userId }).orderBy('created_at', 'desc').orderBy('id', 'desc').first()) as CodeRow | undefined;
    const closed = closedReason(newest, now);
    if (closed || !newest) return { status: closed ?? 'none' };
    const counted = (await trx('verification_codes')
      .where({ id: newest.id })
      .whereNull('verified_at')
      .andWhere('attempts', '<', MAX_ATTEMPTS)
      .andWhere('expires_at', '>', now)
      .update({ attempts: trx.raw('attempts + 1') }, ['attempts'])) as Array<Pick<CodeRow, 'attempts'>>;
    if (counted.length === 0) {
      const current = (await trx('verification_codes').where({ id: newest.id }).first()) as CodeRow | undefined;
      return { status: closedReason(current, now) ?? 'none' };
    }
    if (!sameCode(key, newest, request.code)) return { status: 'wrong', attemptsLeft: MAX_ATTEMPTS - Number(counted[0].attempts) };
    await trx('verification_codes').where({ id: newest.id }).update({ verified_at: now, verified_lead_id: request.leadId });
    const { link } = await linkLead(trx, ctx, { botId: request.botId, userId: request.userId, leadId: request.leadId, channel: request.channel, source: 'code', traceId: request.traceId, takeOver: true });
    return { status: 'verified', link };
  });
  if (outcome.status !== 'verified') {
    const detail = outcome.status === 'wrong' ? { reason: 'wrong', attemptsLeft: outcome.attemptsLeft } : { reason: outcome.status };
    await appendTraceHop(ctx.db, ctx.clock, { botId: request.botId, traceId: request.traceId, hop: 'verification.failed', status: outcome.status, userId: request.userId, leadId: request.leadId, detail });
  }
  return outcome;
}
