import { fanOutEvents } from '../../src/events/fanout';
import { recordEvent } from '../../src/events/outbox';
import { handleInbound } from '../../src/inbound/inbound';
import { newTraceId } from '../../src/traces/traces';
import type { SeededLead } from '../support/delivery';
import type { ManualClock, TestBackend } from '../support/test-backend';

/**
 * Writes a bot's history the way the backend does: calls over the HTTP API, answers and taps
 * through the inbound pipeline, sends and failures as the delivery worker records them (its event
 * shape); and fans out after each step, as the events loop does within milliseconds.
 */
export function historyWriter(backend: TestBackend, clock: ManualClock, botId: number, token: string) {
  let update = 0;
  const fanOut = async () => {
    while ((await fanOutEvents(backend.ctx)) > 0);
  };
  return {
    fanOut,
    async call(alias: string, userId: string, options: { key?: string; params?: Record<string, unknown> } = {}): Promise<string> {
      const traceId = newTraceId();
      const headers: Record<string, string> = { 'x-trace-id': traceId, ...(options.key ? { 'idempotency-key': options.key } : {}) };
      const answer = await backend.request('POST', `/api/v1/bots/${botId}/call/${alias}`, { token, headers, body: { script_request_params: options.params ?? { userId } } });
      if (answer.status !== 200) throw new Error(`call ${alias}: ${answer.status} ${JSON.stringify(answer.body)}`);
      await fanOut();
      return traceId;
    },
    async outcome(traceId: string, lead: SeededLead, outcome: 'sent' | 'failed', options: { attempts?: number; messageId?: string } = {}): Promise<void> {
      const messageId = options.messageId ?? `msg_${traceId.slice(0, 12)}_${lead.chatId}`;
      const detail = { messageId, channel: 'telegram', chatId: String(lead.chatId), attempts: options.attempts ?? 1 };
      const payload = outcome === 'sent' ? { ...detail, externalId: String(++update) } : { ...detail, error: 'Bad Request: chat not found' };
      await backend.ctx.db.transaction((trx) => recordEvent(trx, backend.ctx, { botId, type: `message.${outcome}`, traceId, leadId: lead.leadId, userId: lead.userId, payload }));
      await fanOut();
    },
    async answer(lead: SeededLead, answer: { text?: string; button?: string }, updateId = String(++update)): Promise<boolean> {
      const kind = answer.button === undefined ? { kind: 'message', text: answer.text ?? 'hi' } : { kind: 'button', data: answer.button, callbackId: `cb${updateId}` };
      const result = await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId: String(lead.chatId), updateId, profile: { firstName: 'Ann' }, ...kind } as never);
      await fanOut();
      return !result.duplicate;
    },
    at(ms: number) {
      if (ms < clock.now()) throw new Error('time only moves forward');
      clock.advance(ms - clock.now());
    },
  };
}
