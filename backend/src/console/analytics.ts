import { type RequestHandler, Router } from 'express';
import { exportQuerySchema, sendExport } from '../analytics/export';
import { heatmap } from '../analytics/heatmap';
import { type AnalyticsQuery, analyticsQuerySchema, botFigures, figuresBy, series, seriesQuerySchema, windowOf } from '../analytics/queries';
import type { AppContext } from '../platform/context';
import { parseInput } from '../platform/errors';
import { consoleBotAccess, consoleOf, type consoleSession } from './access';

/**
 * The analytics pages' data: the same functions, queries and answers as the token API's
 * `/api/v1/bots/{id}/analytics…` (docs/analytics.md), behind a session whose role reads analytics;
 * the export (rows with user and lead ids) needs `analytics.export` as well.
 */
export function addAnalytics(ctx: AppContext, router: Router, session: ReturnType<typeof consoleSession>): void {
  const read: RequestHandler[] = [session, consoleBotAccess(ctx, 'analytics.read')];
  const framed = (window: { from: number; to: number }, timezone: string) => ({ from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), timezone });
  const windowed = (input: unknown) => {
    const query = parseInput(analyticsQuerySchema, input, 'query');
    return { query, window: windowOf(query, ctx.clock.now()) };
  };

  router.get('/bots/:botId/analytics', ...read, async (req, res) => {
    const { query, window } = windowed(req.query);
    const { bot } = consoleOf(res);
    res.json({ success: true, window: framed(window, bot.timezone), figures: await botFigures(ctx.db, bot.id, query, window) });
  });
  router.get('/bots/:botId/analytics/communications', ...read, async (req, res) => {
    const { query, window } = windowed(req.query);
    const { bot } = consoleOf(res);
    const groups = await figuresBy(ctx.db, bot.id, 'alias', query, window);
    res.json({ success: true, window: framed(window, bot.timezone), communications: groups.map(({ key, figures }) => ({ alias: key, figures })) });
  });
  router.get('/bots/:botId/analytics/channels', ...read, async (req, res) => {
    const { query, window } = windowed(req.query);
    const { bot } = consoleOf(res);
    const groups = await figuresBy(ctx.db, bot.id, 'channel', { ...query, channel: undefined } satisfies AnalyticsQuery, window);
    res.json({ success: true, window: framed(window, bot.timezone), channels: groups.filter((g) => g.key !== '').map(({ key, figures }) => ({ channel: key, figures })) });
  });
  router.get('/bots/:botId/analytics/series', ...read, async (req, res) => {
    const query = parseInput(seriesQuerySchema, req.query, 'query');
    const window = windowOf(query, ctx.clock.now());
    const { bot } = consoleOf(res);
    res.json({ success: true, window: framed(window, bot.timezone), bucket: query.bucket, series: await series(ctx.db, bot.id, bot.timezone, query, window) });
  });
  router.get('/bots/:botId/analytics/heatmap', ...read, async (req, res) => {
    const { query, window } = windowed(req.query);
    const { bot } = consoleOf(res);
    res.json({ success: true, window: framed(window, bot.timezone), engagementHours: query.engagementHours, cells: await heatmap(ctx.db, bot.id, bot.timezone, query, window) });
  });
  router.get('/bots/:botId/analytics/export', session, consoleBotAccess(ctx, 'analytics.export'), async (req, res) => {
    await sendExport(ctx, res, consoleOf(res).bot.id, parseInput(exportQuerySchema, req.query, 'query'));
  });
}
