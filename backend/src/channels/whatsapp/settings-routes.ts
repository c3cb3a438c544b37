import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { botAccess } from '../../bots/access';
import { notFound, parseInput } from '../../platform/errors';
import type { AppContext } from '../../platform/context';
import { botPathParams, errorResponses, jsonContent as json } from '../../platform/openapi/registry';
import { getBot } from '../../bots/bots';
import { displayPhoneSchema, forgetWhatsappAccount, getWhatsappAccount, rememberDisplayPhone, setWhatsappAccount, whatsappCredentialsSchema, whatsappTemplateSchema } from './whatsapp-store';

const setAccountSchema = whatsappCredentialsSchema
  .extend({ fallbackTemplate: whatsappTemplateSchema.nullable().default(null), displayPhoneNumber: displayPhoneSchema.nullable().default(null) })
  .meta({ id: 'SetWhatsapp' });
const whatsappStateSchema = z
  .object({
    configured: z.boolean(),
    phoneNumberId: z.string().nullable(),
    /** The number people write to, as digits; link tokens come with a wa.me link while it is set. */
    displayPhoneNumber: z.string().nullable(),
    /** The callback URL to give Meta (with the verify token), for this bot. */
    webhookUrl: z.string(),
    fallbackTemplate: whatsappTemplateSchema.nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'WhatsappState' });

async function stateOf(ctx: AppContext, botId: number): Promise<z.infer<typeof whatsappStateSchema>> {
  const account = await getWhatsappAccount(ctx, botId);
  const displayPhone = ((await getBot(ctx, botId))?.settings.whatsapp as { displayPhone?: string } | undefined)?.displayPhone;
  return {
    configured: Boolean(account),
    phoneNumberId: account?.phoneNumberId ?? null,
    displayPhoneNumber: displayPhone ?? null,
    webhookUrl: `${ctx.config.publicUrl}/whatsapp/${botId}/webhook`,
    fallbackTemplate: account?.fallbackTemplate ?? null,
    updatedAt: account ? new Date(account.updatedAt).toISOString() : null,
  };
}

/**
 * The bot's WhatsApp number over the API (scope `admin`), beside `bot set-whatsapp`: the access
 * token, app secret and verify token are stored encrypted and never echoed. Sends pick a change up
 * within a few seconds.
 */
export function whatsappSettingsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'admin');

  router.get('/bots/:botId/whatsapp', access, async (_req, res) => {
    res.json({ success: true, whatsapp: await stateOf(ctx, res.locals.bot.id), trace_id: res.locals.traceId });
  });

  router.put('/bots/:botId/whatsapp', access, async (req, res) => {
    const { bot, traceId } = res.locals;
    const { fallbackTemplate, displayPhoneNumber, ...credentials } = parseInput(setAccountSchema, req.body, 'request body');
    await setWhatsappAccount(ctx, bot.id, credentials, fallbackTemplate);
    await rememberDisplayPhone(ctx, bot.id, displayPhoneNumber);
    res.json({ success: true, whatsapp: await stateOf(ctx, bot.id), trace_id: traceId });
  });

  router.delete('/bots/:botId/whatsapp', access, async (_req, res) => {
    const { bot, traceId } = res.locals;
    if (!(await forgetWhatsappAccount(ctx, bot.id))) throw notFound('This bot has no WhatsApp number');
    res.json({ success: true, whatsapp: await stateOf(ctx, bot.id), trace_id: traceId });
  });
  return router;
}

const answer = json(z.object({ success: z.literal(true), whatsapp: whatsappStateSchema, trace_id: z.string() }));
const common = { tags: ['WhatsApp'], security: [{ bearerAuth: [] }], request: { params: botPathParams } };

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({ ...common, method: 'get', path: '/api/v1/bots/{botId}/whatsapp', operationId: 'getWhatsappSettings', summary: 'Whether the bot has a WhatsApp number, its callback URL and fallback template', responses: { 200: { description: 'The WhatsApp state', ...answer }, ...errorResponses('admin') } });
  docs.registerPath({
    operationId: 'setWhatsappNumber',
    ...common,
    method: 'put',
    path: '/api/v1/bots/{botId}/whatsapp',
    summary: 'Connect (or replace) the bot\'s WhatsApp Cloud API number',
    description: 'Phone number id, access token, app secret (checks X-Hub-Signature-256) and the verify token you type into Meta\'s webhook setup; stored encrypted, never returned. `fallbackTemplate` is the approved template sent outside the 24-hour customer-service window; without it such a send fails with the reason. `displayPhoneNumber` (the number people write to) makes link tokens come with a `whatsappUrl`. 409 when another bot has this number.',
    request: { params: botPathParams, body: json(setAccountSchema) },
    responses: { 200: { description: 'Stored', ...answer }, 409: { description: 'Another bot has this phone number id' }, ...errorResponses('admin') },
  });
  docs.registerPath({ ...common, method: 'delete', path: '/api/v1/bots/{botId}/whatsapp', operationId: 'deleteWhatsappNumber', summary: 'Disconnect the bot\'s WhatsApp number (its webhook is then refused)', responses: { 200: { description: 'Removed', ...answer }, ...errorResponses('admin') } });
}
