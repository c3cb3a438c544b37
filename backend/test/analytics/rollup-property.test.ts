import fc from 'fast-check';
import { purgeAnalyticsState } from '../../src/analytics/retention';
import { CHANNEL_DAILY, CHANNEL_HOURLY, DAILY, dayOf, HOURLY, type Rollup, ROLLUP_COLUMNS } from '../../src/analytics/counters';
import { addTotals, emptyTotals, figuresOf, type Totals } from '../../src/analytics/figures';
import { heatmap } from '../../src/analytics/heatmap';
import { analyticsQuerySchema, botFigures, bucketStarts, figuresBy, series, seriesQuerySchema, windowOf } from '../../src/analytics/queries';
import { backfillDaily } from '../../src/platform/db/migrations/0029_analytics_daily';
import { backfillChannelRollups } from '../../src/platform/db/migrations/0031_analytics_channel_rollups';
import { ENGAGEMENT_WINDOWS_HOURS, responseBucket } from '../../src/analytics/histogram';
import { purgeFinishedRecipients } from '../../src/delivery/retention';
import { purgeDeliveredEvents } from '../../src/events/retention';
import { wallClock } from '../../src/tables/time-window';
import { newTraceId } from '../../src/traces/traces';
import { type SeededLead, seedLinkedLeads } from '../support/delivery';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { historyWriter } from './history';

const HOUR = 3_600_000;
const RETENTION_DAYS = 30;
const GOALS: Record<string, { kind: 'alias' | 'button'; value: string; withinHours: number }> = {
  'promo/offer': { kind: 'alias', value: 'payments/succeeded', withinHours: 72 },
  'survey/ask': { kind: 'button', value: 'buy', withinHours: 2 },
};
const ALIASES = ['promo/offer', 'survey/ask', 'news/digest', 'payments/succeeded'];
const map = {
  name: 'Property',
  endpoints: ALIASES.map((alias) => ({
    alias,
    purpose: alias,
    owner: 'test',
    ...(alias === 'promo/offer' ? { goal: { alias: 'payments/succeeded', withinHours: 72 } } : alias === 'survey/ask' ? { goal: { button: 'buy', withinHours: 2 } } : {}),
  })),
};

type Step =
  | { kind: 'call'; alias: number; user: number }
  | { kind: 'send'; lead: number; trace: number; ok: boolean }
  | { kind: 'answer'; lead: number; reply: 'text' | 'buy' | 'other' | 'rating'; rating: number; afterMinutes: number }
  | { kind: 'goal'; lead: number; via: 'pay' | 'buy' }
  | { kind: 'wait'; minutes: number }
  | { kind: 'purge' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('call' as const), alias: fc.nat(3), user: fc.nat(4) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), lead: fc.nat(2), trace: fc.integer({ min: -1, max: 2 }), ok: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), lead: fc.nat(2), reply: fc.constantFrom('text' as const, 'buy' as const, 'other' as const, 'rating' as const), rating: fc.integer({ min: 1, max: 5 }), afterMinutes: fc.constantFrom(0, 0, 5, 90, 1500) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('goal' as const), lead: fc.nat(2), via: fc.constantFrom('pay' as const, 'buy' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
);

interface EventRow {
  id: number | string;
  type: string;
  trace_id: string;
  lead_id: string | null;
  user_id: string | null;
  alias: string | null;
  payload: string;
  created_at: number | string;
}

/**
 * The rollups recomputed by brute force from the raw events, in id order, with the rules of
 * docs/analytics.md written out plainly; `purge(now)` drops what the analytics purge drops.
 */
class BruteForce {
  readonly rows = new Map<string, Record<string, number>>();
  private readonly traces = new Map<string, { alias: string; at: number }>();
  private readonly lastSends = new Map<string, { alias: string; channel: string; at: number; answered: boolean }>();
  private readonly goalWaits = new Map<string, { alias: string; lead: string; user: string | null; channel: string; kind: string; value: string; at: number; until: number }>();

  private add(at: number, alias: string, channel: string, column: string, amount = 1) {
    const key = `${Math.floor(at / HOUR) * HOUR}|${alias}|${channel}`;
    const row = this.rows.get(key) ?? {};
    row[column] = (row[column] ?? 0) + amount;
    this.rows.set(key, row);
  }

  private reach(kind: string, value: string, lead: string | null, user: string | null, at: number) {
    for (const [key, wait] of this.goalWaits) {
      if (wait.kind !== kind || wait.value !== value || wait.at > at || wait.until < at) continue;
      if (!((lead && wait.lead === lead) || (user && wait.user === user))) continue;
      this.add(wait.at, wait.alias, wait.channel, 'conversions');
      this.goalWaits.delete(key);
    }
  }

  apply(e: EventRow) {
    const at = Number(e.created_at);
    const payload = JSON.parse(e.payload);
    if (e.type === 'endpoint.called') {
      if (!this.traces.has(e.trace_id)) this.traces.set(e.trace_id, { alias: e.alias!, at });
      this.add(at, e.alias!, '', 'calls');
      this.reach('alias', e.alias!, null, e.user_id, at);
      return;
    }
    const alias = this.traces.get(e.trace_id)?.alias ?? '';
    if (e.type === 'message.sent') {
      this.add(at, alias, payload.channel, 'sent');
      this.lastSends.set(e.lead_id!, { alias, channel: payload.channel, at, answered: false });
      const goal = GOALS[alias];
      if (goal) {
        this.add(at, alias, payload.channel, 'goal_sends');
        this.goalWaits.set(`${alias}|${e.lead_id}`, { alias, lead: e.lead_id!, user: e.user_id, channel: payload.channel, kind: goal.kind, value: goal.value, at, until: at + goal.withinHours * HOUR });
      }
    } else if (e.type === 'message.failed') {
      this.add(at, alias, payload.channel, 'failed');
    } else if (e.type === 'rating.given') {
      const last = this.lastSends.get(e.lead_id!);
      this.add(at, last?.alias ?? '', last?.channel ?? payload.channel, 'ratings');
      this.add(at, last?.alias ?? '', last?.channel ?? payload.channel, 'rating_sum', payload.rating);
      this.add(at, last?.alias ?? '', last?.channel ?? payload.channel, `rating_${payload.rating}`);
    } else if (e.type === 'message.received' || e.type === 'button.pressed') {
      const last = this.lastSends.get(e.lead_id!);
      if (last && !last.answered) {
        this.add(last.at, last.alias, last.channel, 'answered');
        this.add(last.at, last.alias, last.channel, `rt_${responseBucket((at - last.at) / 1000)}`);
        last.answered = true;
      }
      if (e.type === 'button.pressed') this.reach('button', payload.buttonData, e.lead_id, e.user_id, at);
    }
  }

  purge(now: number) {
    const cutoff = now - RETENTION_DAYS * 24 * HOUR;
    for (const [key, wait] of this.goalWaits) if (wait.until < now) this.goalWaits.delete(key);
    for (const [key, trace] of this.traces) if (trace.at < cutoff) this.traces.delete(key);
    for (const [key, send] of this.lastSends) if (send.at < cutoff) this.lastSends.delete(key);
  }
}

/** A rollup's rows, keyed `time|alias|channel` (`time|channel` per channel), zero counters (and rows left with none) dropped. */
async function rollupRows(backend: TestBackend, botId: number, rollup: Rollup = HOURLY): Promise<Map<string, Record<string, number>>> {
  const rows = await backend.ctx.db(rollup.table).where({ bot_id: botId });
  const found = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const counts = Object.fromEntries(ROLLUP_COLUMNS.map((c) => [c, Number(row[c])]).filter(([, v]) => v !== 0));
    const key = [Number(row[rollup.time]), ...(rollup.perAlias ? [row.alias] : []), row.channel].join('|');
    if (Object.keys(counts).length) found.set(key, counts);
  }
  return found;
}

/** Rows summed under new keys, zero counters (and rows left with none) dropped. */
function regrouped(rows: Map<string, Record<string, number>>, keyOf: (time: number, alias: string, channel: string) => string): Map<string, Record<string, number>> {
  const groups = new Map<string, Record<string, number>>();
  for (const [key, counts] of rows) {
    const [time, alias, channel] = key.split('|');
    const group = groups.get(keyOf(Number(time), alias, channel)) ?? {};
    for (const [column, value] of Object.entries(counts)) group[column] = (group[column] ?? 0) + value;
    groups.set(keyOf(Number(time), alias, channel), group);
  }
  for (const [key, counts] of groups) {
    for (const [column, value] of Object.entries(counts)) if (value === 0) delete counts[column];
    if (Object.keys(counts).length === 0) groups.delete(key);
  }
  return groups;
}

/** What each rollup must hold, from the hourly rows (`hour|alias|channel`): summed per UTC day, per channel, or both. */
function expectedIn(rollup: Rollup, hourly: Map<string, Record<string, number>>): Map<string, Record<string, number>> {
  return regrouped(hourly, (hour, alias, channel) => [rollup.time === 'day' ? dayOf(hour) : hour, ...(rollup.perAlias ? [alias] : []), channel].join('|'));
}

const DERIVED: readonly Rollup[] = [DAILY, CHANNEL_HOURLY, CHANNEL_DAILY];

const ZONES = ['UTC', 'Europe/Moscow', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns'];
type Probe = { from: number; hours: number; zone: string; alias: number; channel: boolean; engagementHours: number };
const probe: fc.Arbitrary<Probe> = fc.record({ from: fc.nat(100_000), hours: fc.nat(100_000), zone: fc.constantFrom(...ZONES), alias: fc.integer({ min: -2, max: 3 }), channel: fc.boolean(), engagementHours: fc.constantFrom(...ENGAGEMENT_WINDOWS_HOURS) });

/**
 * Every query over a window, answered from the hourly rows alone the plain way (each row summed
 * into its bucket in JavaScript), to compare with the queries that read the daily and per-channel
 * rollups.
 */
async function hourlyOnly(backend: TestBackend, botId: number, filter: { alias?: string; channel?: string }, window: { from: number; to: number }, timeZone: string, engagementHours: number) {
  let q = backend.ctx.db('analytics_hourly').where('bot_id', botId).where('hour', '>=', window.from).where('hour', '<', window.to).orderBy('hour');
  if (filter.alias !== undefined) q = q.where('alias', filter.alias);
  if (filter.channel !== undefined) q = q.where('channel', filter.channel);
  const rows: Array<Record<string, unknown>> = (await q).map((row) => ({ ...row, sent_receipts: row.channel === 'whatsapp' ? row.sent : 0 }));
  const sum = (group: Array<Record<string, unknown>>): Totals => group.reduce<Totals>((totals, row) => addTotals(totals, row), emptyTotals());
  const by = (keyOf: (row: Record<string, unknown>) => number | string) => {
    const groups = new Map<number | string, Array<Record<string, unknown>>>();
    for (const row of rows) groups.set(keyOf(row), [...(groups.get(keyOf(row)) ?? []), row]);
    return new Map([...groups].map(([key, group]) => [key, figuresOf(sum(group), engagementHours)]));
  };
  const bucketOf = (starts: number[]) => (row: Record<string, unknown>) => starts.filter((start) => start <= Number(row.hour)).pop()!;
  // The heat map: each hour in the cell of its first instant's local weekday and hour, looked up one by one.
  const cells = Array.from({ length: 7 * 24 }, () => emptyTotals());
  for (const row of rows) {
    const wall = wallClock(Number(row.hour), timeZone);
    addTotals(cells[((new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay() + 6) % 7) * 24 + wall.hour], row);
  }
  return {
    heatmap: cells.map((totals, i) => {
      const { engagement, conversion } = figuresOf(totals, engagementHours);
      return { weekday: Math.floor(i / 24) + 1, hour: i % 24, sent: totals.sent, engaged: engagement.engaged, engagementRate: engagement.rate, goalRecipients: conversion.recipients, converted: conversion.converted, conversionRate: conversion.rate };
    }),
    bot: figuresOf(sum(rows), engagementHours),
    alias: by((row) => String(row.alias)),
    channel: by((row) => String(row.channel)),
    hour: by((row) => Number(row.hour)),
    day: by(bucketOf(bucketStarts('day', timeZone, window))),
    week: by(bucketOf(bucketStarts('week', timeZone, window))),
  };
}

describe(`analytics rollups equal a brute-force recomputation (${dialect})`, () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 1, 9, 0, 0));
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false', HISTORY_RETENTION_DAYS: String(RETENTION_DAYS) } });
  });
  afterAll(() => backend.close());

  it('after random histories of calls, sends, failures, answers, taps, ratings, goals and retention purges', async () => {
    // What the histories exercised, summed over the runs: each rule must have been met at least once.
    const exercised: Record<string, number> = { purgedRaw: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), fc.array(probe, { minLength: 3, maxLength: 3 }), async (steps, probes) => {
        const { botId, token } = await backend.createBot({ map });
        const started = clock.now();
        const leads: SeededLead[] = await seedLinkedLeads(backend.ctx.db, botId, [1, 2, 3, 4].map((n) => botId * 10 + n), clock.now());
        const h = historyWriter(backend, clock, botId, token);
        const model = new BruteForce();
        const traces: string[] = [];
        let seen = 0;
        let purgedRaw = 0;
        const observe = async () => {
          const fresh: EventRow[] = await backend.ctx.db('events').where({ bot_id: botId }).where('id', '>', seen).orderBy('id');
          for (const e of fresh) model.apply(e);
          if (fresh.length) seen = Number(fresh[fresh.length - 1].id);
        };
        for (const s of steps) {
          if (s.kind === 'call') traces.push(await h.call(ALIASES[s.alias], `u${botId * 10 + s.user}`));
          if (s.kind === 'send') {
            const lead = leads[s.lead];
            // -1: a trace no call started; else one of the latest calls.
            await h.outcome(traces[traces.length - 1 - s.trace] ?? newTraceId(), lead, s.ok ? 'sent' : 'failed', { messageId: `m${seen}_${s.lead}` });
          }
          if (s.kind === 'answer') {
            // After a pause, so answers land in several buckets of the response-time histogram.
            h.at(clock.now() + s.afterMinutes * 60_000);
            const reply = s.reply === 'text' ? { text: 'hello' } : { button: s.reply === 'rating' ? `rating:${s.rating}` : s.reply };
            await h.answer(leads[s.lead], reply);
          }
          if (s.kind === 'goal' && s.via === 'pay') traces.push(await h.call('payments/succeeded', leads[s.lead].userId));
          if (s.kind === 'goal' && s.via === 'buy') await h.answer(leads[s.lead], { button: 'buy' });
          if (s.kind === 'wait') h.at(clock.now() + s.minutes * 60_000);
          await observe();
          if (s.kind === 'purge') {
            h.at(clock.now() + (RETENTION_DAYS + 1) * 24 * HOUR);
            const before = await backend.ctx.db('events').where({ bot_id: botId }).count({ n: '*' }).first();
            while (await purgeDeliveredEvents(backend.ctx));
            while (await purgeFinishedRecipients(backend.ctx));
            await purgeAnalyticsState(backend.ctx);
            model.purge(clock.now());
            const after = await backend.ctx.db('events').where({ bot_id: botId }).count({ n: '*' }).first();
            purgedRaw += Number(before?.n) - Number(after?.n);
            // The raw rows are gone, the summary is not.
            expect(Number(after?.n)).toBe(0);
          }
        }
        expect(await rollupRows(backend, botId)).toEqual(model.rows);
        for (const rollup of DERIVED) expect(await rollupRows(backend, botId, rollup)).toEqual(expectedIn(rollup, model.rows));
        // Windows around the history, at any hour, of any length up to 400 days: the answers from
        // hourly edges + daily rows, full or per channel, equal the plain sum of the hourly rows.
        // And the whole history, unfiltered, so every run compares its own sends and answers.
        const spanHours = Math.ceil((clock.now() - started) / HOUR) + 96;
        const whole = { ...probes[0], from: 0, hours: Math.min(spanHours, 400 * 24) - 1, alias: -2, channel: false };
        for (const p of [...probes, whole]) {
          const from = started - 48 * HOUR + (p.from % spanHours) * HOUR;
          const to = from + (1 + (p.hours % Math.min(spanHours, 400 * 24))) * HOUR;
          const filter = { ...(p.alias >= -1 ? { alias: p.alias === -1 ? '' : ALIASES[p.alias] } : {}), ...(p.channel ? { channel: 'telegram' } : {}) };
          const query = analyticsQuerySchema.parse({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), engagementHours: p.engagementHours, ...filter });
          const window = windowOf(query, clock.now());
          const expected = await hourlyOnly(backend, botId, filter, window, p.zone, p.engagementHours);
          expect(await botFigures(backend.ctx.db, botId, query, window)).toEqual(expected.bot);
          expect(await heatmap(backend.ctx.db, botId, p.zone, query, window)).toEqual(expected.heatmap);
          for (const dimension of ['alias', 'channel'] as const) {
            const answered = await figuresBy(backend.ctx.db, botId, dimension, query, window);
            expect(new Map(answered.map((row) => [row.key, row.figures]))).toEqual(expected[dimension]);
          }
          for (const bucket of ['hour', 'day', 'week'] as const) {
            if (bucket === 'hour' && to - from > 1000 * HOUR) continue;
            const answered = await series(backend.ctx.db, botId, p.zone, seriesQuerySchema.parse({ ...query, bucket }), window);
            expect(new Map(answered.map((point) => [Date.parse(point.start), point.figures]))).toEqual(expected[bucket]);
          }
          exercised.probes = (exercised.probes ?? 0) + (to - from > 3 * 24 * HOUR ? 1 : 0);
          exercised.probedSends = (exercised.probedSends ?? 0) + expected.bot.delivery.sent;
          exercised.probedEngaged = (exercised.probedEngaged ?? 0) + expected.bot.engagement.engaged;
        }
        for (const row of model.rows.values()) for (const [column, value] of Object.entries(row)) exercised[column] = (exercised[column] ?? 0) + value;
        exercised.purgedRaw += purgedRaw;
      }),
      { numRuns: 20 },
    );
    for (const column of ['calls', 'sent', 'failed', 'answered', 'goal_sends', 'conversions', 'ratings', 'rt_8', 'purgedRaw', 'probes', 'probedSends', 'probedEngaged']) expect(exercised[column]).toBeGreaterThan(0);
  }, 600_000);

  it("the migrations' backfills rebuild every daily and per-channel row from the full rollups", async () => {
    const bots: Array<{ id: number }> = await backend.ctx.db('bots').select('id');
    const before = await Promise.all(bots.map((bot) => Promise.all(DERIVED.map((rollup) => rollupRows(backend, bot.id, rollup)))));
    for (const rollup of DERIVED) await backend.ctx.db(rollup.table).delete();
    await backfillDaily(backend.ctx.db);
    await backfillChannelRollups(backend.ctx.db);
    for (const [i, bot] of bots.entries()) {
      const hourly = await rollupRows(backend, bot.id);
      for (const [k, rollup] of DERIVED.entries()) {
        const rebuilt = await rollupRows(backend, bot.id, rollup);
        expect(rebuilt).toEqual(before[i][k]);
        expect(rebuilt).toEqual(expectedIn(rollup, hourly));
      }
    }
    expect(before.some((rollups) => rollups.every((rows) => rows.size > 0))).toBe(true);
  });
});
