import type { Knex } from 'knex';
import type { InboundUpdate, ImmediateReply } from '../channels/inbound-update';
import type { AppContext } from '../platform/context';
import type { Lead } from '../identity/leads';

export interface InboundHookInput {
  /** The transaction the whole update is handled in: write with it so everything commits together. */
  trx: Knex;
  update: Extract<InboundUpdate, { kind: 'message' } | { kind: 'button' }>;
  lead: Lead;
  traceId: string;
}

export interface InboundHookResult {
  /** True: the hook handled the update (e.g. the answer a send-and-wait was waiting for); no regular event is recorded. */
  consumed: boolean;
  reply?: ImmediateReply;
}

export type InboundHook = (ctx: AppContext, input: InboundHookInput) => Promise<InboundHookResult | undefined>;

/**
 * What the inbound pipeline needs beyond the platform: the hooks, run in order for every `message`
 * and `button` update before its `message.received` / `button.pressed` event is recorded; the first
 * hook that consumes the update stops the rest. The composition root lists them (send and wait's).
 */
export interface InboundContext extends AppContext {
  inboundHooks: InboundHook[];
}
