import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { newTraceId } from '../../backend/src/traces/traces';
import { type SeededLead, seedLinkedLeads, waitUntilDone } from '../../backend/test/support/delivery';
import { eventually } from '../../backend/test/support/eventually';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeInChromium, startWithTelegram, type TelegramBot, textOf, useChromiumConsole } from './support/chromium-console';

/**
 * The Analytics page in a real Chromium at 1024 px, over facts made the real way: calls over the
 * API, messages delivered by the Telegram stand-in (one refused by it), answers written in the
 * stand-in, a goal reached by a call. The figures the page must show are computed here from what
 * the test did, not read from the API. The bot lives in Tokyo and the browser in New York, so the
 * custom days, the trend and the heat map must follow the bot's zone, not the browser's.
 * UPDATE_SCREENSHOTS=1 writes docs/console-analytics.png and docs/console-analytics-communication.png.
 */
jest.setTimeout(240_000);

/** The response-time histogram's bucket edges in seconds (docs/analytics.md): a quantile reads as the edge of its bucket. */
const EDGES = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 259_200, 604_800];
const CHATS = [8101, 8102, 8103, 8104];
const BOT_ZONE = 'Asia/Tokyo';
const BROWSER_ZONE = 'America/New_York';
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const map = {
  name: 'Shop',
  endpoints: [
    { alias: 'promo/offer', purpose: 'An offer', owner: 'marketing', params: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } }, goal: { alias: 'payments/succeeded', withinHours: 72 } },
    { alias: 'payments/succeeded', purpose: 'A payment', owner: 'billing', params: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } } },
  ],
};

/** What the test reads of the page's canvas (the test's TypeScript has no DOM library). */
interface DrawnCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

/** The Tokyo calendar date (YYYY-MM-DD), weekday (1 Monday … 7 Sunday) and hour of an instant. */
function tokyo(ms: number) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: BOT_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', weekday: 'short' }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: WEEKDAYS.indexOf(parts.weekday) + 1, hour: Number(parts.hour) };
}
/** Tokyo has no DST: a Tokyo day starts at 15:00 UTC the day before. */
const tokyoMidnight = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 9 * 3_600_000).toISOString();

const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;
const edgeText = (s: number) => (s < 60 ? `${s} s` : s < 3600 ? `${s / 60} min` : s < 86_400 ? `${s / 3600} h` : `${s / 86_400} d`);
/** The edge of the bucket holding the ⌈q·n⌉-th fastest of these delays. */
const quantileEdge = (delaysMs: number[], q: number) => EDGES.find((edge) => edge * 1000 >= [...delaysMs].sort((a, b) => a - b)[Math.ceil(q * delaysMs.length) - 1])!;

describeInChromium('the Analytics page in Chromium', () => {
  const ui = useChromiumConsole(startWithTelegram, {
    accounts: { 'analyst@example.com': 'analyst', 'manager@example.com': 'manager', 'operator@example.com': 'operator' },
    shots: 'analytics',
    context: { timezoneId: BROWSER_ZONE, acceptDownloads: true },
  });
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const offerTraces = new Map<string, string>();
  const did = { calls: 0, offers: 0, sent: 0, failed: 0, answerDelaysMs: [] as number[], converted: 0, goalRecipients: 0, sentAt: [] as number[] };
  let seeded: SeededLead[] = [];
  let telegram: TelegramBot['telegram'];

  beforeAll(async () => {
    const { bot } = ui.served;
    ({ backend } = ui.served);
    ({ botId, token } = bot);
    await backend.ctx.db('bots').where({ id: botId }).update({ timezone: BOT_ZONE });
    backend.ctx.wakeups.wake('telegram');
    expect((await backend.request('POST', `/api/v1/bots/${botId}/maps`, { token, body: { document: map } })).status).toBe(201);
    const leads = await seedLinkedLeads(backend.ctx.db, botId, CHATS);
    seeded = leads;
    telegram = bot.telegram;

    // Four offers, each followed by its message on the call's trace; Telegram refuses the fourth chat.
    bot.telegram.failNext(1, { status: 400, description: 'Bad Request: chat not found', chatId: CHATS[3] });
    for (const lead of leads) await offer(lead, lead.chatId !== CHATS[3]);
    // Two people answer; one of them pays (the goal of promo/offer); the third stays silent.
    for (const lead of leads.slice(0, 2)) await answer(bot.telegram, lead);
    await call('payments/succeeded', leads[0].userId, newTraceId());
    did.converted = 1;
    did.goalRecipients = did.sent;
    // A send counts in the hour its message.sent was recorded.
    did.sentAt = (await backend.ctx.db('events').where({ bot_id: botId, type: 'message.sent' }).select('created_at')).map((r) => Number(r.created_at));
    // The rollups are written as the events fan out, within moments: wait for the last fact.
    await eventually(async () => (await backend.request('GET', `/api/v1/bots/${botId}/analytics`, { token })).body.figures?.conversion.converted === did.converted, 20_000);
  });

  async function call(alias: string, userId: string, traceId: string): Promise<void> {
    const res = await backend.request('POST', `/api/v1/bots/${botId}/call/${alias}`, { token, headers: { 'x-trace-id': traceId }, body: { script_request_params: { userId } } });
    expect(res.status).toBe(200);
    did.calls += 1;
  }

  async function offer(lead: SeededLead, delivers: boolean): Promise<void> {
    const traceId = newTraceId();
    await call('promo/offer', lead.userId, traceId);
    did.offers += 1;
    offerTraces.set(lead.leadId, traceId);
    const sent = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, headers: { 'x-trace-id': traceId }, body: { leadIds: [lead.leadId], text: 'Ten percent off until Sunday' } });
    expect(sent.status).toBe(202);
    const status = await waitUntilDone(backend, botId, token, sent.body.messageId);
    expect(status.counts).toMatchObject(delivers ? { sent: 1 } : { failed: 1 });
    if (delivers) did.sent += 1;
    else did.failed += 1;
  }

  /** The person writes in Telegram; the delay the figures use is from the recorded send to the recorded answer. */
  async function answer(telegram: TelegramBot['telegram'], lead: SeededLead): Promise<void> {
    telegram.userSends(lead.chatId, 'Yes please');
    const received = await eventually(() => backend.ctx.db('events').where({ bot_id: botId, type: 'message.received', lead_id: lead.leadId }).first(), 20_000);
    const recipient = await backend.ctx.db('message_recipients').where({ bot_id: botId, lead_id: lead.leadId }).first();
    did.answerDelaysMs.push(Number(received.created_at) - Number(recipient.sent_at));
  }

  it('shows the figures of what happened, a trend chart with its table, the ranking and the funnel, and exports the rows', async () => {
    const page = await ui.logIn('analyst@example.com');
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();

    const tile = (name: string) => page.locator(`[data-figure=${name}] .tile-value`);
    const attempted = did.sent + did.failed;
    await textOf(tile('delivery'), percent(did.sent, attempted));
    await textOf(tile('engagement'), percent(did.answerDelaysMs.length, did.sent));
    await textOf(tile('response'), `${edgeText(quantileEdge(did.answerDelaysMs, 0.5))} · ${edgeText(quantileEdge(did.answerDelaysMs, 0.9))}`);
    await textOf(tile('conversion'), percent(did.converted, did.goalRecipients));
    await textOf(tile('csat'), '—');
    // Errors: the refused message, over every send, failure and accepted call (no webhook was subscribed).
    await textOf(tile('errors'), percent(did.failed, attempted + did.calls));

    // The chart: a canvas Chart.js drew on (some pixels are painted), and its numbers in the table.
    const canvas = page.locator('canvas[data-points]');
    await canvas.waitFor();
    expect(Number(await canvas.getAttribute('data-points'))).toBeGreaterThan(0);
    const painted = await canvas.evaluate((element) => {
      const c = element as unknown as DrawnCanvas;
      const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
      return count;
    });
    expect(painted).toBeGreaterThan(100);
    const trend = page.getByRole('table', { name: 'Trend' });
    const column = async (field: string) => (await trend.locator(`td[data-field=${field}]`).allTextContents()).reduce((sum, t) => sum + Number(t), 0);
    expect({ sent: await column('sent'), failed: await column('failed'), answered: await column('answered'), converted: await column('converted') }).toEqual({
      sent: did.sent,
      failed: did.failed,
      answered: did.answerDelaysMs.length,
      converted: did.converted,
    });

    // The offer converts; the payment has no goal and ranks after it.
    const ranking = page.getByRole('table', { name: 'Communications by conversion' }).locator('tbody tr');
    expect(await ranking.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alias')))).toEqual(['promo/offer', 'payments/succeeded']);
    expect(await ranking.first().locator('[data-field=conversion]').textContent()).toBe(percent(did.converted, did.goalRecipients));
    expect(await ranking.nth(1).locator('[data-field=conversion]').textContent()).toBe('no goal');
    const funnel = page.getByRole('table', { name: 'Funnel' }).locator('tr[data-alias="promo/offer"] .step-count');
    expect(await funnel.allTextContents()).toEqual([attempted, did.sent, did.answerDelaysMs.length, did.converted].map(String));

    // The heat map: every send in the cell of its Tokyo weekday and hour, none elsewhere.
    await expectHeatMap(page);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);

    // The export: one CSV row per recipient of the window, after the header.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0].split(',')).toContain('status');
    expect(csv.slice(1).map((line) => line.split(',')[6]).sort()).toEqual([...Array(did.sent).fill('sent'), ...Array(did.failed).fill('failed')].sort());
    await page.getByLabel('Rows to export').selectOption('events');
    const [events] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download NDJSON' }).click()]);
    const lines = fs.readFileSync((await events.path())!, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(lines.filter((e) => e.type === 'message.received')).toHaveLength(did.answerDelaysMs.length);

    // Custom days, chosen in a New York browser: Tokyo's yesterday and today, from Tokyo's midnight
    // to the midnight that ends today, shown as such; the form reads the same days back.
    const today = tokyo(Date.now()).date;
    const yesterday = tokyo(Date.now() - 24 * 3_600_000).date;
    const tomorrow = tokyo(Date.now() + 24 * 3_600_000).date;
    await page.getByLabel('Window').selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill(yesterday);
    await page.getByLabel('To', { exact: true }).fill(today);
    await page.getByLabel('Trend by').selectOption('hour');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/window=custom.*bucket=hour/);
    const asked = new URL(page.url().replace('#/', '')).searchParams;
    expect({ from: asked.get('from'), to: asked.get('to') }).toEqual({ from: tokyoMidnight(yesterday), to: tokyoMidnight(tomorrow) });
    await textOf(page.locator('figcaption'), `Per hour, in ${BOT_ZONE}`);
    const shown = await page.locator('[data-field=window]').textContent();
    expect(shown).toMatch(new RegExp(`^\\d{1,2} \\w{3} \\d{4}, 00:00 – \\d{1,2} \\w{3} \\d{4}, 00:00 \\(${BOT_ZONE.replace('/', '\\/')}\\)`));
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(yesterday);
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(today);
    await textOf(tile('delivery'), percent(did.sent, attempted));
    expect(await column('sent')).toBe(did.sent);
    expect(await trend.locator('tbody tr').count()).toBeGreaterThan(0);

    // The ranking leads to the communication's page, with the window kept: its funnel from the
    // CRM's calls to the goal, its trend, its heat map.
    await page.getByRole('table', { name: 'Communications by conversion' }).getByRole('link', { name: 'promo/offer' }).click();
    await page.getByRole('heading', { name: 'Communication promo/offer' }).waitFor();
    expect(page.url()).toContain('window=custom');
    const steps = page.getByRole('list', { name: 'Funnel' });
    await textOf(steps.locator('[data-step=events] .step-count'), String(did.offers));
    expect(await steps.locator('.step-count').allTextContents()).toEqual([did.offers, did.sent, did.answerDelaysMs.length, did.converted].map(String));
    await textOf(tile('conversion'), percent(did.converted, did.goalRecipients));
    expect(await column('sent')).toBe(did.sent);
    await expectHeatMap(page);
    await page.getByRole('link', { name: '← Analytics' }).click();
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    expect(page.url()).toContain('window=custom');

    // A channel with nothing in it empties the tiles.
    await page.goto(`${backend.url}/console#/bots/${botId}/analytics?window=24h&channel=webchat`);
    await textOf(tile('delivery'), '—');
    await page.context().close();
  });

  /** The heat map's filled cells are the Tokyo (weekday, hour) of the recorded sends, with their counts. */
  async function expectHeatMap(page: Page): Promise<void> {
    const expected = new Map<string, number>();
    for (const at of did.sentAt) {
      const { weekday, hour } = tokyo(at);
      expected.set(`${weekday} ${hour}`, (expected.get(`${weekday} ${hour}`) ?? 0) + 1);
    }
    const grid = page.getByRole('table', { name: 'Heat map' });
    await grid.locator('td[data-sent]').first().waitFor();
    const cells = await grid.locator('td[data-sent]').evaluateAll((tds) => tds.map((td) => [td.getAttribute('data-weekday'), td.getAttribute('data-hour'), Number(td.getAttribute('data-sent'))] as const));
    expect(cells).toHaveLength(168);
    expect(new Map(cells.filter(([, , sent]) => sent > 0).map(([weekday, hour, sent]) => [`${weekday} ${hour}`, sent]))).toEqual(expected);
    expect(await page.locator('[data-field=best]').textContent()).toMatch(/^Best slot: \w{3} \d{2}:00 — /);
  }

  it('gives the manager the figures but no export, and the operator no analytics at all', async () => {
    const manager = await ui.logIn('manager@example.com');
    await manager.getByRole('link', { name: 'Analytics' }).click();
    await textOf(manager.locator('[data-figure=conversion] .tile-value'), percent(did.converted, did.goalRecipients));
    expect(await manager.getByRole('link', { name: 'Download CSV' }).count()).toBe(0);
    const exportStatus = (page: Page) => page.evaluate(async (bot) => (await fetch(`/console/api/bots/${bot}/analytics/export?kind=messages&format=csv&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`)).status, botId);
    expect(await exportStatus(manager)).toBe(403);
    await manager.context().close();

    const operator = await ui.logIn('operator@example.com');
    await operator.getByRole('heading', { name: 'Traces' }).waitFor();
    expect(await operator.getByRole('link', { name: 'Analytics' }).count()).toBe(0);
    await operator.goto(`${backend.url}/console#/bots/${botId}/analytics`);
    await operator.getByText('Nothing here.').waitFor();
    expect(await operator.evaluate(async (bot) => (await fetch(`/console/api/bots/${bot}/analytics`)).status, botId)).toBe(403);
    expect(await exportStatus(operator)).toBe(403);
    await operator.context().close();
  });

  it('draws the CSAT distribution on the overview and on the communication page', async () => {
    // Two people get the rating question on their offer's trace (so it belongs to promo/offer) and tap 5 and 4.
    const rated = [[seeded[0], 5], [seeded[1], 4]] as const;
    for (const [lead, rating] of rated) {
      const buttons = [[1, 2, 3, 4, 5].map((n) => ({ text: String(n), data: `rating:${n}` }))];
      const sent = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, headers: { 'x-trace-id': offerTraces.get(lead.leadId)! }, body: { leadIds: [lead.leadId], text: 'How did we do?', buttons } });
      expect(sent.status).toBe(202);
      await waitUntilDone(backend, botId, token, sent.body.messageId);
      // The tap answers the question once the fan-out made it the lead's latest send.
      await eventually(() => backend.ctx.db('analytics_last_sends').where({ lead_id: lead.leadId, message_id: sent.body.messageId }).first(), 20_000);
      telegram.tapButton(lead.chatId, `rating:${rating}`);
    }
    await eventually(async () => (await backend.request('GET', `/api/v1/bots/${botId}/analytics`, { token })).body.figures?.csat.ratings === rated.length, 20_000);
    const expected = ['0', '0', '0', '1', '1'];

    const page = await ui.logIn('analyst@example.com');
    await page.getByRole('link', { name: 'Analytics' }).click();
    await textOf(page.locator('[data-figure=csat] .tile-value'), '4.50 / 5');
    const distribution = page.getByRole('table', { name: 'CSAT distribution' });
    expect(await distribution.locator('[data-field=count]').allTextContents()).toEqual(expected);
    await page.locator('canvas[data-chart=csat]').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: ui.shot('console-analytics.png'), fullPage: true });

    await page.getByRole('table', { name: 'Communications by conversion' }).getByRole('link', { name: 'promo/offer' }).click();
    await page.getByRole('heading', { name: 'Communication promo/offer' }).waitFor();
    await textOf(page.locator('[data-figure=csat] .tile-value'), '4.50 / 5');
    expect(await page.getByRole('table', { name: 'CSAT distribution' }).locator('[data-field=count]').allTextContents()).toEqual(expected);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);
    await page.screenshot({ path: ui.shot('console-analytics-communication.png'), fullPage: true });
    await page.context().close();
  });
});
