import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { type Bot, botIdSchema, getBot } from '../bots/bots';
import type { AppContext } from '../platform/context';
import { forbidden, notFound } from '../platform/errors';
import { ApiError, unauthorized } from '../platform/http/errors';
import { type Permission, roleAllows } from './roles';
import { csrfTokenOf, sessionUser } from './sessions';
import { type ConsoleUser, userSeesBot } from './users';
import '../platform/http/locals';

/** The cookie that carries the session id: httpOnly, SameSite=Strict, only sent to /console. */
export const SESSION_COOKIE = 'metabot_console';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE_METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

export function sessionIdOf(req: Request): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return /^[A-Za-z0-9_-]{43}$/.test(value.join('=')) ? value.join('=') : undefined;
  }
  return undefined;
}

export function sessionCookie(ctx: AppContext, sessionId: string, expiresAt: number): string {
  const secure = ctx.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${sessionId}; Path=/console; HttpOnly; SameSite=Strict; Expires=${new Date(expiresAt).toUTCString()}${secure}`;
}

export const clearedSessionCookie = `${SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;

/**
 * An unsafe request must come from a console page: its Origin is this server (as the browser
 * reached it, or PUBLIC_URL), and where the browser says where it came from, same-origin.
 * Login is checked too: a page elsewhere must not log a visitor into an account of its choosing.
 */
export function sameOrigin(ctx: AppContext): RequestHandler {
  return (req, _res, next) => {
    if (!UNSAFE_METHODS.includes(req.method)) return next();
    const origin = req.get('origin');
    const own = [new URL(ctx.config.publicUrl).origin, `${req.protocol}://${req.get('host')}`];
    if (!origin || !own.includes(origin)) throw forbidden('Cross-site request refused: the Origin is not this console');
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') throw forbidden('Cross-site request refused: the Origin is not this console');
    next();
  };
}

function csrfMatches(sessionId: string, given: string | undefined): boolean {
  const expected = Buffer.from(csrfTokenOf(sessionId));
  const actual = Buffer.from(given ?? '');
  return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
}

/** A live session → `res.locals.consoleUser`, else 401; an unsafe method also needs the session's CSRF token. */
export function consoleSession(ctx: AppContext): RequestHandler {
  return async (req, res, next) => {
    const sessionId = sessionIdOf(req);
    const user = sessionId === undefined ? undefined : await sessionUser(ctx, sessionId);
    if (!sessionId || !user) throw unauthorized('Not logged in, or the session has ended');
    if (UNSAFE_METHODS.includes(req.method) && !csrfMatches(sessionId, req.get(CSRF_HEADER))) throw new ApiError(403, 'Missing or wrong CSRF token');
    res.locals.consoleUser = user;
    res.locals.consoleSessionId = sessionId;
    next();
  };
}

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    if (!roleAllows(res.locals.consoleUser.role, permission)) throw forbidden(`The ${res.locals.consoleUser.role} role may not do this`);
    next();
  };
}

/** For /bots/:botId routes: the account sees the bot and its role has the permission (403 before 404, as for tokens); the bot exists. */
export function consoleBotAccess(ctx: AppContext, permission: Permission): RequestHandler {
  return async (req, res, next) => {
    const botId = botIdSchema.safeParse(req.params.botId);
    if (!botId.success) throw notFound('Unknown bot');
    const user = res.locals.consoleUser;
    if (!userSeesBot(user, botId.data)) throw forbidden('This account has no rights for this bot');
    if (!roleAllows(user.role, permission)) throw forbidden(`The ${user.role} role may not do this`);
    const bot = await getBot(ctx, botId.data);
    if (!bot) throw notFound('Unknown bot');
    res.locals.consoleBot = bot;
    next();
  };
}

export const consoleOf = (res: Response) => ({ user: res.locals.consoleUser, sessionId: res.locals.consoleSessionId, bot: res.locals.consoleBot });

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Set by `consoleSession`. */
      consoleUser: ConsoleUser;
      consoleSessionId: string;
      /** Set by `consoleBotAccess`. */
      consoleBot: Bot;
    }
  }
}
