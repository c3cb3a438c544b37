import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { conflict } from '../errors';
import type { AppContext } from '../context';
import { fromJson, isUniqueViolation, toJson } from '../db/database';

export const idempotencyKeySchema = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'printable ASCII, 1-200 characters');

export interface StoredAnswer {
  statusCode: number;
  body: Record<string, unknown>;
}

/** A stable hash of a request: keys sorted, so the same JSON in another key order matches. */
export function requestHash(value: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

interface KeyRow {
  bot_id: number;
  token_id: string;
  endpoint: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: string;
  created_at: number;
}

/** Whose key it is: a key of one token on one endpoint means nothing to another token or endpoint. */
export interface KeyOwner {
  botId: number;
  tokenId: string;
  /** A name per route, e.g. `call` or `messages`. */
  endpoint: string;
}

/**
 * The owner of rows written before keys had one (migration 0010): honoured for every token and
 * endpoint of the bot until they expire, so a retry across the upgrade does not run twice.
 */
const LEGACY_KEY_OWNER = '';

function keyRows(db: Knex, owner: KeyOwner, key: string) {
  return db<KeyRow>('idempotency_keys')
    .where({ bot_id: owner.botId, key })
    .where((q) => q.where({ token_id: owner.tokenId, endpoint: owner.endpoint }).orWhere({ token_id: LEGACY_KEY_OWNER, endpoint: LEGACY_KEY_OWNER }))
    .orderBy('token_id', 'desc');
}

/**
 * Runs `work` once per (bot, token, endpoint, key): the key row and whatever `work` writes commit
 * together. A repeat with the same request gets the first answer back; a repeat with another request
 * is refused. Keys older than `ttlMs` are forgotten.
 */
export async function oncePerKey(
  ctx: AppContext,
  options: KeyOwner & { key: string; hash: string },
  work: (trx: Knex.Transaction) => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const { db } = ctx;
  const { key, hash, ...owner } = options;
  const now = ctx.clock.now();
  const existing = await keyRows(db, owner, key).first();
  if (existing && existing.created_at < now - keyTtlMs(ctx)) {
    const { bot_id, token_id, endpoint, created_at } = existing;
    await db('idempotency_keys').where({ bot_id, token_id, endpoint, key, created_at }).delete();
  } else if (existing) {
    return replay(existing, hash);
  }
  try {
    const answer = await db.transaction(async (trx) => {
      const result = await work(trx);
      await trx('idempotency_keys').insert({
        bot_id: owner.botId,
        token_id: owner.tokenId,
        endpoint: owner.endpoint,
        key,
        request_hash: hash,
        status_code: result.statusCode,
        response: toJson(result.body),
        created_at: now,
      });
      return result;
    });
    return { ...answer, replayed: false };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // A concurrent request with the same key committed first: answer as it did.
    const winner = await keyRows(db, owner, key).first();
    if (!winner) throw error;
    return replay(winner, hash);
  }
}

function replay(row: KeyRow, hash: string): StoredAnswer & { replayed: boolean } {
  if (row.request_hash !== hash) {
    throw conflict('This Idempotency-Key was already used with a different request body');
  }
  return { statusCode: row.status_code, body: fromJson(row.response), replayed: true };
}

/** Keys older than `IDEMPOTENCY_TTL_HOURS` are forgotten (and purged by a background loop). */
function keyTtlMs(ctx: AppContext): number {
  return ctx.config.IDEMPOTENCY_TTL_HOURS * 3_600_000;
}

export async function purgeExpiredKeys(ctx: AppContext): Promise<number> {
  return ctx.db('idempotency_keys').where('created_at', '<', ctx.clock.now() - keyTtlMs(ctx)).delete();
}
