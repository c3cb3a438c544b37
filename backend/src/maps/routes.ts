import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { botAccess } from '../bots/access';
import { notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { diffMapVersions, getMapVersion, importMap, listMapVersions, type MapAuthor, rollbackMap } from './maps';
import type { TokenGrant } from '../bots/tokens';
import { mapDocumentSchema } from './map-document';

const versionSchema = z.coerce.number().int().positive();
const importBodySchema = z.object({
  document: z.unknown().meta({ description: 'The communication map (see the CommunicationMap schema)' }),
  author: z.string().trim().min(1).max(200).optional(),
  comment: z.string().max(1000).optional(),
});
const rollbackBodySchema = z.object({
  version: z.number().int().positive(),
  author: z.string().trim().min(1).max(200).optional(),
  comment: z.string().max(1000).optional(),
});
const diffQuerySchema = z.object({ from: versionSchema, to: versionSchema });

export function mapsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'maps');
  // The version records the token that wrote it whatever author the body names.
  const author = (given: string | undefined, grant: TokenGrant): MapAuthor => ({
    author: given ?? (grant.name || `token ${grant.tokenId}`),
    authorKind: 'token',
    authorRef: grant.tokenId,
  });

  router.get('/bots/:botId/maps', access, async (_req, res) => {
    res.json({ success: true, versions: await listMapVersions(ctx, res.locals.bot.id) });
  });
  router.post('/bots/:botId/maps', access, async (req, res) => {
    const body = parseInput(importBodySchema, req.body);
    const stored = await importMap(ctx, res.locals.bot.id, body.document, { ...author(body.author, res.locals.grant), comment: body.comment });
    res.status(201).json({ success: true, map: stored });
  });
  router.get('/bots/:botId/maps/diff', access, async (req, res) => {
    const { from, to } = parseInput(diffQuerySchema, req.query, 'query');
    res.json({ success: true, diff: await diffMapVersions(ctx, res.locals.bot.id, from, to) });
  });
  router.post('/bots/:botId/maps/rollback', access, async (req, res) => {
    const body = parseInput(rollbackBodySchema, req.body);
    const stored = await rollbackMap(ctx, res.locals.bot.id, body.version, { ...author(body.author, res.locals.grant), comment: body.comment });
    res.status(201).json({ success: true, map: stored });
  });
  router.get('/bots/:botId/maps/:version', access, async (req, res) => {
    const version = req.params.version === 'current' ? undefined : parseInput(versionSchema, req.params.version, 'version');
    const stored = await getMapVersion(ctx, res.locals.bot.id, version);
    if (!stored) throw notFound(version ? `Map version ${version} does not exist` : 'This bot has no communication map yet');
    res.json({ success: true, map: stored });
  });
  return router;
}

const botParam = botPathParams;
const ok = { 200: { description: 'OK' }, ...errorResponses('maps') };

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/maps', operationId: 'listMapVersions', tags: ['Communication maps'], summary: 'List map versions (author, date, comment)', security: [{ bearerAuth: [] }], request: { params: botParam }, responses: ok });
  docs.registerPath({
    method: 'post',
    path: '/api/v1/bots/{botId}/maps',
    operationId: 'importMap',
    tags: ['Communication maps'],
    summary: 'Import a new map version (a bad map is refused with every error listed)',
    security: [{ bearerAuth: [] }],
    request: { params: botParam, body: { content: { 'application/json': { schema: importBodySchema.extend({ document: mapDocumentSchema }) } } } },
    responses: { 201: { description: 'Stored as the new current version' }, ...errorResponses('maps') },
  });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/maps/{version}', operationId: 'getMapVersion', tags: ['Communication maps'], summary: 'Export a map version (`current` for the latest)', security: [{ bearerAuth: [] }], request: { params: botParam.extend({ version: z.string() }) }, responses: ok });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/maps/diff', operationId: 'diffMapVersions', tags: ['Communication maps'], summary: 'Diff two versions endpoint by endpoint', security: [{ bearerAuth: [] }], request: { params: botParam, query: diffQuerySchema }, responses: ok });
  docs.registerPath({ method: 'post', path: '/api/v1/bots/{botId}/maps/rollback', operationId: 'rollbackMap', tags: ['Communication maps'], summary: 'Roll back: an old version becomes the new current one', security: [{ bearerAuth: [] }], request: { params: botParam, body: { content: { 'application/json': { schema: rollbackBodySchema } } } }, responses: { 201: { description: 'Rolled back' }, ...errorResponses('maps') } });
}
