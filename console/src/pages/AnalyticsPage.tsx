import { useEffect, useState } from 'react';
import { type AnalyticsWindow, api, type Figures, type HeatmapCell, query } from '../api';
import { Failure } from '../App';
import { percent } from '../format';
import { href } from '../route';
import { AnalyticsFilters, type Bucket, filterOf, filterParams } from './AnalyticsFilters';
import { aliasName, delivered, type SeriesPoint, Tiles, trendRows, windowText } from './AnalyticsFigures';
import { CsatChart } from './CsatChart';
import { HeatMap } from './HeatMap';
import { TrendChart } from './TrendChart';

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
  series: SeriesPoint[];
  heatmap: { engagementHours: number; cells: HeatmapCell[] };
}

/** Best converting first; communications without a goal (no rate) last, by sends. */
function byConversion(a: Communication, b: Communication): number {
  const ra = a.figures.conversion.rate ?? -1;
  const rb = b.figures.conversion.rate ?? -1;
  return rb - ra || b.figures.conversion.converted - a.figures.conversion.converted || b.figures.delivery.sent - a.figures.delivery.sent;
}

export function AnalyticsPage({ botId, params, canExport, timeZone }: { botId: number; params: URLSearchParams; canExport: boolean; timeZone: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = params.toString();
  const { channel } = filterOf(params);

  useEffect(() => {
    setError(null);
    const { window, channel: only, bucket } = filterOf(new URLSearchParams(search));
    const filter = { ...window, channel: only || undefined };
    const base = `/bots/${botId}/analytics`;
    Promise.all([
      api<{ window: AnalyticsWindow; figures: Figures }>('GET', `${base}${query(filter)}`),
      api<{ communications: Communication[] }>('GET', `${base}/communications${query(filter)}`),
      api<{ channels: Array<{ channel: string }> }>('GET', `${base}/channels${query({ ...filter, channel: undefined })}`),
      api<{ bucket: Bucket; series: SeriesPoint[] }>('GET', `${base}/series${query({ ...filter, bucket })}`),
      api<Loaded['heatmap']>('GET', `${base}/heatmap${query(filter)}`),
    ]).then(
      ([bot, communications, channels, series, heatmap]) =>
        setLoaded({ window: bot.window, figures: bot.figures, communications: communications.communications, channels: channels.channels.map((c) => c.channel), bucket: series.bucket, series: series.series, heatmap }),
      setError,
    );
  }, [botId, search]);

  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Analytics</h1>
      <AnalyticsFilters path={['bots', botId, 'analytics']} params={params} timeZone={loaded?.window.timezone ?? timeZone} channels={loaded?.channels ?? []} />
      <Failure error={error} />
      {loaded && <Report botId={botId} loaded={loaded} channel={channel} canExport={canExport} params={params} />}
    </section>
  );
}

function Report({ botId, loaded, channel, canExport, params }: { botId: number; loaded: Loaded; channel: string; canExport: boolean; params: URLSearchParams }) {
  const { window, figures: f } = loaded;
  const zone = window.timezone;
  const trend = trendRows(loaded.series, loaded.bucket, zone);
  const link = (alias: string) => href(['bots', botId, 'analytics', 'communications', alias], filterParams(params));
  return (
    <>
      <p className="muted" data-field="window">
        {windowText(window)}
        {channel ? ` · ${channel} only` : ' · every channel'}
      </p>
      <Tiles figures={f} />

      <h2>Trend</h2>
      {trend.length === 0 ? <p className="muted">Nothing happened in this window.</p> : <TrendChart rows={trend} caption={`Per ${loaded.bucket}, in ${zone}`} />}

      <h2>Communications by conversion</h2>
      <Ranking communications={[...loaded.communications].sort(byConversion)} link={link} />

      <h2>Funnel per communication</h2>
      <Funnel communications={loaded.communications.filter((c) => c.figures.delivery.sent + c.figures.delivery.failed > 0)} />

      <h2>When sends are answered</h2>
      <HeatMap cells={loaded.heatmap.cells} timeZone={zone} engagementHours={loaded.heatmap.engagementHours} />

      <h2>CSAT distribution</h2>
      <CsatChart csat={f.csat} />

      {canExport && <Export botId={botId} window={window} />}
    </>
  );
}

/** A communication's name links to its page (not the "" one: no call started it, so it has no calls, goal or page of its own). */
function Ranking({ communications, link }: { communications: Communication[]; link: (alias: string) => string }) {
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
            <td className="mono">{alias ? <a href={link(alias)}>{alias}</a> : aliasName(alias)}</td>
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
