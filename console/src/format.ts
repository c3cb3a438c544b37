/** Times in the browser's zone with the date, as an operator reads a log. */
export function time(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export const FAILED_STATUSES = new Set(['failed', 'exhausted', 'invalid', 'error', 'rejected']);

/** A rate as a percentage with one decimal; "—" when nothing was counted (the API's null). */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)} %`;
}

/** A response time read from the histogram's bucket edges (10 s, 30 s, 1 min, … 1 week). */
export function seconds(value: number | null): string {
  if (value === null) return '—';
  if (value < 60) return `${value} s`;
  if (value < 3600) return `${value / 60} min`;
  if (value < 86_400) return `${value / 3600} h`;
  return `${value / 86_400} d`;
}
