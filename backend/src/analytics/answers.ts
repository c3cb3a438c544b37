import type { Knex } from 'knex';
import type { EventRow } from '../events/event-row';
import { type OutboxContext, recordEvent } from '../events/outbox';
import { rateClosedConversation } from '../conversations/csat';
import type { Lead } from '../identity/leads';
import { appendTraceHop } from '../traces/traces';
import type { InboundHook } from '../inbound/hooks';
import type { AnalyticsContext } from './rollup';
import { hourOf, RollupDeltas } from './counters';
import { reachGoal } from './goals';
import { responseBucket } from './histogram';
import { aliasesOfTraces, type LastSendRow, rememberSends, sendOf } from './sends';

/**
 * Button data of the rating question's buttons: `rating:1` … `rating:5` (Ask for Rating), and
 * `rating:<n>:<sessionId>` for the question after a conversation's close (conversations/csat.ts).
 */
export const RATING_BUTTON = /^rating:([1-5])(?::(ses_[A-Za-z0-9_-]{1,36}))?$/;

/**
 * Inbound hook, first in the list (before send and wait may consume the update): the first answer
 * — a text or a tap — after a lead's latest send is that send's answer, counted in the send's hour
 * with its response time; a tap may reach a communication's button goal; a tap on a rating button
 * records `rating.given`. Never consumes the update.
 */
export function countAnswers(ctx: AnalyticsContext): InboundHook {
  return async (platform, { trx, update, lead, traceId }) => {
    const now = platform.clock.now();
    const deltas = new RollupDeltas();
    await registerUnrolledSend(trx, lead.botId, lead.id);
    const last: LastSendRow | undefined = await trx('analytics_last_sends').where({ bot_id: lead.botId, lead_id: lead.id }).first();
    if (last && !last.answered && last.sent_at <= now) {
      const key = { botId: lead.botId, hour: hourOf(last.sent_at), alias: last.alias, channel: last.channel };
      deltas.add(key, 'answered');
      deltas.add(key, `rt_${responseBucket((now - last.sent_at) / 1000)}`);
      await trx('analytics_last_sends').where({ bot_id: lead.botId, lead_id: lead.id }).update({ answered: true });
    }
    if (update.kind === 'button') {
      await reachGoal(trx, deltas, { botId: lead.botId, kind: 'button', value: update.data, leadId: lead.id, userId: lead.userId, at: now });
      const rating = RATING_BUTTON.exec(update.data);
      if (rating) await recordRating(trx, platform, lead, traceId, { rating: Number(rating[1]), sessionId: rating[2], messageRef: update.messageRef ?? null });
    }
    ctx.communicationLabels.count(deltas);
    await deltas.write(trx);
    return undefined;
  };
}

/**
 * `rating.given`. A rating of a closed conversation counts once, for the conversation (its id,
 * operator and team in the payload and on the trace); a repeated tap on that question counts nothing.
 */
async function recordRating(trx: Knex, platform: OutboxContext, lead: Lead, traceId: string, given: { rating: number; sessionId?: string; messageRef: string | null }): Promise<void> {
  const conversation = given.sessionId ? await rateClosedConversation(trx, platform, lead, given.sessionId, given.rating) : null;
  if (given.sessionId && !conversation) return;
  const payload = { rating: given.rating, channel: lead.channel, messageRef: given.messageRef, ...(conversation ?? {}) };
  await recordEvent(trx, platform, { botId: lead.botId, type: 'rating.given', traceId, leadId: lead.id, userId: lead.userId, payload });
  if (conversation) {
    await appendTraceHop(trx, platform.clock, { botId: lead.botId, traceId, hop: 'rating.given', status: String(given.rating), sourceSystem: 'conversations', leadId: lead.id, userId: lead.userId, detail: payload });
  }
}

/**
 * An answer quicker than the fan-out: the lead's newest `message.sent` not yet rolled up becomes
 * its latest send now (the fan-out later counts it as sent and keeps this record).
 */
async function registerUnrolledSend(trx: Knex, botId: number, leadId: string): Promise<void> {
  const event: EventRow | undefined = await trx<EventRow>('events').whereNull('fanout').where({ bot_id: botId, lead_id: leadId, type: 'message.sent' }).orderBy('id', 'desc').first();
  if (!event) return;
  const aliases = await aliasesOfTraces(trx, [event.trace_id]);
  const send = sendOf(event, aliases.get(event.trace_id) ?? '');
  if (send) await rememberSends(trx, [send]);
}
