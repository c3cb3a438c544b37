import { Counter, Histogram } from 'prom-client';
import type { SendOutcome } from '../channels/channel';
import type { ChannelName } from '../channels/inbound-update';
import { metricsRegistry } from '../platform/metrics/metrics';
import type { RowOutcome } from './outcomes';

// The metrics live in the process's one registry (a metric name registers once per process), not
// in a runtime: several runtimes of one process (tests) add to the same series.
const sentTotal = new Counter({ name: 'metabot_messages_sent_total', help: 'Messages delivered to a channel', labelNames: ['channel'], registers: [metricsRegistry] });
const failedTotal = new Counter({ name: 'metabot_messages_failed_total', help: 'Messages given up on, by kind', labelNames: ['channel', 'kind'], registers: [metricsRegistry] });
const retriesTotal = new Counter({ name: 'metabot_message_retries_total', help: 'Sends retried after a transient error', labelNames: ['channel'], registers: [metricsRegistry] });
const rateLimitedTotal = new Counter({ name: 'metabot_channel_rate_limited_total', help: '429 answers from a channel (the bot pauses for retry_after)', labelNames: ['channel'], registers: [metricsRegistry] });
const sendSeconds = new Histogram({ name: 'metabot_channel_send_seconds', help: 'Duration of one channel send call', labelNames: ['channel'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [metricsRegistry] });

/** Counts one send call: its duration, the channel's answer and what became of the row. */
export function countSend(channel: ChannelName, result: SendOutcome, outcome: RowOutcome, latencyMs: number): void {
  sendSeconds.observe({ channel }, latencyMs / 1000);
  if (result.kind === 'rateLimited') rateLimitedTotal.inc({ channel });
  if (outcome.kind === 'sent') sentTotal.inc({ channel });
  if (outcome.kind === 'failed') failedTotal.inc({ channel, kind: result.kind });
  if (outcome.kind === 'retry') retriesTotal.inc({ channel });
}
