/**
 * The fixed buckets of the response-time histogram (upper edges in seconds; the last bucket is
 * open). Kept in every hourly rollup row as columns rt_0 … rt_16, so a percentile or an
 * engagement window over any time range is a sum of columns, never a scan of answers.
 */
export const RESPONSE_EDGES_SECONDS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 259_200, 604_800] as const;
export const RESPONSE_BUCKETS = RESPONSE_EDGES_SECONDS.length + 1;
export const responseColumns: readonly string[] = Array.from({ length: RESPONSE_BUCKETS }, (_, i) => `rt_${i}`);

/** Engagement windows a query may ask for: each is an edge of the histogram, so "answered within N hours" is exact. */
export const ENGAGEMENT_WINDOWS_HOURS = [1, 2, 3, 6, 12, 24, 48, 72, 168] as const;

/** The bucket an answer `seconds` after its send falls in: the first whose upper edge is ≥ seconds. */
export function responseBucket(seconds: number): number {
  const index = RESPONSE_EDGES_SECONDS.findIndex((edge) => seconds <= edge);
  return index === -1 ? RESPONSE_EDGES_SECONDS.length : index;
}

/** Answers within `hours` of their send: the buckets whose upper edge is at most that. */
export function answeredWithin(counts: readonly number[], hours: number): number {
  const limit = hours * 3600;
  return RESPONSE_EDGES_SECONDS.reduce((sum, edge, i) => (edge <= limit ? sum + counts[i] : sum), 0);
}

/** The columns of those buckets: their sum over rollup rows is `answeredWithin` of the rows' histogram. */
export function columnsWithin(hours: number): string[] {
  return RESPONSE_EDGES_SECONDS.flatMap((edge, i) => (edge <= hours * 3600 ? [responseColumns[i]] : []));
}

/**
 * The q-quantile (0 < q ≤ 1) as the upper edge of the bucket holding the ⌈q·n⌉-th fastest answer,
 * so "p90 = 300" reads "nine in ten answered within 5 minutes". An answer slower than the last
 * edge reports that edge (at least a week). Null when nobody answered.
 */
export function quantileSeconds(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return RESPONSE_EDGES_SECONDS[Math.min(i, RESPONSE_EDGES_SECONDS.length - 1)];
  }
  return RESPONSE_EDGES_SECONDS[RESPONSE_EDGES_SECONDS.length - 1];
}
