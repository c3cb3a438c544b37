import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { listBots } from '../bots/bots';
import type { AppContext } from '../platform/context';
import { notFound, parseInput } from '../platform/errors';
import { ApiError, unauthorized } from '../platform/http/errors';
import { jsonBody } from '../platform/http/json-body';
import { diffMapVersions, getMapVersion, listMapVersions, rollbackMap } from '../maps/maps';
import { searchTraces, traceSearchAnswerSchema, traceSearchSchema } from '../traces/search';
import { readTrace, traceIdSchema } from '../traces/traces';
import { addAnalytics } from './analytics';
import { addDesk } from './desk';
import type { ConsoleContext } from './desk-streams';
import { clearedSessionCookie, consoleBotAccess, SESSION_COOKIE, consoleOf, consoleSession, requirePermission, sameOrigin, sessionCookie } from './access';
import { passwordMatches } from './passwords';
import { permissionsOf } from './roles';
import { addTemplates } from './templates';
import { csrfTokenOf, endAllSessions, endSession, startSession } from './sessions';
import { forgiveLoginAttempt, reserveLoginAttempt } from './throttle';
import { type ConsoleUser, createConsoleUser, createConsoleUserSchema, disableConsoleUser, emailSchema, findConsoleUserByEmail, listConsoleUsers, toConsoleUser, userSeesBot } from './users';

const loginSchema = z.object({ email: z.string().max(254), password: z.string().max(256) });
const versionSchema = z.coerce.number().int().positive();
const diffQuerySchema = z.object({ from: versionSchema, to: versionSchema });
const rollbackSchema = z.object({ version: z.number().int().positive(), comment: z.string().max(1000).optional() });
/** The first hops of a trace the page shows; a broadcast's trace can hold one per recipient. */
const TRACE_PAGE_HOPS = 1000;

function sessionAnswer(user: ConsoleUser, sessionId: string) {
  return { success: true, user, permissions: permissionsOf(user.role), csrfToken: csrfTokenOf(sessionId) };
}

/**
 * The console's own API under /console/api, for the console's pages only: a session cookie, never
 * an API token, and an API token is never accepted here (the two are different privileges: a token
 * is an integration's, a session a person's role). Every unsafe request passes the Origin check and
 * carries the session's CSRF token.
 */
export function consoleApiRouter(ctx: ConsoleContext, docs: OpenAPIRegistry): Router {
  docs.registerComponent('securitySchemes', 'consoleSession', { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A console login (`POST /console/api/login`); unsafe requests also send `x-csrf-token`.' });
  documentTraceSearch(docs);
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(jsonBody({ limit: '64kb', type: ['application/json'] }));
  router.use(sameOrigin(ctx));
  addLogin(ctx, router);

  const session = consoleSession(ctx);
  router.get('/session', session, (_req, res) => void res.json(sessionAnswer(consoleOf(res).user, consoleOf(res).sessionId)));
  router.post('/logout', session, async (_req, res) => {
    await endSession(ctx, consoleOf(res).sessionId);
    res.setHeader('Set-Cookie', clearedSessionCookie).json({ success: true });
  });
  router.post('/logout-everywhere', session, async (_req, res) => {
    const ended = await endAllSessions(ctx, consoleOf(res).user.id);
    res.setHeader('Set-Cookie', clearedSessionCookie).json({ success: true, sessionsEnded: ended });
  });
  router.get('/bots', session, async (_req, res) => {
    const { user } = consoleOf(res);
    const bots = (await listBots(ctx)).filter((bot) => userSeesBot(user, bot.id));
    res.json({ success: true, bots: bots.map(({ id, name, timezone }) => ({ id, name, timezone })) });
  });
  addUsers(ctx, router, session);
  addTraces(ctx, router, session);
  addMaps(ctx, router, session);
  addAnalytics(ctx, router, session);
  addDesk(ctx, router, session);
  addTemplates(ctx, docs, router, session);
  return router;
}

function addLogin(ctx: AppContext, router: Router): void {
  router.post('/login', async (req, res) => {
    const body = parseInput(loginSchema, req.body);
    const email = emailSchema.safeParse(body.email);
    const key = email.success ? email.data : body.email.trim().toLowerCase();
    const verdict = await reserveLoginAttempt(ctx, key, req.ip ?? 'unknown');
    if (!verdict.allowed) {
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      throw new ApiError(429, 'Too many login attempts; try again later');
    }
    const row = email.success ? await findConsoleUserByEmail(ctx, email.data) : undefined;
    const usable = row && row.disabled_at === null ? row : undefined;
    // The same answer, after the same work, for an unknown account, a disabled one and a wrong password.
    if (!(await passwordMatches(usable?.password_hash, body.password)) || !usable) throw unauthorized('Wrong email or password');
    await forgiveLoginAttempt(ctx, key, req.ip ?? 'unknown');
    const { sessionId, expiresAt } = await startSession(ctx, usable.id);
    res.setHeader('Set-Cookie', sessionCookie(ctx, sessionId, expiresAt)).json(sessionAnswer(toConsoleUser(usable), sessionId));
  });
}

function addUsers(ctx: AppContext, router: Router, session: ReturnType<typeof consoleSession>): void {
  const admin: RequestHandler[] = [session, requirePermission('users.manage')];
  router.get('/users', ...admin, async (_req, res) => void res.json({ success: true, users: await listConsoleUsers(ctx) }));
  router.post('/users', ...admin, async (req, res) => {
    res.status(201).json({ success: true, user: await createConsoleUser(ctx, parseInput(createConsoleUserSchema, req.body)) });
  });
  router.post('/users/disable', ...admin, async (req, res) => {
    const { email } = parseInput(z.object({ email: z.string().max(254) }), req.body);
    res.json({ success: true, user: await disableConsoleUser(ctx, email) });
  });
}

function addTraces(ctx: AppContext, router: Router, session: ReturnType<typeof consoleSession>): void {
  const access: RequestHandler[] = [session, consoleBotAccess(ctx, 'traces.read')];
  router.get('/bots/:botId/traces', ...access, async (req, res) => {
    const filter = parseInput(traceSearchSchema, req.query, 'query');
    res.json({ success: true, ...(await searchTraces(ctx.db, consoleOf(res).bot.id, filter)) });
  });
  router.get('/bots/:botId/traces/:traceId', ...access, async (req, res) => {
    const traceId = parseInput(traceIdSchema, req.params.traceId, 'trace id');
    const hops = await readTrace(ctx.db, consoleOf(res).bot.id, traceId, TRACE_PAGE_HOPS + 1);
    if (hops.length === 0) throw notFound('No trace with this id for this bot');
    res.json({ success: true, traceId, hops: hops.slice(0, TRACE_PAGE_HOPS), truncated: hops.length > TRACE_PAGE_HOPS });
  });
}

function addMaps(ctx: AppContext, router: Router, session: ReturnType<typeof consoleSession>): void {
  const read: RequestHandler[] = [session, consoleBotAccess(ctx, 'maps.read')];
  router.get('/bots/:botId/maps', ...read, async (_req, res) => {
    res.json({ success: true, versions: await listMapVersions(ctx, consoleOf(res).bot.id) });
  });
  router.get('/bots/:botId/maps/diff', ...read, async (req, res) => {
    const { from, to } = parseInput(diffQuerySchema, req.query, 'query');
    res.json({ success: true, diff: await diffMapVersions(ctx, consoleOf(res).bot.id, from, to) });
  });
  router.get('/bots/:botId/maps/:version', ...read, async (req, res) => {
    const version = req.params.version === 'current' ? undefined : parseInput(versionSchema, req.params.version, 'version');
    const stored = await getMapVersion(ctx, consoleOf(res).bot.id, version);
    if (!stored) throw notFound(version ? `Map version ${version} does not exist` : 'This bot has no communication map yet');
    res.json({ success: true, map: stored });
  });
  router.post('/bots/:botId/maps/rollback', session, consoleBotAccess(ctx, 'maps.write'), async (req, res) => {
    const body = parseInput(rollbackSchema, req.body);
    const { user, bot } = consoleOf(res);
    const stored = await rollbackMap(ctx, bot.id, body.version, { author: user.email, authorKind: 'console', authorRef: String(user.id), comment: body.comment });
    res.status(201).json({ success: true, map: stored });
  });
}

/** Documented so the console's trace pages type its answer from the generated types. */
function documentTraceSearch(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'get',
    path: '/console/api/bots/{botId}/traces',
    operationId: 'consoleSearchTraces',
    tags: ['Console'],
    security: [{ consoleSession: [] }],
    summary: 'Traces with a hop matching every filter, newest first (the console\'s trace explorer)',
    request: { params: z.object({ botId: z.number().int().positive() }), query: traceSearchSchema },
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: traceSearchAnswerSchema } } }, 401: { description: 'Not logged in' }, 403: { description: 'The role lacks "traces.read" or the account does not see this bot' } },
  });
}
