import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { RequestHandler } from 'express';
import { botAccess } from '../bots/access';
import { isAliasScoped } from '../bots/tokens';
import type { AppContext } from '../platform/context';
import { forbidden, parseInput } from '../platform/errors';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import { conversationCsat, csatGroupSchema, csatQuerySchema } from './conversation-csat';
import { exportQuerySchema, sendExport } from './export';
import { heatmap } from './heatmap';
import { type AnalyticsQuery, analyticsQuerySchema, botFigures, figuresBy, series, seriesQuerySchema, windowOf } from './queries';

/** Figures, series and exports of a bot's communications (docs/analytics.md); scope `analytics`, read-only. */
export function analyticsRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const scoped = botAccess(ctx, 'analytics');
  // Figures and exports span every communication and person of the bot: no alias glob can bound them.
  const everyAlias: RequestHandler = (_req, res, next) => (isAliasScoped(res.locals.grant.aliases) ? next(forbidden('Analytics need a token for every alias of the bot')) : next());
  const read = (query: unknown) => {
    const parsed = parseInput(analyticsQuerySchema, query, 'query');
    return { query: parsed, window: windowOf(parsed, ctx.clock.now()) };
  };
  const framed = (window: { from: number; to: number }, timezone: string) => ({ from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), timezone });

  router.get('/bots/:botId/analytics', scoped, everyAlias, async (req, res) => {
    const { query, window } = read(req.query);
    const figures = await botFigures(ctx.db, res.locals.bot.id, query, window);
    res.json({ success: true, window: framed(window, res.locals.bot.timezone), figures, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/analytics/communications', scoped, everyAlias, async (req, res) => {
    const { query, window } = read(req.query);
    const groups = await figuresBy(ctx.db, res.locals.bot.id, 'alias', query, window);
    const communications = groups.map(({ key, figures }) => ({ alias: key, figures }));
    res.json({ success: true, window: framed(window, res.locals.bot.timezone), communications, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/analytics/channels', scoped, everyAlias, async (req, res) => {
    const { query, window } = read(req.query);
    const groups = await figuresBy(ctx.db, res.locals.bot.id, 'channel', { ...query, channel: undefined } satisfies AnalyticsQuery, window);
    const channels = groups.filter((g) => g.key !== '').map(({ key, figures }) => ({ channel: key, figures }));
    res.json({ success: true, window: framed(window, res.locals.bot.timezone), channels, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/analytics/series', scoped, everyAlias, async (req, res) => {
    const query = parseInput(seriesQuerySchema, req.query, 'query');
    const window = windowOf(query, ctx.clock.now());
    const points = await series(ctx.db, res.locals.bot.id, res.locals.bot.timezone, query, window);
    res.json({ success: true, window: framed(window, res.locals.bot.timezone), bucket: query.bucket, series: points, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/analytics/heatmap', scoped, everyAlias, async (req, res) => {
    const { query, window } = read(req.query);
    const cells = await heatmap(ctx.db, res.locals.bot.id, res.locals.bot.timezone, query, window);
    res.json({ success: true, window: framed(window, res.locals.bot.timezone), engagementHours: query.engagementHours, cells, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/analytics/csat', scoped, everyAlias, async (req, res) => {
    const query = parseInput(csatQuerySchema, req.query, 'query');
    const window = windowOf({ ...query, engagementHours: 24 }, ctx.clock.now());
    const groups = await conversationCsat(ctx.db, res.locals.bot.id, query.by, window);
    res.json({ success: true, window: framed(window, res.locals.bot.timezone), by: query.by, groups, trace_id: res.locals.traceId });
  });

  router.get('/bots/:botId/analytics/export', scoped, everyAlias, async (req, res) => {
    await sendExport(ctx, res, res.locals.bot.id, parseInput(exportQuerySchema, req.query, 'query'));
  });

  return router;
}

const ratio = z.number().nullable().meta({ description: 'null when the denominator is 0' });
const figuresSchema = z
  .object({
    delivery: z.object({ sent: z.number(), failed: z.number(), rate: ratio, sentWithReceipts: z.number(), delivered: z.number(), read: z.number(), deliveredRate: ratio, readRate: ratio }),
    engagement: z.object({ hours: z.number().int(), recipients: z.number(), engaged: z.number(), rate: ratio, answeredEver: z.number() }),
    responseTime: z.object({
      answers: z.number(),
      medianSeconds: z.number().nullable(),
      p90Seconds: z.number().nullable(),
      histogram: z.array(z.object({ upToSeconds: z.number().nullable(), count: z.number() })),
    }),
    conversion: z.object({ recipients: z.number(), converted: z.number(), rate: ratio }),
    csat: z.object({ ratings: z.number(), average: z.number().nullable(), distribution: z.object({ 1: z.number(), 2: z.number(), 3: z.number(), 4: z.number(), 5: z.number() }) }),
    errors: z.object({ messagesFailed: z.number(), webhooksExhausted: z.number(), calls: z.number(), webhooks: z.number(), all: z.number(), rate: ratio }),
  })
  .meta({ id: 'AnalyticsFigures', description: 'Every figure is defined in docs/analytics.md' });
const heatmapCellSchema = z
  .object({
    weekday: z.number().int().min(1).max(7).meta({ description: 'ISO weekday in the bot time zone: 1 Monday … 7 Sunday' }),
    hour: z.number().int().min(0).max(23).meta({ description: 'Local hour of day' }),
    sent: z.number(),
    engaged: z.number().meta({ description: 'Of those sends, answered within engagementHours' }),
    engagementRate: ratio,
    goalRecipients: z.number(),
    converted: z.number(),
    conversionRate: ratio,
  })
  .meta({ id: 'AnalyticsHeatmapCell' });
const windowSchema = z.object({ from: z.string(), to: z.string(), timezone: z.string() });
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (shape: z.ZodRawShape) => json(z.object({ success: z.literal(true), window: windowSchema, ...shape, trace_id: z.string() }));
const common = { tags: ['Analytics'], security: [{ bearerAuth: [] }] };

function documentRoutes(docs: OpenAPIRegistry): void {
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics',
    operationId: 'getAnalytics',
    summary: 'Delivery, engagement, response time, conversion, CSAT and error rate of a bot over a window',
    request: { params: botPathParams, query: analyticsQuerySchema },
    responses: { 200: { description: 'OK', content: ok({ figures: figuresSchema }) }, ...errorResponses('analytics') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics/communications',
    operationId: 'getAnalyticsByCommunication',
    summary: 'The figures per communication (the alias that started each trace), most sends first',
    request: { params: botPathParams, query: analyticsQuerySchema },
    responses: { 200: { description: 'OK', content: ok({ communications: z.array(z.object({ alias: z.string(), figures: figuresSchema })) }) }, ...errorResponses('analytics') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics/channels',
    operationId: 'getAnalyticsByChannel',
    summary: 'The figures per channel, most sends first',
    request: { params: botPathParams, query: analyticsQuerySchema.omit({ channel: true }) },
    responses: { 200: { description: 'OK', content: ok({ channels: z.array(z.object({ channel: z.string(), figures: figuresSchema })) }) }, ...errorResponses('analytics') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics/series',
    operationId: 'getAnalyticsSeries',
    summary: "The figures per hour, day or week in the bot's time zone (buckets with nothing in them are left out)",
    request: { params: botPathParams, query: seriesQuerySchema },
    responses: {
      200: { description: 'OK', content: ok({ bucket: z.enum(['hour', 'day', 'week']), series: z.array(z.object({ start: z.string(), figures: figuresSchema })) }) },
      ...errorResponses('analytics'),
    },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics/heatmap',
    operationId: 'getAnalyticsHeatmap',
    summary: "Sends by weekday × hour of day in the bot's time zone, with the engagement and conversion of those sends",
    description: 'Always 168 cells, Monday 00:00 first. Answers and goals count in the hour of their send, so a cell tells how sends made at that local time fared.',
    request: { params: botPathParams, query: analyticsQuerySchema },
    responses: { 200: { description: 'OK', content: ok({ engagementHours: z.number().int(), cells: z.array(heatmapCellSchema) }) }, ...errorResponses('analytics') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics/csat',
    operationId: 'getConversationCsat',
    summary: 'CSAT of conversations operators had, per operator or per team, from the ratings asked after a close',
    request: { params: botPathParams, query: csatQuerySchema },
    responses: { 200: { description: 'OK', content: ok({ by: z.enum(['operator', 'team']), groups: z.array(csatGroupSchema) }) }, ...errorResponses('analytics') },
  });
  docs.registerPath({
    ...common,
    method: 'get',
    path: '/api/v1/bots/{botId}/analytics/export',
    operationId: 'exportAnalytics',
    summary: 'Stream the events, messages (one row per recipient) or trace hops of a window as CSV or NDJSON, for BI',
    description: 'Streamed in id order, page by page, so any size is sent in constant memory. CSV: RFC 4180, a header row, text a spreadsheet would run as a formula prefixed with an apostrophe. A cut connection before the end means the export is incomplete.',
    request: { params: botPathParams, query: exportQuerySchema },
    responses: {
      200: {
        description: 'The rows',
        content: { 'text/csv': { schema: z.string() }, 'application/x-ndjson': { schema: z.string() } },
      },
      ...errorResponses('analytics'),
    },
  });
}
