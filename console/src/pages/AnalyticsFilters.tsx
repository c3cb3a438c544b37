import type { FormEvent } from 'react';
import { go } from '../route';
import { localMidnight, zoneDate } from '../zone';

const HOUR_MS = 3_600_000;
const PRESETS = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS, '30d': 30 * 24 * HOUR_MS } as const;
type Preset = keyof typeof PRESETS;
export type Bucket = 'hour' | 'day' | 'week';

/** What the URL asks an analytics page for: the window, the channel and the trend's bucket. */
export interface AnalyticsFilter {
  preset: string;
  channel: string;
  bucket: Bucket;
  /** The API's window: a preset ends now (the server's now: `to` is left out), a custom one has both ends. */
  window: Record<string, string | undefined>;
}

export function filterOf(params: URLSearchParams): AnalyticsFilter {
  const preset = params.get('window') ?? '7d';
  const window = preset === 'custom' ? { from: params.get('from') ?? undefined, to: params.get('to') ?? undefined } : { from: new Date(Date.now() - (PRESETS[preset as Preset] ?? PRESETS['7d'])).toISOString() };
  return { preset, channel: params.get('channel') ?? '', bucket: (params.get('bucket') ?? (preset === '24h' ? 'hour' : 'day')) as Bucket, window };
}

/** The URL parameters of a filter, for links between the analytics pages that keep it. */
export function filterParams(params: URLSearchParams): Record<string, string | undefined> {
  return Object.fromEntries(['window', 'from', 'to', 'channel', 'bucket'].map((k) => [k, params.get(k) ?? undefined]));
}

/**
 * The filter form. A custom window is whole days of the bot's time zone: "from" is that day's
 * local midnight, "to" the midnight that ends the last day (the window includes it), whatever the
 * browser's zone. The URL keeps the two instants.
 */
export function AnalyticsFilters({ path, params, timeZone, channels }: { path: Array<string | number>; params: URLSearchParams; timeZone: string; channels: string[] }) {
  const { preset, channel, bucket } = filterOf(params);
  const from = params.get('from');
  const to = params.get('to');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const chosen = String(form.get('window'));
    const day = (name: string, days: number) => {
      const value = String(form.get(name) ?? '');
      return chosen === 'custom' && value ? new Date(localMidnight(value, timeZone, days)).toISOString() : undefined;
    };
    go(path, { window: chosen, from: day('from', 0), to: day('to', 1), channel: String(form.get('channel') ?? '') || undefined, bucket: String(form.get('bucket')) });
  };
  const listed = [...new Set([...channels, ...(channel ? [channel] : [])])];
  return (
    <form className="filters" onSubmit={submit} key={`${params.toString()} ${timeZone}`}>
      <label>
        Window
        <select name="window" defaultValue={preset}>
          <option value="24h">Last 24 hours</option>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="custom">Custom days (from – to)</option>
        </select>
      </label>
      <label>
        From
        <input type="date" name="from" defaultValue={from ? zoneDate(Date.parse(from), timeZone) : ''} aria-describedby="window-zone" />
      </label>
      <label>
        To
        <input type="date" name="to" defaultValue={to ? zoneDate(Date.parse(to) - 1, timeZone) : ''} aria-describedby="window-zone" />
      </label>
      <label>
        Channel
        <select name="channel" defaultValue={channel}>
          <option value="">All channels</option>
          {listed.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <label>
        Trend by
        <select name="bucket" defaultValue={bucket}>
          <option value="hour">Hour</option>
          <option value="day">Day</option>
          <option value="week">Week</option>
        </select>
      </label>
      <div className="filter-actions">
        <button type="submit">Apply</button>
        <span className="muted" id="window-zone">
          Days from midnight in {timeZone}
        </span>
      </div>
    </form>
  );
}
