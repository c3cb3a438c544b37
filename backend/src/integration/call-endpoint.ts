import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { botAccess } from '../bots/access';
import { ApiError, errorBodySchema } from '../platform/http/errors';
import { forbidden, notFound } from '../platform/errors';
import { grantAllowsAlias } from '../bots/tokens';
import { answerOf, type CallAnswerRow, readCallAnswer } from '../events/call-answers';
import { aliasSchema, answerTimeoutOf } from '../maps/map-document';
import { type MapsContext, type ResolvedEndpoint, resolveEndpoint } from '../maps/maps';
import type { AnalyticsContext } from '../analytics/rollup';
import { resolveRecipients } from '../identity/recipients';
import { type AcceptedCall, callWriter, writeCalls } from './accepted-calls';
import { oncePerKey, requestHash, type StoredAnswer } from '../platform/http/once-per-key';
import { idempotencyKeyOf, isDryRun } from '../platform/http/request-options';
import type { CallAnswerWaiters } from '../events/call-answer-waiters';

/** What the call endpoint needs beyond maps: the runtime's waiting calls. */
export interface IntegrationContext extends MapsContext {
  callAnswers: CallAnswerWaiters;
}

/** Metabot's request body: everything for the endpoint is in script_request_params; the rest is kept. */
export const callBodySchema = z
  .looseObject({
    script_request_params: z.record(z.string(), z.unknown()).default({}),
    lead_id: z.union([z.number(), z.string()]).optional(),
    ticket_id: z.union([z.number(), z.string()]).optional(),
    trigger_id: z.union([z.number(), z.string()]).optional(),
    trigger_code: z.string().optional(),
  })
  .meta({ id: 'CallRequest' });

export const callAnswerSchema = z
  .looseObject({
    success: z.boolean(),
    message: z.string(),
    trace_id: z.string(),
    event_id: z.number().int().optional(),
    queued: z.boolean().optional(),
    answered_by: z.enum(['workflow', 'fallback']).optional().meta({
      description: 'Only for an endpoint with `answer: "workflow"`: whether the workflow answered, or the endpoint\'s fallback was sent (no answer in time, or an unusable one). The rest of the answer is then the workflow\'s or the fallback\'s own fields.',
    }),
    dry_run: z.boolean().optional(),
    errorCode: z.number().int().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'CallAnswer' });

const sourceSystemSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/);

/** Answers the integration contract's "business failure": HTTP 200 with success=false. */
function businessFailure(message: string, traceId: string, extra: Record<string, unknown> = {}): StoredAnswer {
  return { statusCode: 200, body: { success: false, message, ...extra, trace_id: traceId } };
}

const asId = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : null);

function userIdFrom(params: Record<string, unknown>): string | null {
  return asId(params.userId ?? params.user_id);
}

/** Every CRM user a call names: `userId` and the members of `userIds` (the two shapes CRMs send). */
function userIdsFrom(params: Record<string, unknown>): string[] {
  const many = Array.isArray(params.userIds) ? params.userIds.map(asId) : [];
  return [userIdFrom(params), ...many].filter((id): id is string => id !== null);
}

/** Seed 004: "user not found" when an endpoint needs a linked user and none of the named ones can be reached. */
async function unreachableUsers(ctx: AppContext, botId: number, endpoint: ResolvedEndpoint['endpoint'], params: Record<string, unknown>) {
  if (!endpoint.requiresLinkedUser) return undefined;
  const resolution = await resolveRecipients(ctx.db, botId, { userIds: userIdsFrom(params) }, { critical: endpoint.critical, now: ctx.clock.now() });
  if (resolution.deliverable.length + resolution.deferred.length > 0) return undefined;
  return { unknown: resolution.unknown, inactive: resolution.inactive };
}

/** Marks a stored answer (Idempotency-Key) that stands for the workflow's answer, read from call_answers. */
const AWAITING_ANSWER = 'awaiting_answer';

/** The answer of a decided call in the answer contract: the workflow's (or the fallback's) fields, then ours. */
function decidedAnswer(row: CallAnswerRow): StoredAnswer {
  const { answeredBy, answer } = answerOf(row);
  return { statusCode: 200, body: { ...answer, answered_by: answeredBy, event_id: Number(row.event_id), trace_id: row.trace_id } };
}

/** A call's answer: as stored, or — for a call that awaits the workflow — the decided one, waiting for it if need be. */
async function finalAnswer(ctx: IntegrationContext, stored: StoredAnswer): Promise<StoredAnswer> {
  if (stored.body[AWAITING_ANSWER] !== true) return stored;
  const eventId = Number(stored.body.event_id);
  const row = await readCallAnswer(ctx.db, eventId);
  // Purged with its key's time to live: what was stored is all there is.
  if (!row) return { statusCode: stored.statusCode, body: Object.fromEntries(Object.entries(stored.body).filter(([key]) => key !== AWAITING_ANSWER)) };
  return decidedAnswer(row.status === 'waiting' ? await ctx.callAnswers.wait(eventId, row.deadline) : row);
}

/** The call route; `before` (the body parser, the token check) run only for a request it matches. */
export function callEndpointRouter(ctx: IntegrationContext & AnalyticsContext, docs: OpenAPIRegistry, before: RequestHandler[]): Router {
  documentRoutes(docs);
  const router = Router();
  const writeCall = callWriter(ctx);
  router.post('/bots/:botId/call/*alias', ...before, botAccess(ctx, 'call'), async (req, res) => {
    const started = performance.now();
    const { bot, grant, traceId } = res.locals;
    const alias = aliasSchema.safeParse((req.params as unknown as { alias: string[] }).alias.join('/'));
    if (!alias.success) throw notFound('Invalid alias: use segments of A-Z a-z 0-9 _ - joined by /');
    if (!grantAllowsAlias(grant, alias.data)) throw forbidden('This token has no rights for this alias');
    if (!req.is('application/json')) throw new ApiError(415, 'Content-Type must be application/json');

    const sourceHeader = req.get('x-source-system');
    const source = sourceHeader === undefined ? undefined : sourceSystemSchema.safeParse(sourceHeader);
    if (source && !source.success) throw new ApiError(400, 'X-Source-System must be 1-100 of A-Z a-z 0-9 _ . -');
    const key = idempotencyKeyOf(req);
    const dryRun = isDryRun(req);

    const resolved = await resolveEndpoint(ctx, bot.id, alias.data);
    if (!resolved) throw notFound(`Unknown alias "${alias.data}": it is not in this bot's communication map`);

    const body = callBodySchema.safeParse(req.body);
    const refuse = (failure: StoredAnswer) => {
      if (!dryRun) ctx.communicationLabels.countRefusedCall(alias.data);
      res.json(failure.body);
    };
    if (!body.success) {
      return refuse(businessFailure('Invalid request body', traceId, { errorCode: 422, errors: body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) }));
    }
    const params = body.data.script_request_params;
    const errors = resolved.params.check(params, 'script_request_params');
    if (errors.length) {
      return refuse(businessFailure('Invalid script_request_params', traceId, { errorCode: 422, errors }));
    }
    const unreachable = await unreachableUsers(ctx, bot.id, resolved.endpoint, params);
    if (unreachable) return refuse(businessFailure('User not found', traceId, unreachable));
    if (dryRun) {
      return void res.json({ success: true, message: 'Valid request; dry run, nothing was queued', dry_run: true, trace_id: traceId });
    }

    const { script_request_params: _params, ...metabotFields } = body.data;
    const sourceSystem = source?.data ?? null;
    const userId = userIdFrom(params);
    const { endpoint } = resolved;
    const awaitsAnswer =
      endpoint.answer === 'workflow' && endpoint.fallback ? { timeoutMs: answerTimeoutOf(endpoint), fallback: endpoint.fallback } : undefined;
    const call: AcceptedCall = {
      event: {
        botId: bot.id,
        type: 'endpoint.called',
        traceId,
        userId,
        alias: alias.data,
        payload: {
          alias: alias.data,
          params,
          ...metabotFields,
          source_system: sourceSystem,
          critical: resolved.endpoint.critical,
          map_version: resolved.mapVersion,
          ...(awaitsAnswer ? { answer: 'workflow' } : {}),
        },
      },
      hop: { botId: bot.id, traceId, hop: 'endpoint.called', status: 'accepted', sourceSystem, alias: alias.data, userId, detail: { map_version: resolved.mapVersion } },
      started,
      ...(awaitsAnswer ? { awaitsAnswer } : {}),
    };
    const accepted = (eventId: number): StoredAnswer => ({
      statusCode: 200,
      body: { success: true, message: 'Accepted', queued: true, event_id: eventId, trace_id: traceId, ...(awaitsAnswer ? { [AWAITING_ANSWER]: true } : {}) },
    });

    const answer = key
      ? await oncePerKey(
          ctx,
          { botId: bot.id, tokenId: grant.tokenId, endpoint: 'call', key, hash: requestHash({ alias: alias.data, body: req.body }) },
          async (trx) => accepted((await writeCalls(trx, ctx, [call]))[0]),
        )
      : accepted(await writeCall(call));
    const final = await finalAnswer(ctx, answer);
    res.status(final.statusCode).json(final.body);
  });
  return router;
}

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'post',
    path: '/api/v1/bots/{botId}/call/{alias}',
    operationId: 'callEndpoint',
    tags: ['Integration'],
    summary: 'Call an integration endpoint (Metabot-compatible)',
    description:
      'Starts the communication declared for `alias` in the bot\'s communication map. Business failures answer 200 with `success: false`. Headers: `Idempotency-Key`, `X-Dry-Run: true` (or `?dry_run=true`), `X-Source-System`, `X-Trace-Id`.\n\n' +
      'An endpoint with `answer: "accepted"` (the default) answers `{success: true, message: "Accepted", queued: true, event_id}` once the call is stored. An endpoint with `answer: "workflow"` keeps the request open until the answering workflow responds (at most the endpoint\'s `answerTimeoutMs`, 100-30000 ms, default 10000) and answers with the workflow\'s `success`, `message`, `errorCode` and other fields, plus `answered_by: "workflow"`, `event_id` and `trace_id`; with no usable answer in time it sends the endpoint\'s `fallback` with `answered_by: "fallback"`. Either way the event is delivered to every subscriber. A retry with the same `Idempotency-Key` gets the same answer. A dry run validates only and answers as for any endpoint.',
    security: [{ bearerAuth: [] }],
    request: {
      params: z.object({ botId: z.number().int(), alias: z.string().meta({ example: 'users/update' }) }),
      body: { content: { 'application/json': { schema: callBodySchema } } },
    },
    responses: {
      200: { description: 'Accepted, the workflow\'s answer or the fallback (`answer: "workflow"`), or a business failure (`success: false`)', content: { 'application/json': { schema: callAnswerSchema } } },
      401: { description: 'Missing or invalid token', content: { 'application/json': { schema: errorBodySchema } } },
      403: { description: 'The token has no rights for this bot or alias, or lacks the "call" scope', content: { 'application/json': { schema: errorBodySchema } } },
      404: { description: 'Unknown bot or alias', content: { 'application/json': { schema: errorBodySchema } } },
      409: { description: 'Idempotency-Key reused with a different body', content: { 'application/json': { schema: errorBodySchema } } },
      500: { description: 'Internal error (no details)', content: { 'application/json': { schema: errorBodySchema } } },
    },
  });
}
