import express, { type Express } from 'express';
import pinoHttp from 'pino-http';
import { analyticsRouter } from './analytics/routes';
import { audiencesRouter } from './audiences/routes';
import { botsRouter } from './bots/routes';
import { consoleApiRouter } from './console/routes';
import { conversationsRouter } from './conversations/routes';
import { consoleHeaders, consolePagesRouter } from './console/pages';
import { checkDatabase } from './platform/db/database';
import { redactRequest } from './platform/logging/logger';
import { cancelRouter } from './delivery/cancel-routes';
import { conversationRouter } from './delivery/conversation-routes';
import { isSendRequest, messagesRouter } from './delivery/routes';
import { templatesRouter } from './delivery/template-routes';
import { telegramFilesRouter } from './channels/telegram/file-routes';
import { paymentsRouter } from './channels/telegram/payment-routes';
import { telegramWebhookRouter } from './channels/telegram/routes';
import { telegramSettingsRouter } from './channels/telegram/settings-routes';
import { staffGroupRouter } from './channels/telegram/staff-group-routes';
import { webchatDownloadRouter } from './channels/webchat/file-routes';
import { webchatRouter } from './channels/webchat/routes';
import { vkCallbackRouter } from './channels/vk/routes';
import { vkSettingsRouter } from './channels/vk/settings-routes';
import { whatsappWebhookRouter } from './channels/whatsapp/routes';
import { whatsappSettingsRouter } from './channels/whatsapp/settings-routes';
import { eventsRouter } from './events/routes';
import { callEndpointRouter } from './integration/call-endpoint';
import { identityRouter } from './identity/routes';
import { verificationRouter } from './identity/verification-routes';
import { mapsRouter } from './maps/routes';
import { tablesRouter } from './tables/routes';
import { getMapVersion } from './maps/maps';
import { metricsRouter } from './platform/metrics/metrics-routes';
import { apiDocumentOf } from './platform/openapi/document';
import { botDocument } from './maps/openapi';
import type { Runtime } from './runtime';
import { swaggerAssets, swaggerPage, tokenSwaggerPage } from './platform/openapi/swagger-page';
import { newTraceId, traceIdSchema } from './traces/traces';
import { tracesRouter } from './traces/routes';
import { authenticate, botAccess } from './bots/access';
import { grantAllowsAlias } from './bots/tokens';
import { ApiError, errorHandler, sendError } from './platform/http/errors';
import { jsonBody } from './platform/http/json-body';
import './platform/http/locals';

/**
 * The HTTP surface. Public: health, the API's OpenAPI document and Swagger UI. A bot's document
 * (its map) and everything under /api/v1 need a bearer token, `/metrics` METRICS_TOKEN, the console
 * (/console) a session; each capability's router is mounted here and registers its OpenAPI description
 * into the runtime's registry as it is built.
 */
export function createApp(ctx: Runtime): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Which address is the client's (req.ip, the web chat's rate limits): the socket's unless the operator says a proxy sets X-Forwarded-For.
  app.set('trust proxy', ctx.config.TRUST_PROXY);

  app.use((req, res, next) => {
    const header = req.get('x-trace-id');
    const given = header === undefined ? undefined : traceIdSchema.safeParse(header);
    res.locals.traceId = given?.success ? given.data : newTraceId();
    res.setHeader('X-Trace-Id', res.locals.traceId);
    next();
  });
  // pino-http logs each request at info; above that level it would only build two child loggers per
  // request for nothing (failures are logged by the error handler).
  if (ctx.logger.isLevelEnabled('info')) {
    app.use(pinoHttp({ logger: ctx.logger, serializers: { req: redactRequest }, customProps: (_req, res) => ({ traceId: res.locals.traceId }), autoLogging: { ignore: (req) => req.url === '/healthz' } }));
  }

  // A send may carry files (MESSAGE_BODY_LIMIT): its body is read by its route, after the token and scope are checked.
  const body = jsonBody({ limit: ctx.config.BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  const authenticated = authenticate(ctx);
  // The integration endpoint a CRM calls under load: routed first, behind the same body limit and
  // token check as the rest of /api/v1, so a call does not walk every other router's layers
  // (a tenth of its CPU). No route before it could match its path.
  app.use('/api/v1', callEndpointRouter(ctx, ctx.docs, [body, authenticated]));

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const database = await checkDatabase(ctx.db);
    res.status(database === 'ok' ? 200 : 503).json({ status: database === 'ok' ? 'ready' : 'unavailable', database });
  });
  if (ctx.config.METRICS_TOKEN) app.use(metricsRouter(ctx.config.METRICS_TOKEN));

  const apiDocument = apiDocumentOf(ctx.docs);
  app.get('/openapi.json', (_req, res) => void res.json(apiDocument(ctx.config.publicUrl)));
  // A map is the bot's business: readable with a token that may read it or call it, and only the
  // aliases that token may call.
  app.get('/docs/:botId/openapi.json', authenticate(ctx), botAccess(ctx, ['maps', 'call']), async (_req, res) => {
    const { bot, grant } = res.locals;
    const map = await getMapVersion(ctx, bot.id);
    res.json(botDocument(apiDocument(ctx.config.publicUrl), bot, map, (alias) => grantAllowsAlias(grant, alias)));
  });
  app.use(swaggerAssets());
  app.get('/docs', (_req, res) => void res.send(swaggerPage('Metabot backend API', '/openapi.json')));
  app.get('/docs/:botId', (req, res) => {
    const botId = encodeURIComponent(req.params.botId);
    res.send(tokenSwaggerPage('Bot integration endpoints', `/docs/${botId}/openapi.json`));
  });

  app.use(telegramWebhookRouter(ctx));
  app.use(webchatRouter(ctx, ctx.docs));
  app.use(whatsappWebhookRouter(ctx));
  app.use(vkCallbackRouter(ctx));

  const api = express.Router();
  api.use((req, res, next) => (isSendRequest(req) ? next() : body(req, res, next)));
  api.use(authenticated);
  api.use(botsRouter(ctx, ctx.docs));
  api.use(mapsRouter(ctx, ctx.docs));
  api.use(tracesRouter(ctx, ctx.docs));
  api.use(identityRouter(ctx, ctx.docs));
  api.use(verificationRouter(ctx, ctx.docs));
  api.use(tablesRouter(ctx, ctx.docs));
  api.use(messagesRouter(ctx, ctx.docs));
  api.use(conversationRouter(ctx, ctx.docs));
  api.use(conversationsRouter(ctx, ctx.docs));
  api.use(cancelRouter(ctx, ctx.docs));
  api.use(templatesRouter(ctx, ctx.docs));
  api.use(eventsRouter(ctx, ctx.docs));
  api.use(telegramSettingsRouter(ctx, ctx.docs));
  api.use(staffGroupRouter(ctx, ctx.docs));
  api.use(webchatDownloadRouter(ctx));
  api.use(telegramFilesRouter(ctx, ctx.docs));
  api.use(paymentsRouter(ctx, ctx.docs));
  api.use(whatsappSettingsRouter(ctx, ctx.docs));
  api.use(analyticsRouter(ctx, ctx.docs));
  api.use(audiencesRouter(ctx, ctx.docs));
  api.use(vkSettingsRouter(ctx, ctx.docs));
  app.use('/api/v1', api);

  // The console: a person's session, not a token (docs/console.md).
  app.use('/console', consoleHeaders);
  app.use('/console/api', consoleApiRouter(ctx, ctx.docs));
  app.use('/console', consolePagesRouter());

  app.use((_req, res) => sendError(res, new ApiError(404, 'Not found')));
  app.use(errorHandler(ctx.logger));
  return app;
}
