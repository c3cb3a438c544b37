import crypto from 'node:crypto';
import picomatch from 'picomatch';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { fromJson, toJson } from '../platform/db/database';
import { SCOPES, type Scope, scopeSchema } from './scopes';

/** Alias globs such as `payments/*` or `**`; the characters of an alias plus `*`, `?`, `{}`, `,`. */
export const aliasGlobSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9/_\-*?{},]+$/, 'alias globs use letters, digits, / _ - and * ? { } ,');

/** The alias globs of a token that may call every alias. */
const EVERY_ALIAS = '**';

/**
 * Scopes default by what the token is for: alias globs describe an integration that calls those
 * aliases, so it gets `call` only; a token for the whole bot gets every scope. Given scopes win.
 */
export const createTokenSchema = z
  .object({
    botId: z.number().int().positive().nullable(),
    name: z.string().max(200).default(''),
    aliases: z.array(aliasGlobSchema).default([EVERY_ALIAS]),
    scopes: z.array(scopeSchema).optional(),
  })
  .transform((data) => ({ ...data, scopes: data.scopes ?? defaultScopes(data.aliases) }));
export type CreateTokenInput = z.input<typeof createTokenSchema>;

/** What a verified token allows. `botId: null` is an all-bots token. */
export interface TokenGrant {
  tokenId: string;
  /** The label given at creation (may be empty). */
  name: string;
  botId: number | null;
  aliases: string[];
  scopes: Scope[];
}

export interface TokenInfo extends TokenGrant {
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface TokenRow {
  id: string;
  hash: string;
  bot_id: number | null;
  name: string;
  aliases: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** A token limited to some aliases (no `**`): its other rights are bounded by those aliases too. */
export function isAliasScoped(aliases: readonly string[]): boolean {
  return !aliases.includes(EVERY_ALIAS);
}

function defaultScopes(aliases: readonly string[]): Scope[] {
  return isAliasScoped(aliases) ? ['call'] : [...SCOPES];
}

/** One line a person reads: which scopes on which aliases. */
export function describeRights(grant: Pick<TokenGrant, 'aliases' | 'scopes'>): string {
  const aliases = isAliasScoped(grant.aliases) ? `aliases ${grant.aliases.join(', ')}` : 'every alias';
  return `scopes ${grant.scopes.join(', ') || 'none'} on ${aliases}`;
}

const TOKEN_PATTERN = /^mbt_([a-z0-9]{12})\.([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    tokenId: row.id,
    botId: row.bot_id,
    name: row.name,
    aliases: fromJson(row.aliases),
    scopes: fromJson(row.scopes),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Creates a token. The returned `token` is shown once; only its hash is stored. */
export async function createToken(ctx: AppContext, input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }> {
  const data = createTokenSchema.parse(input);
  const id = crypto.randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = crypto.randomBytes(32).toString('base64url');
  const row: TokenRow = {
    id,
    hash: hashSecret(secret),
    bot_id: data.botId,
    name: data.name,
    aliases: toJson(data.aliases),
    scopes: toJson(data.scopes),
    created_at: ctx.clock.now(),
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.db('api_tokens').insert(row);
  return { token: `mbt_${id}.${secret}`, info: toInfo(row) };
}

/** Returns what the token grants, or undefined for a malformed, unknown or revoked token. */
export async function verifyToken(ctx: AppContext, token: string): Promise<TokenGrant | undefined> {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const row = await ctx.reads.cachedRow<TokenRow>('api_tokens', 'select * from api_tokens where id = ?', [match[1]]);
  if (!row || row.revoked_at !== null) return undefined;
  const expected = Buffer.from(row.hash, 'hex');
  const actual = Buffer.from(hashSecret(match[2]), 'hex');
  if (!crypto.timingSafeEqual(expected, actual)) return undefined;
  const { tokenId, name, botId, aliases, scopes } = toInfo(row);
  return { tokenId, name, botId, aliases, scopes };
}

export async function listTokens(ctx: AppContext, botId?: number): Promise<TokenInfo[]> {
  const query = ctx.db<TokenRow>('api_tokens').orderBy('created_at');
  if (botId !== undefined) query.where({ bot_id: botId });
  return (await query).map(toInfo);
}

export async function revokeToken(ctx: AppContext, tokenId: string): Promise<boolean> {
  const updated = await ctx.db('api_tokens').where({ id: tokenId, revoked_at: null }).update({ revoked_at: ctx.clock.now() });
  return updated > 0;
}

export function grantAllowsAlias(grant: TokenGrant, alias: string): boolean {
  return grant.aliases.some((glob) => picomatch.isMatch(alias, glob));
}
