import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { AppContext } from '../platform/context';
import { botAccess } from './access';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { getMapVersion } from '../maps/maps';

/** `GET /bots/{botId}`: what the token sees of its bot. The n8n credential test calls it. */
export function botsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  router.get('/bots/:botId', botAccess(ctx), async (_req, res) => {
    const { bot, grant } = res.locals;
    const map = await getMapVersion(ctx, bot.id);
    res.json({
      success: true,
      bot: { id: bot.id, name: bot.name, timezone: bot.timezone, createdAt: bot.createdAt },
      token: { id: grant.tokenId, aliases: grant.aliases, scopes: grant.scopes },
      map: map ? { version: map.version, name: map.document.name, aliases: map.document.endpoints.map((e) => e.alias) } : null,
    });
  });
  return router;
}

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    method: 'get',
    path: '/api/v1/bots/{botId}',
    operationId: 'getBot',
    tags: ['Bots'],
    summary: 'The bot, the calling token\'s rights and the current map\'s aliases (used as the credential test)',
    security: [{ bearerAuth: [] }],
    request: { params: botPathParams },
    responses: { 200: { description: 'OK' }, ...errorResponses('any') },
  });
}
