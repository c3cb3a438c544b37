import type { EventFacts } from './subscriptions';

/** An event as the outbox stores it. */
export interface EventRow extends EventFacts {
  id: number;
  bot_id: number;
  trace_id: string;
  lead_id: string | null;
  user_id: string | null;
  payload: string;
  created_at: number;
}
