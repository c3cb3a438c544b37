import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { AppContext } from '../platform/context';
import { botAccess } from '../bots/access';
import { notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { readTrace, traceIdSchema } from './traces';

export function tracesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  router.get('/bots/:botId/traces/:traceId', botAccess(ctx, 'traces'), async (req, res) => {
    const traceId = parseInput(traceIdSchema, req.params.traceId, 'trace id');
    const hops = await readTrace(ctx.db, res.locals.bot.id, traceId);
    if (hops.length === 0) throw notFound('No trace with this id for this bot');
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
    responses: { 200: { description: 'The hops in order' }, ...errorResponses('traces') },
  });
}
