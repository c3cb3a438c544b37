import type { Knex } from 'knex';
import type { EventRow } from '../events/event-row';
import type { FanoutObserver } from '../events/fanout';
import { fromJson } from '../platform/db/database';
import type { CommunicationLabels } from './communication-metrics';
import { hourOf, RollupDeltas, type RollupKey } from './counters';
import { currentGoals, type Goal, goalTarget, reachGoal } from './goals';
import { aliasesOfTraces, type LastSendRow, rememberSends, type Send, sendOf } from './sends';

export interface AnalyticsContext {
  communicationLabels: CommunicationLabels;
}

/**
 * Rolls each new event into the hourly rollups, inside the fan-out's transaction: every event is
 * fanned out exactly once, so it is counted exactly once, before retention may purge it. Answers
 * are not counted here but in the inbound transaction (answers.ts): an answer a send-and-wait
 * consumes records no event.
 */
export function rollUpEvents(ctx: AnalyticsContext): FanoutObserver {
  return async (trx, events) => {
    const deltas = new RollupDeltas();
    const batch = new BatchState(trx);
    await rememberTraces(trx, events);
    // An endpoint call names its alias itself; only the other events look theirs up by trace.
    const aliases = await aliasesOfTraces(trx, events.filter((e) => e.type !== 'endpoint.called').map((e) => e.trace_id));
    const goalsByBot = new Map<number, Map<string, Goal>>();
    for (const bot of new Set(events.map((e) => e.bot_id))) goalsByBot.set(bot, await currentGoals(trx, bot));
    const goalTargets = new Map([...goalsByBot].map(([bot, goals]) => [bot, new Set([...goals.values()].map((g) => Object.values(goalTarget(g)).join(':')))]));
    for (const event of events) {
      const alias = event.type === 'endpoint.called' ? (event.alias ?? '') : (aliases.get(event.trace_id) ?? '');
      await rollUp(batch, deltas, event, alias, goalsByBot.get(event.bot_id)!);
      const target = event.type === 'endpoint.called' ? `alias:${event.alias}` : `event:${event.type}`;
      if (goalTargets.get(event.bot_id)!.has(target)) {
        const [kind, value] = event.type === 'endpoint.called' ? (['alias', event.alias ?? ''] as const) : (['event', event.type] as const);
        await batch.flush();
        await reachGoal(trx, deltas, { botId: event.bot_id, kind, value, leadId: event.lead_id, userId: event.user_id, at: event.created_at });
      }
    }
    await batch.flush();
    ctx.communicationLabels.count(deltas);
    await deltas.write(trx);
  };
}

/**
 * The sends and goal waits of one batch, kept in memory and written in one statement each (a
 * statement per event cost more than the fan-out itself). Reads look here before the database.
 */
class BatchState {
  private readonly sends = new Map<string, Send>();
  private readonly goalWaits = new Map<string, Record<string, unknown>>();

  constructor(readonly trx: Knex) {}

  remember(send: Send): void {
    this.sends.set(`${send.botId}:${send.leadId}`, send);
  }

  wait(row: { bot_id: number; alias: string; lead_id: string } & Record<string, unknown>): void {
    this.goalWaits.set(`${row.bot_id}:${row.alias}:${row.lead_id}`, row);
  }

  /** The lead's latest send: of this batch, else as stored. */
  async lastSend(botId: number, leadId: string): Promise<Pick<LastSendRow, 'message_id' | 'alias' | 'channel' | 'sent_at'> | undefined> {
    const send = this.sends.get(`${botId}:${leadId}`);
    if (send) return { message_id: send.messageId, alias: send.alias, channel: send.channel, sent_at: send.sentAt };
    return this.trx('analytics_last_sends').where({ bot_id: botId, lead_id: leadId }).first();
  }

  async flush(): Promise<void> {
    await rememberSends(this.trx, [...this.sends.values()]);
    this.sends.clear();
    const waits = [...this.goalWaits.values()];
    for (let i = 0; i < waits.length; i += 100) {
      await this.trx('analytics_goal_waits').insert(waits.slice(i, i + 100)).onConflict(['bot_id', 'alias', 'lead_id']).merge();
    }
    this.goalWaits.clear();
  }
}

/** Every trace an endpoint call started belongs to that communication (the messages of the trace inherit it). */
async function rememberTraces(trx: Knex, events: EventRow[]): Promise<void> {
  const rows = events
    .filter((e) => e.type === 'endpoint.called' && e.alias)
    .map((e) => ({ trace_id: e.trace_id, bot_id: e.bot_id, alias: e.alias!, created_at: e.created_at }));
  for (let i = 0; i < rows.length; i += 200) await trx('analytics_traces').insert(rows.slice(i, i + 200)).onConflict('trace_id').ignore();
}

async function rollUp(batch: BatchState, deltas: RollupDeltas, event: EventRow, alias: string, goals: Map<string, Goal>): Promise<void> {
  const key = (channel: string): RollupKey => ({ botId: event.bot_id, hour: hourOf(event.created_at), alias, channel });
  // Calls are most events under load, and counting one needs nothing from its payload.
  if (event.type === 'endpoint.called') return deltas.add(key(''), 'calls');
  const payload = fromJson<{ channel?: string; reportedBy?: string; messageId?: string; rating?: unknown }>(event.payload);
  switch (event.type) {
    case 'message.sent': {
      const send = sendOf(event, alias);
      deltas.add(key(payload.channel ?? ''), 'sent');
      if (send) afterSend(batch, deltas, send, goals.get(alias));
      return;
    }
    case 'message.failed':
      deltas.add(key(payload.channel ?? ''), 'failed');
      // WhatsApp may report a message failed after it was sent: it is one recipient, now failed.
      if (payload.reportedBy === 'status') await unsend(batch, deltas, event, payload.messageId ?? '', key(payload.channel ?? ''));
      return;
    case 'rating.given':
      return rate(batch, deltas, event, Number(payload.rating), payload.channel ?? '');
    default:
      return;
  }
}

function afterSend(batch: BatchState, deltas: RollupDeltas, send: Send, goal: Goal | undefined): void {
  batch.remember(send);
  if (!goal) return;
  const { kind, value } = goalTarget(goal);
  deltas.add({ botId: send.botId, hour: hourOf(send.sentAt), alias: send.alias, channel: send.channel }, 'goal_sends');
  const wait = { bot_id: send.botId, alias: send.alias, lead_id: send.leadId, user_id: send.userId, channel: send.channel, goal_kind: kind, goal_value: value, sent_at: send.sentAt, expires_at: send.sentAt + goal.withinHours * 3_600_000 };
  batch.wait(wait);
}

/** Takes the recipient's send back out of its hour, when that send is still the lead's latest (else out of the failure's hour). */
async function unsend(batch: BatchState, deltas: RollupDeltas, event: EventRow, messageId: string, failureKey: RollupKey): Promise<void> {
  const last = event.lead_id ? await batch.lastSend(event.bot_id, event.lead_id) : undefined;
  deltas.add(last && last.message_id === messageId ? { ...failureKey, hour: hourOf(last.sent_at), alias: last.alias } : failureKey, 'sent', -1);
}

/** A rating counts in the hour it was given, for the communication of the person's latest send. */
async function rate(batch: BatchState, deltas: RollupDeltas, event: EventRow, rating: number, channel: string): Promise<void> {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) return;
  const last = event.lead_id ? await batch.lastSend(event.bot_id, event.lead_id) : undefined;
  const key = { botId: event.bot_id, hour: hourOf(event.created_at), alias: last?.alias ?? '', channel: last?.channel ?? channel };
  deltas.add(key, 'ratings');
  deltas.add(key, 'rating_sum', rating);
  deltas.add(key, `rating_${rating}`);
}
