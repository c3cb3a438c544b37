import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../bots/access';
import { parseInput } from '../platform/errors';
import type { AppContext } from '../platform/context';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { templateContentSchema, templateNameSchema } from './content-schema';
import { listPlaceholders, placeholderSchema } from './placeholders';
import { diffTemplateVersions, listTemplates, listTemplateVersions, requireTemplate, rollbackTemplate, saveTemplate } from './template-library';

const versionSchema = z.coerce.number().int().positive();
const saveBodySchema = z.object({
  content: templateContentSchema,
  author: z.string().trim().min(1).max(200).optional(),
  comment: z.string().max(1000).optional(),
});
const rollbackBodySchema = z.object({ version: z.number().int().positive(), author: z.string().trim().min(1).max(200).optional(), comment: z.string().max(1000).optional() });
const diffQuerySchema = z.object({ from: versionSchema, to: versionSchema });
const getQuerySchema = z.object({ version: versionSchema.optional() });
const namePathParams = botPathParams.extend({ name: templateNameSchema });

/**
 * The template library (`/bots/{botId}/templates…`). The `messages` scope: a template is what a
 * send says, and whoever may send may say anything already, so editing the library needs no more.
 */
export function templatesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'messages');
  const author = (given: string | undefined, tokenId: string) => given ?? `token:${tokenId}`;
  const nameOf = (value: unknown) => parseInput(templateNameSchema, value, 'template name');

  router.get('/bots/:botId/template-placeholders', access, async (_req, res) => {
    res.json({ success: true, ...(await listPlaceholders(ctx.db, res.locals.bot.id)) });
  });
  router.get('/bots/:botId/templates', access, async (_req, res) => {
    res.json({ success: true, templates: await listTemplates(ctx.db, res.locals.bot.id) });
  });
  router.post('/bots/:botId/templates/:name', access, async (req, res) => {
    const name = nameOf(req.params.name);
    const body = parseInput(saveBodySchema, req.body);
    const stored = await saveTemplate(ctx, res.locals.bot.id, name, body.content, { author: author(body.author, res.locals.grant.tokenId), comment: body.comment });
    res.status(201).json({ success: true, template: stored });
  });
  router.get('/bots/:botId/templates/:name', access, async (req, res) => {
    const { version } = parseInput(getQuerySchema, req.query, 'query');
    res.json({ success: true, template: await requireTemplate(ctx.db, res.locals.bot.id, nameOf(req.params.name), version) });
  });
  router.get('/bots/:botId/templates/:name/versions', access, async (req, res) => {
    res.json({ success: true, versions: await listTemplateVersions(ctx.db, res.locals.bot.id, nameOf(req.params.name)) });
  });
  router.get('/bots/:botId/templates/:name/diff', access, async (req, res) => {
    const { from, to } = parseInput(diffQuerySchema, req.query, 'query');
    res.json({ success: true, diff: await diffTemplateVersions(ctx.db, res.locals.bot.id, nameOf(req.params.name), from, to) });
  });
  router.post('/bots/:botId/templates/:name/rollback', access, async (req, res) => {
    const body = parseInput(rollbackBodySchema, req.body);
    const stored = await rollbackTemplate(ctx, res.locals.bot.id, nameOf(req.params.name), body.version, { author: author(body.author, res.locals.grant.tokenId), comment: body.comment });
    res.status(201).json({ success: true, template: stored });
  });
  return router;
}

const tags = ['Message templates'];
/** The answers' shapes, shared with the console's routes (console/templates.ts) and the console's generated types. */
export const templateVersionSchema = z
  .object({ name: z.string(), version: z.number().int(), author: z.string(), comment: z.string(), rolledBackFrom: z.number().int().nullable(), createdAt: z.number().int() })
  .meta({ id: 'TemplateVersion' });
export const storedTemplateSchema = templateVersionSchema.extend({ content: templateContentSchema }).meta({ id: 'StoredTemplate' });
export const templateDiffSchema = z
  .object({
    name: z.string(),
    from: z.number().int(),
    to: z.number().int(),
    changes: z.array(z.object({ type: z.string(), path: z.string().meta({ description: '`text`, `variants.ru.text`, `buttons.0.1.text`' }), oldValue: z.unknown().optional(), value: z.unknown().optional() })),
  })
  .meta({ id: 'TemplateDiff' });
export const templateAnswerSchema = z.object({ success: z.boolean(), template: storedTemplateSchema }).meta({ id: 'TemplateAnswer' });
export const templateVersionsAnswerSchema = z.object({ success: z.boolean(), versions: z.array(templateVersionSchema) }).meta({ id: 'TemplateVersions' });
export const templateDiffAnswerSchema = z.object({ success: z.boolean(), diff: templateDiffSchema }).meta({ id: 'TemplateDiffAnswer' });
export const listAnswerSchema = z.object({ success: z.boolean(), templates: z.array(templateVersionSchema) }).meta({ id: 'TemplateList' });
const jsonOf = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } } });
const ok = (schema: z.ZodType) => ({ 200: { description: 'OK', ...jsonOf(schema) }, ...errorResponses('messages') });
const created = { 201: { description: 'Stored as the new current version', ...jsonOf(templateAnswerSchema) }, ...errorResponses('messages') };
const placeholdersAnswerSchema = z
  .object({
    success: z.boolean(),
    placeholders: z.array(placeholderSchema),
    complete: z.boolean().meta({ description: 'false when the attribute scan reached its bound (1,000 leads with attributes, 200 names): a name may be missing' }),
  })
  .meta({ id: 'TemplatePlaceholders' });
const security = [{ bearerAuth: [] }];

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  const json = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } } });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/template-placeholders', operationId: 'listTemplatePlaceholders', tags, security, summary: 'What a template may use: profile fields, the attribute names the bot\'s leads carry, the user (params are the send\'s own)', request: { params: botPathParams }, responses: { 200: { description: 'OK', ...json(placeholdersAnswerSchema) }, ...errorResponses('messages') } });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/templates', operationId: 'listTemplates', tags, security, summary: 'The library: every template at its current version', request: { params: botPathParams }, responses: { 200: { description: 'OK', ...json(listAnswerSchema) }, ...errorResponses('messages') } });
  docs.registerPath({ method: 'post', path: '/api/v1/bots/{botId}/templates/{name}', operationId: 'saveTemplate', tags, security, summary: 'Save a new version of a template (created with version 1); a template error is a 422 with line and column', request: { params: namePathParams, body: json(saveBodySchema) }, responses: created });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/templates/{name}', operationId: 'getTemplate', tags, security, summary: 'A template at its current version, or at `version`', request: { params: namePathParams, query: getQuerySchema }, responses: ok(templateAnswerSchema) });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/templates/{name}/versions', operationId: 'listTemplateVersions', tags, security, summary: 'Version history (author, date, comment), newest first', request: { params: namePathParams }, responses: ok(templateVersionsAnswerSchema) });
  docs.registerPath({ method: 'get', path: '/api/v1/bots/{botId}/templates/{name}/diff', operationId: 'diffTemplateVersions', tags, security, summary: 'What changed between two versions, field by field', request: { params: namePathParams, query: diffQuerySchema }, responses: ok(templateDiffAnswerSchema) });
  docs.registerPath({ method: 'post', path: '/api/v1/bots/{botId}/templates/{name}/rollback', operationId: 'rollbackTemplate', tags, security, summary: 'Roll back: an old version becomes the new current one', request: { params: namePathParams, body: json(rollbackBodySchema) }, responses: created });
}
