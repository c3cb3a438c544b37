import crypto from 'node:crypto';
import type { AppContext } from '../platform/context';
import { type ConsoleUser, type ConsoleUserRow, toConsoleUser } from './users';

/**
 * A session id is 32 random bytes, held by the browser in an httpOnly cookie; the database keeps
 * only its SHA-256, so every backend process can check it and a copy of the table opens no session.
 */
const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');

export async function startSession(ctx: AppContext, userId: number): Promise<{ sessionId: string; expiresAt: number }> {
  const sessionId = crypto.randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  const expiresAt = now + ctx.config.CONSOLE_SESSION_HOURS * 3_600_000;
  await ctx.db.transaction(async (trx) => {
    // The account's expired sessions go when it starts a new one: the table stays the size of the live sessions.
    await trx('console_sessions').where({ user_id: userId }).andWhere('expires_at', '<=', now).delete();
    await trx('console_sessions').insert({ id_hash: sha256(sessionId), user_id: userId, created_at: now, expires_at: expiresAt });
  });
  return { sessionId, expiresAt };
}

/** The account of a live session, or undefined (unknown, expired, or the account disabled). */
export async function sessionUser(ctx: AppContext, sessionId: string): Promise<ConsoleUser | undefined> {
  const row = await ctx.reads.row<ConsoleUserRow>(
    'select u.* from console_sessions s join console_users u on u.id = s.user_id where s.id_hash = ? and s.expires_at > ? and u.disabled_at is null',
    [sha256(sessionId), ctx.clock.now()],
  );
  return row ? toConsoleUser(row) : undefined;
}

export async function endSession(ctx: AppContext, sessionId: string): Promise<void> {
  await ctx.db('console_sessions').where({ id_hash: sha256(sessionId) }).delete();
}

/** "Log out everywhere": every session of the account, in every browser and process. */
export async function endAllSessions(ctx: AppContext, userId: number): Promise<number> {
  return ctx.db('console_sessions').where({ user_id: userId }).delete();
}

/**
 * The per-session CSRF token: an HMAC of the session id, so it needs no storage, differs per
 * session, and reveals nothing about the id. A page on another site can read neither.
 */
export function csrfTokenOf(sessionId: string): string {
  return crypto.createHmac('sha256', sessionId).update('metabot-console-csrf').digest('base64url');
}
