import crypto from 'node:crypto';
import type { AppContext } from '../../platform/context';
import { secretKey } from '../../platform/secrets/secret-box';

/**
 * A web-chat visitor is a random id plus a token the server signs (HMAC-SHA256 over bot and
 * visitor id with the secrets key): nothing to store, any process can check it, and a token is
 * worth one visitor of one bot. The browser keeps both in localStorage.
 */
export interface Visitor {
  botId: number;
  visitorId: string;
}

const visitorIdPattern = /^v_[A-Za-z0-9_-]{22}$/;

function signature(ctx: AppContext, botId: number, visitorId: string): string {
  return crypto.createHmac('sha256', secretKey(ctx)).update(`webchat-visitor:${botId}:${visitorId}`).digest('base64url');
}

export function issueVisitor(ctx: AppContext, botId: number): { visitorId: string; token: string } {
  const visitorId = `v_${crypto.randomBytes(16).toString('base64url')}`;
  return { visitorId, token: `${visitorId}.${signature(ctx, botId, visitorId)}` };
}

/** The visitor a token belongs to, or undefined (malformed, forged, or another bot's). */
export function verifyVisitorToken(ctx: AppContext, botId: number, token: string): Visitor | undefined {
  const [visitorId, given, extra] = token.split('.');
  if (extra !== undefined || !visitorIdPattern.test(visitorId ?? '') || !given) return undefined;
  const expected = Buffer.from(signature(ctx, botId, visitorId));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !crypto.timingSafeEqual(actual, expected)) return undefined;
  return { botId, visitorId };
}
