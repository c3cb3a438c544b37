import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { templateContentSchema, templateNameSchema } from '../delivery/content-schema';
import { listPlaceholders } from '../delivery/placeholders';
import { previewEntrySchema, problemSchema } from '../delivery/routes';
import { diffTemplateVersions, listTemplates, listTemplateVersions, requireTemplate, rollbackTemplate, saveTemplate } from '../delivery/template-library';
import { draftPreviewSchema, previewDraft } from '../delivery/template-preview';
import { listAnswerSchema, templateAnswerSchema, templateDiffAnswerSchema, templateVersionsAnswerSchema } from '../delivery/template-routes';
import type { AppContext } from '../platform/context';
import { parseInput } from '../platform/errors';
import { errorBodySchema } from '../platform/http/errors';
import { consoleBotAccess, consoleOf, type consoleSession } from './access';

const versionSchema = z.coerce.number().int().positive();
const getQuerySchema = z.object({ version: versionSchema.optional() });
const diffQuerySchema = z.object({ from: versionSchema, to: versionSchema });
const saveBodySchema = z.object({ content: templateContentSchema, comment: z.string().max(1000).optional() }).meta({ id: 'ConsoleTemplateSave' });
const rollbackBodySchema = z.object({ version: z.number().int().positive(), comment: z.string().max(1000).optional() }).meta({ id: 'ConsoleTemplateRollback' });
export const draftPreviewAnswerSchema = z
  .object({
    success: z.boolean(),
    preview: previewEntrySchema.nullable().meta({ description: 'The draft as this person would get it; null when it does not parse or render' }),
    errors: z.array(problemSchema).meta({ description: 'Why the draft does not parse or render, with line and column' }),
  })
  .meta({ id: 'TemplateDraftPreview' });

/**
 * The template library's pages: the same functions as the token API's `/bots/{id}/templates…`
 * (docs/templates.md), behind a session whose role reads (`templates.read`) or writes
 * (`templates.write`) templates. A version saved here is authored by the console account's email.
 * The live preview renders a draft for a named lead or user (their profile and attributes), so it
 * belongs to whoever writes; a reader sees the source and its history.
 */
export function addTemplates(ctx: AppContext, docs: OpenAPIRegistry, router: Router, session: ReturnType<typeof consoleSession>): void {
  documentRoutes(docs);
  const read: RequestHandler[] = [session, consoleBotAccess(ctx, 'templates.read')];
  const write: RequestHandler[] = [session, consoleBotAccess(ctx, 'templates.write')];
  const nameOf = (value: unknown) => parseInput(templateNameSchema, value, 'template name');
  const authorOf = (res: Parameters<RequestHandler>[1]) => ({ author: consoleOf(res).user.email });

  router.get('/bots/:botId/templates', ...read, async (_req, res) => {
    res.json({ success: true, templates: await listTemplates(ctx.db, consoleOf(res).bot.id) });
  });
  router.get('/bots/:botId/template-placeholders', ...write, async (_req, res) => {
    res.json({ success: true, ...(await listPlaceholders(ctx.db, consoleOf(res).bot.id)) });
  });
  router.post('/bots/:botId/template-preview', ...write, async (req, res) => {
    res.json({ success: true, ...(await previewDraft(ctx, consoleOf(res).bot.id, parseInput(draftPreviewSchema, req.body))) });
  });
  router.get('/bots/:botId/templates/:name', ...read, async (req, res) => {
    const { version } = parseInput(getQuerySchema, req.query, 'query');
    res.json({ success: true, template: await requireTemplate(ctx.db, consoleOf(res).bot.id, nameOf(req.params.name), version) });
  });
  router.get('/bots/:botId/templates/:name/versions', ...read, async (req, res) => {
    res.json({ success: true, versions: await listTemplateVersions(ctx.db, consoleOf(res).bot.id, nameOf(req.params.name)) });
  });
  router.get('/bots/:botId/templates/:name/diff', ...read, async (req, res) => {
    const { from, to } = parseInput(diffQuerySchema, req.query, 'query');
    res.json({ success: true, diff: await diffTemplateVersions(ctx.db, consoleOf(res).bot.id, nameOf(req.params.name), from, to) });
  });
  router.post('/bots/:botId/templates/:name', ...write, async (req, res) => {
    const name = nameOf(req.params.name);
    const body = parseInput(saveBodySchema, req.body);
    res.status(201).json({ success: true, template: await saveTemplate(ctx, consoleOf(res).bot.id, name, body.content, { ...authorOf(res), comment: body.comment }) });
  });
  router.post('/bots/:botId/templates/:name/rollback', ...write, async (req, res) => {
    const name = nameOf(req.params.name);
    const body = parseInput(rollbackBodySchema, req.body);
    res.status(201).json({ success: true, template: await rollbackTemplate(ctx, consoleOf(res).bot.id, name, body.version, { ...authorOf(res), comment: body.comment }) });
  });
}

const tags = ['Console'];
const security = [{ consoleSession: [] }];
const pathParams = z.object({ botId: z.number().int().positive() });
const namePathParams = pathParams.extend({ name: templateNameSchema });
const jsonOf = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } } });
const failures = (permission: string) => ({
  401: { description: 'Not logged in, or the session has ended', ...jsonOf(errorBodySchema) },
  403: { description: `The account does not see this bot, its role lacks "${permission}", or the CSRF token is missing`, ...jsonOf(errorBodySchema) },
  404: { description: 'Unknown bot, template or version', ...jsonOf(errorBodySchema) },
  422: { description: 'Invalid input; `errors` lists every problem', ...jsonOf(errorBodySchema) },
});

/** The console's own routes are documented too, so the console's pages type their answers from the generated types. */
function documentRoutes(docs: OpenAPIRegistry): void {
  const ok = (schema: z.ZodType, permission: string) => ({ 200: { description: 'OK', ...jsonOf(schema) }, ...failures(permission) });
  const created = { 201: { description: 'Stored as the new current version', ...jsonOf(templateAnswerSchema) }, ...failures('templates.write') };
  const base = '/console/api/bots/{botId}';
  docs.registerPath({ method: 'get', path: `${base}/templates`, operationId: 'consoleListTemplates', tags, security, summary: 'The library: every template at its current version', request: { params: pathParams }, responses: ok(listAnswerSchema, 'templates.read') });
  docs.registerPath({ method: 'get', path: `${base}/template-placeholders`, operationId: 'consoleListTemplatePlaceholders', tags, security, summary: 'What a template may use (as `GET /api/v1/bots/{botId}/template-placeholders`)', request: { params: pathParams }, responses: { 200: { description: 'OK' }, ...failures('templates.write') } });
  docs.registerPath({ method: 'post', path: `${base}/template-preview`, operationId: 'consolePreviewTemplateDraft', tags, security, summary: 'Render an unsaved template for a lead, a user or made-up values, as a dry run would; a template error is in `errors`, with line and column', request: { params: pathParams, body: jsonOf(draftPreviewSchema) }, responses: ok(draftPreviewAnswerSchema, 'templates.write') });
  docs.registerPath({ method: 'get', path: `${base}/templates/{name}`, operationId: 'consoleGetTemplate', tags, security, summary: 'A template at its current version, or at `version`', request: { params: namePathParams, query: getQuerySchema }, responses: ok(templateAnswerSchema, 'templates.read') });
  docs.registerPath({ method: 'get', path: `${base}/templates/{name}/versions`, operationId: 'consoleListTemplateVersions', tags, security, summary: 'Version history, newest first', request: { params: namePathParams }, responses: ok(templateVersionsAnswerSchema, 'templates.read') });
  docs.registerPath({ method: 'get', path: `${base}/templates/{name}/diff`, operationId: 'consoleDiffTemplateVersions', tags, security, summary: 'What changed between two versions, field by field', request: { params: namePathParams, query: diffQuerySchema }, responses: ok(templateDiffAnswerSchema, 'templates.read') });
  docs.registerPath({ method: 'post', path: `${base}/templates/{name}`, operationId: 'consoleSaveTemplate', tags, security, summary: 'Save a new version, authored by the console account', request: { params: namePathParams, body: jsonOf(saveBodySchema) }, responses: created });
  docs.registerPath({ method: 'post', path: `${base}/templates/{name}/rollback`, operationId: 'consoleRollbackTemplate', tags, security, summary: 'An old version becomes the new current one', request: { params: namePathParams, body: jsonOf(rollbackBodySchema) }, responses: created });
}
