import fc from 'fast-check';
import { purgeAnalyticsState } from '../../src/analytics/retention';
import { ROLLUP_COLUMNS } from '../../src/analytics/counters';
import { responseBucket } from '../../src/analytics/histogram';
import { purgeFinishedRecipients } from '../../src/delivery/retention';
import { purgeDeliveredEvents } from '../../src/events/retention';
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
  | { kind: 'answer'; lead: number; reply: 'text' | 'buy' | 'other' | 'rating'; rating: number }
  | { kind: 'goal'; lead: number; via: 'pay' | 'buy' }
  | { kind: 'wait'; minutes: number }
  | { kind: 'purge' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('call' as const), alias: fc.nat(3), user: fc.nat(4) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), lead: fc.nat(2), trace: fc.integer({ min: -1, max: 2 }), ok: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), lead: fc.nat(2), reply: fc.constantFrom('text' as const, 'buy' as const, 'other' as const, 'rating' as const), rating: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('goal' as const), lead: fc.nat(2), via: fc.constantFrom('pay' as const, 'buy' as const) }) },
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

async function rollupRows(backend: TestBackend, botId: number): Promise<Map<string, Record<string, number>>> {
  const rows = await backend.ctx.db('analytics_hourly').where({ bot_id: botId });
  const found = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const counts = Object.fromEntries(ROLLUP_COLUMNS.map((c) => [c, Number(row[c])]).filter(([, v]) => v !== 0));
    if (Object.keys(counts).length) found.set(`${Number(row.hour)}|${row.alias}|${row.channel}`, counts);
  }
  return found;
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
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30 }), async (steps) => {
        const { botId, token } = await backend.createBot({ map });
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
        for (const row of model.rows.values()) for (const [column, value] of Object.entries(row)) exercised[column] = (exercised[column] ?? 0) + value;
        exercised.purgedRaw += purgedRaw;
      }),
      { numRuns: 20 },
    );
    for (const column of ['calls', 'sent', 'failed', 'answered', 'goal_sends', 'conversions', 'ratings', 'purgedRaw']) expect(exercised[column]).toBeGreaterThan(0);
  }, 600_000);
});
