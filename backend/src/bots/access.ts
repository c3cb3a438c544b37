import type { RequestHandler } from 'express';
import type { AppContext } from '../platform/context';
import { type Bot, botIdSchema, getBot } from './bots';
import type { Scope } from './scopes';
import { type TokenGrant, verifyToken } from './tokens';
import { unauthorized } from '../platform/http/errors';
import { forbidden, notFound } from '../platform/errors';
import '../platform/http/locals';

/** Bearer token → `res.locals.grant`, or 401. */
export function authenticate(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized();
    const grant = await verifyToken(ctx, match[1]);
    if (!grant) throw unauthorized();
    res.locals.grant = grant;
    next();
  };
}

/**
 * For routes under /bots/:botId: the token must be for this bot and carry `scope` (if given; one of
 * them for a list); the bot must exist. Order follows the integration contract: 403 for a foreign
 * bot before 404 for an unknown one.
 */
export function botAccess(ctx: AppContext, scope?: Scope | readonly Scope[]): RequestHandler {
  const anyOf: readonly Scope[] = scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope;
  return async (req, res, next) => {
    const botId = botIdSchema.safeParse(req.params.botId);
    if (!botId.success) throw notFound('Unknown bot');
    const { grant } = res.locals;
    if (grant.botId !== null && grant.botId !== botId.data) throw forbidden('This token has no rights for this bot');
    if (anyOf.length > 0 && !anyOf.some((s) => grant.scopes.includes(s))) {
      throw forbidden(`This token lacks the ${anyOf.map((s) => `"${s}"`).join(' or ')} scope`);
    }
    const bot = await getBot(ctx, botId.data);
    if (!bot) throw notFound('Unknown bot');
    res.locals.bot = bot;
    next();
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Set by `authenticate`. */
      grant: TokenGrant;
      /** Set by `botAccess` on /bots/:botId routes. */
      bot: Bot;
    }
  }
}
