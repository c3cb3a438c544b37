import { type FormEvent, useEffect, useState } from 'react';
import { type AnalyticsWindow, api, type Figures, query } from '../api';
import { Failure } from '../App';
import { percent, seconds } from '../format';
import { go } from '../route';
import { type TrendRow, TrendChart } from './TrendChart';

const HOUR_MS = 3_600_000;
const PRESETS = { '24h': 24 * HOUR_MS, '7d': 7 * 24 * HOUR_MS, '30d': 30 * 24 * HOUR_MS } as const;
type Preset = keyof typeof PRESETS;
type Bucket = 'hour' | 'day' | 'week';

interface Communication {
  alias: string;
  figures: Figures;
}
interface Loaded {
  window: AnalyticsWindow;
  figures: Figures;
  communications: Communication[];
  channels: string[];
  bucket: Bucket;
  series: Array<{ start: string; figures: Figures }>;
}

/** `<input type="datetime-local">` works in the browser's zone; the API in ISO instants. */
const toInput = (iso: string | null) => (iso ? new Date(Date.parse(iso) - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16) : '');
const fromInput = (value: string) => (value ? new Date(value).toISOString() : undefined);
const aliasName = (alias: string) => alias || '(no call: messages of their own)';

/** The window the URL asks for: a preset ends now (the server's now: `to` is left out), a custom one has both ends. */
function windowQuery(params: URLSearchParams): Record<string, string | undefined> {
  const preset = (params.get('window') ?? '7d') as Preset | 'custom';
  if (preset === 'custom') return { from: params.get('from') ?? undefined, to: params.get('to') ?? undefined };
  return { from: new Date(Date.now() - (PRESETS[preset] ?? PRESETS['7d'])).toISOString() };
}

function bucketLabel(start: string, bucket: Bucket, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = bucket === 'hour' ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' } : { year: 'numeric', month: '2-digit', day: '2-digit' };
  const text = new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(new Date(start));
  return bucket === 'week' ? `week of ${text}` : text;
}

/**
 * The delivered step of the funnel: on channels that report receipts (WhatsApp) the receipts, on
 * the others the channel's acceptance of the message (what "sent" means there).
 */
const delivered = (f: Figures) => f.delivery.sent - f.delivery.sentWithReceipts + f.delivery.delivered;

/** Best converting first; communications without a goal (no rate) last, by sends. */
function byConversion(a: Communication, b: Communication): number {
  const ra = a.figures.conversion.rate ?? -1;
  const rb = b.figures.conversion.rate ?? -1;
  return rb - ra || b.figures.conversion.converted - a.figures.conversion.converted || b.figures.delivery.sent - a.figures.delivery.sent;
}

export function AnalyticsPage({ botId, params, canExport }: { botId: number; params: URLSearchParams; canExport: boolean }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = params.toString();
  const preset = params.get('window') ?? '7d';
  const channel = params.get('channel') ?? '';
  const bucket = (params.get('bucket') ?? (preset === '24h' ? 'hour' : 'day')) as Bucket;

  useEffect(() => {
    setError(null);
    const filter = { ...windowQuery(new URLSearchParams(search)), channel: channel || undefined };
    const base = `/bots/${botId}/analytics`;
    Promise.all([
      api<{ window: AnalyticsWindow; figures: Figures }>('GET', `${base}${query(filter)}`),
      api<{ communications: Communication[] }>('GET', `${base}/communications${query(filter)}`),
      api<{ channels: Array<{ channel: string }> }>('GET', `${base}/channels${query({ ...filter, channel: undefined })}`),
      api<{ bucket: Bucket; series: Loaded['series'] }>('GET', `${base}/series${query({ ...filter, bucket })}`),
    ]).then(
      ([bot, communications, channels, series]) =>
        setLoaded({ window: bot.window, figures: bot.figures, communications: communications.communications, channels: channels.channels.map((c) => c.channel), bucket: series.bucket, series: series.series }),
      setError,
    );
  }, [botId, search, channel, bucket]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const chosen = String(form.get('window'));
    const custom = chosen === 'custom';
    go(['bots', botId, 'analytics'], {
      window: chosen,
      from: custom ? fromInput(String(form.get('from') ?? '')) : undefined,
      to: custom ? fromInput(String(form.get('to') ?? '')) : undefined,
      channel: String(form.get('channel') ?? '') || undefined,
      bucket: String(form.get('bucket')),
    });
  };

  const channels = loaded ? [...new Set([...loaded.channels, ...(channel ? [channel] : [])])] : [];
  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Analytics</h1>
      <form className="filters" onSubmit={submit} key={search}>
        <label>
          Window
          <select name="window" defaultValue={preset}>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
            <option value="custom">Custom (from – to)</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" name="from" defaultValue={toInput(params.get('from'))} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" defaultValue={toInput(params.get('to'))} />
        </label>
        <label>
          Channel
          <select name="channel" defaultValue={channel}>
            <option value="">All channels</option>
            {channels.map((c) => (
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
        </div>
      </form>
      <Failure error={error} />
      {loaded && <Report botId={botId} loaded={loaded} channel={channel} canExport={canExport} />}
    </section>
  );
}

function Report({ botId, loaded, channel, canExport }: { botId: number; loaded: Loaded; channel: string; canExport: boolean }) {
  const { window, figures: f } = loaded;
  const zone = window.timezone;
  const when = `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(window.from))} – ${new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(window.to))}`;
  const trend: TrendRow[] = loaded.series.map((p) => ({
    label: bucketLabel(p.start, loaded.bucket, zone),
    sent: p.figures.delivery.sent,
    failed: p.figures.delivery.failed,
    answered: p.figures.engagement.answeredEver,
    converted: p.figures.conversion.converted,
  }));
  return (
    <>
      <p className="muted" data-field="window">
        {when} ({zone}){channel ? ` · ${channel} only` : ' · every channel'}
      </p>
      <div className="tiles">
        <Tile name="delivery" title="Delivery rate" value={percent(f.delivery.rate)} detail={`${f.delivery.sent} sent of ${f.delivery.sent + f.delivery.failed}`} />
        <Tile name="engagement" title="Engagement rate" value={percent(f.engagement.rate)} detail={`${f.engagement.engaged} of ${f.engagement.recipients} answered within ${f.engagement.hours} h`} />
        <Tile name="response" title="Response time" value={`${seconds(f.responseTime.medianSeconds)} · ${seconds(f.responseTime.p90Seconds)}`} detail={`median · p90 of ${f.responseTime.answers} answers`} />
        <Tile name="conversion" title="Conversion" value={percent(f.conversion.rate)} detail={`${f.conversion.converted} of ${f.conversion.recipients} reached the goal`} />
        <Tile name="csat" title="CSAT" value={f.csat.average === null ? '—' : `${f.csat.average.toFixed(2)} / 5`} detail={f.csat.ratings === 0 ? 'no ratings' : `${f.csat.ratings} ratings`} />
        <Tile name="errors" title="Error rate" value={percent(f.errors.rate)} detail={`failed: ${f.errors.messagesFailed + f.errors.webhooksExhausted} of ${f.errors.all}`} />
      </div>

      <h2>Trend</h2>
      {trend.length === 0 ? <p className="muted">Nothing happened in this window.</p> : <TrendChart rows={trend} caption={`Per ${loaded.bucket}, in ${zone}`} />}

      <h2>Communications by conversion</h2>
      <Ranking communications={[...loaded.communications].sort(byConversion)} />

      <h2>Funnel per communication</h2>
      <Funnel communications={loaded.communications.filter((c) => c.figures.delivery.sent + c.figures.delivery.failed > 0)} />

      {canExport && <Export botId={botId} window={window} />}
    </>
  );
}

function Tile({ name, title, value, detail }: { name: string; title: string; value: string; detail: string }) {
  return (
    <div className="tile" data-figure={name}>
      <span className="tile-title">{title}</span>
      <strong className="tile-value">{value}</strong>
      <span className="muted tile-detail">{detail}</span>
    </div>
  );
}

function Ranking({ communications }: { communications: Communication[] }) {
  if (communications.length === 0) return <p className="muted">No communication in this window.</p>;
  return (
    <table aria-label="Communications by conversion">
      <thead>
        <tr>
          <th>Communication</th>
          <th className="num">Conversion</th>
          <th className="num">Reached the goal</th>
          <th className="num">Recipients with a goal</th>
          <th className="num">Delivery rate</th>
          <th className="num">Engagement rate</th>
          <th className="num">Calls</th>
        </tr>
      </thead>
      <tbody>
        {communications.map(({ alias, figures: f }) => (
          <tr key={alias} data-alias={alias}>
            <td className="mono">{aliasName(alias)}</td>
            <td className="num" data-field="conversion">{f.conversion.recipients === 0 ? 'no goal' : percent(f.conversion.rate)}</td>
            <td className="num" data-field="converted">{f.conversion.converted}</td>
            <td className="num" data-field="goal-recipients">{f.conversion.recipients}</td>
            <td className="num" data-field="delivery">{percent(f.delivery.rate)}</td>
            <td className="num" data-field="engagement">{percent(f.engagement.rate)}</td>
            <td className="num" data-field="calls">{f.errors.calls}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Sent (every recipient whose delivery ended) → delivered → answered → goal, each as a share of sent. */
function Funnel({ communications }: { communications: Communication[] }) {
  if (communications.length === 0) return <p className="muted">No message was sent in this window.</p>;
  return (
    <table aria-label="Funnel" className="funnel">
      <thead>
        <tr>
          <th>Communication</th>
          <th>Sent</th>
          <th>Delivered</th>
          <th>Answered</th>
          <th>Goal</th>
        </tr>
      </thead>
      <tbody>
        {communications.map(({ alias, figures: f }) => {
          const sent = f.delivery.sent + f.delivery.failed;
          const steps = [
            ['sent', sent],
            ['delivered', delivered(f)],
            ['answered', f.engagement.answeredEver],
            ['goal', f.conversion.recipients === 0 ? null : f.conversion.converted],
          ] as const;
          return (
            <tr key={alias} data-alias={alias}>
              <td className="mono">{aliasName(alias)}</td>
              {steps.map(([step, count]) => (
                <td key={step} data-field={step}>
                  {count === null ? (
                    <span className="muted">no goal</span>
                  ) : (
                    <>
                      <span className="step-count">{count}</span> <span className="muted">{percent(count / sent)}</span>
                      <meter min={0} max={sent} value={count} aria-label={`${step}: ${count} of ${sent}`} />
                    </>
                  )}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Export({ botId, window }: { botId: number; window: AnalyticsWindow }) {
  const [kind, setKind] = useState('messages');
  const link = (format: 'csv' | 'ndjson') => `/console/api/bots/${botId}/analytics/export${query({ kind, format, from: window.from, to: window.to })}`;
  return (
    <>
      <h2>Export for BI</h2>
      <p className="export">
        <label>
          Rows{' '}
          <select aria-label="Rows to export" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="messages">Messages (one per recipient)</option>
            <option value="events">Events</option>
            <option value="traces">Trace hops</option>
          </select>
        </label>
        <a className="button" href={link('csv')} download>
          Download CSV
        </a>
        <a className="button" href={link('ndjson')} download>
          Download NDJSON
        </a>
        <span className="muted">The window above, streamed.</span>
      </p>
    </>
  );
}
