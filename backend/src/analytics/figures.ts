import { ROLLUP_COLUMNS } from './counters';
import { answeredWithin, quantileSeconds, RESPONSE_EDGES_SECONDS, responseColumns } from './histogram';

/** Summed rollup columns of some rows (a window, a communication, a bucket). */
export type Totals = Record<string, number> & { sent_receipts: number };

const TOTAL_COLUMNS: readonly string[] = [...ROLLUP_COLUMNS, 'sent_receipts'];

export const emptyTotals = (): Totals => Object.fromEntries(TOTAL_COLUMNS.map((c) => [c, 0])) as Totals;

/** Adds a row's sums (times `sign`: a series subtracts the hours a daily row holds beyond its bucket). */
export function addTotals(into: Totals, row: Record<string, unknown>, sign = 1): Totals {
  for (const column of TOTAL_COLUMNS) into[column] += sign * Number(row[column] ?? 0);
  return into;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/** The figures of docs/analytics.md from summed counters. */
export function figuresOf(t: Totals, engagementHours: number) {
  const histogram = responseColumns.map((c) => t[c]);
  const engaged = answeredWithin(histogram, engagementHours);
  const distribution = { 1: t.rating_1, 2: t.rating_2, 3: t.rating_3, 4: t.rating_4, 5: t.rating_5 };
  const attempts = t.sent + t.failed + t.calls + t.webhooks;
  return {
    delivery: {
      sent: t.sent,
      failed: t.failed,
      rate: ratio(t.sent, t.sent + t.failed),
      // Only channels that report receipts (WhatsApp) count in these two.
      sentWithReceipts: t.sent_receipts,
      delivered: t.delivered,
      read: t.read,
      deliveredRate: ratio(t.delivered, t.sent_receipts),
      readRate: ratio(t.read, t.sent_receipts),
    },
    engagement: { hours: engagementHours, recipients: t.sent, engaged, rate: ratio(engaged, t.sent), answeredEver: t.answered },
    responseTime: {
      answers: t.answered,
      medianSeconds: quantileSeconds(histogram, 0.5),
      p90Seconds: quantileSeconds(histogram, 0.9),
      histogram: histogram.map((count, i) => ({ upToSeconds: RESPONSE_EDGES_SECONDS[i] ?? null, count })),
    },
    conversion: { recipients: t.goal_sends, converted: t.conversions, rate: ratio(t.conversions, t.goal_sends) },
    csat: { ratings: t.ratings, average: t.ratings > 0 ? t.rating_sum / t.ratings : null, distribution },
    errors: { messagesFailed: t.failed, webhooksExhausted: t.webhooks_exhausted, calls: t.calls, webhooks: t.webhooks, all: attempts, rate: ratio(t.failed + t.webhooks_exhausted, attempts) },
  };
}
export type Figures = ReturnType<typeof figuresOf>;
