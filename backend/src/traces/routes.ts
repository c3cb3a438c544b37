import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { AppContext } from '../platform/context';
import { botAccess } from '../bots/access';
import { grantAllowsAlias, isAliasScoped, type TokenGrant } from '../bots/tokens';
import { notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { readTrace, type StoredTraceHop, traceIdSchema } from './traces';

/**
 * A token limited to alias globs reads only the traces of calls to those aliases: every hop that
 * names an alias matches, and at least one does. Any other trace is "not found" to it, so it cannot
 * learn that one exists.
 */
function visibleTo(grant: TokenGrant, hops: StoredTraceHop[]): boolean {
  if (!isAliasScoped(grant.aliases)) return true;
  const aliases = hops.flatMap((hop) => (hop.alias ? [hop.alias] : []));
  return aliases.length > 0 && aliases.every((alias) => grantAllowsAlias(grant, alias));
}

export function tracesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  router.get('/bots/:botId/traces/:traceId', botAccess(ctx, 'traces'), async (req, res) => {
    const traceId = parseInput(traceIdSchema, req.params.traceId, 'trace id');
    const hops = await readTrace(ctx.db, res.locals.bot.id, traceId);
    if (hops.length === 0 || !visibleTo(res.locals.grant, hops)) throw notFound('No trace with this id for this bot');
    res.json({ success: true, trace_id: traceId, hops });
  });
  return router;
}

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'get',
    path: '/api/v1/bots/{botId}/traces/{traceId}',
    operationId: 'getTrace',
    tags: ['Traces'],
    summary: 'Read a trace: every hop from the business event to the user and back',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams.extend({ traceId: traceIdSchema }) },
    description: 'A token limited to alias globs sees only traces of calls to those aliases (others answer 404).',
    responses: { 200: { description: 'The hops in order' }, ...errorResponses('traces') },
  });
}
