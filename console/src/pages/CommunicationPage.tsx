import { useEffect, useState } from 'react';
import { type AnalyticsWindow, api, type Figures, type HeatmapCell, query } from '../api';
import { Failure } from '../App';
import { percent } from '../format';
import { href } from '../route';
import { AnalyticsFilters, type Bucket, filterOf, filterParams } from './AnalyticsFilters';
import { delivered, type SeriesPoint, Tiles, trendRows, windowText } from './AnalyticsFigures';
import { CsatChart } from './CsatChart';
import { HeatMap } from './HeatMap';
import { TrendChart } from './TrendChart';

interface Loaded {
  window: AnalyticsWindow;
  figures: Figures;
  channels: string[];
  bucket: Bucket;
  series: SeriesPoint[];
  heatmap: { engagementHours: number; cells: HeatmapCell[] };
}

/** One communication (the alias whose calls started its traces): its figures, funnel, trend, heat map and ratings. */
export function CommunicationPage({ botId, alias, params, timeZone }: { botId: number; alias: string; params: URLSearchParams; timeZone: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = params.toString();

  useEffect(() => {
    setError(null);
    const { window, channel, bucket } = filterOf(new URLSearchParams(search));
    const filter = { ...window, alias, channel: channel || undefined };
    const base = `/bots/${botId}/analytics`;
    Promise.all([
      api<{ window: AnalyticsWindow; figures: Figures }>('GET', `${base}${query(filter)}`),
      api<{ channels: Array<{ channel: string }> }>('GET', `${base}/channels${query({ ...filter, channel: undefined })}`),
      api<{ bucket: Bucket; series: SeriesPoint[] }>('GET', `${base}/series${query({ ...filter, bucket })}`),
      api<Loaded['heatmap']>('GET', `${base}/heatmap${query(filter)}`),
    ]).then(
      ([one, channels, series, heatmap]) => setLoaded({ window: one.window, figures: one.figures, channels: channels.channels.map((c) => c.channel), bucket: series.bucket, series: series.series, heatmap }),
      setError,
    );
  }, [botId, alias, search]);

  const zone = loaded?.window.timezone ?? timeZone;
  return (
    <section aria-labelledby="communication-title">
      <p>
        <a href={href(['bots', botId, 'analytics'], filterParams(params))}>← Analytics</a>
      </p>
      <h1 id="communication-title">
        Communication <span className="mono">{alias}</span>
      </h1>
      <AnalyticsFilters path={['bots', botId, 'analytics', 'communications', alias]} params={params} timeZone={zone} channels={loaded?.channels ?? []} />
      <Failure error={error} />
      {loaded && (
        <>
          <p className="muted" data-field="window">
            {windowText(loaded.window)}
          </p>
          <Tiles figures={loaded.figures} />
          <h2>Funnel</h2>
          <CommunicationFunnel figures={loaded.figures} />
          <h2>Trend</h2>
          {loaded.series.length === 0 ? <p className="muted">Nothing happened in this window.</p> : <TrendChart rows={trendRows(loaded.series, loaded.bucket, zone)} caption={`Per ${loaded.bucket}, in ${zone}`} />}
          <h2>When its sends are answered</h2>
          <HeatMap cells={loaded.heatmap.cells} timeZone={zone} engagementHours={loaded.heatmap.engagementHours} />
          <h2>CSAT distribution</h2>
          <CsatChart csat={loaded.figures.csat} />
        </>
      )}
    </section>
  );
}

/**
 * Event → communication → answer → goal: the CRM's calls of the alias, the recipients its
 * messages were sent to, those who answered, those who reached the goal. Each step's share is of
 * the step before (the goal's of the recipients sent to while the communication had a goal).
 */
function CommunicationFunnel({ figures: f }: { figures: Figures }) {
  const calls = f.errors.calls;
  const sent = f.delivery.sent;
  const steps = [
    { step: 'events', title: 'Events (calls)', count: calls, share: '', detail: 'calls of the alias the CRM made' },
    { step: 'sent', title: 'Messages sent', count: sent, share: calls > 0 ? `${(sent / calls).toFixed(2)} per call` : '', detail: `${delivered(f)} delivered, ${f.delivery.failed} failed` },
    { step: 'answered', title: 'Answered', count: f.engagement.answeredEver, share: percent(sent > 0 ? f.engagement.answeredEver / sent : null), detail: `${f.engagement.engaged} within ${f.engagement.hours} h` },
    {
      step: 'goal',
      title: 'Reached the goal',
      count: f.conversion.recipients === 0 ? null : f.conversion.converted,
      share: percent(f.conversion.rate),
      detail: f.conversion.recipients === 0 ? 'no goal' : `of ${f.conversion.recipients} sent while it had a goal`,
    },
  ];
  const top = Math.max(1, calls, sent);
  return (
    <ol aria-label="Funnel" className="steps">
      {steps.map(({ step, title, count, share, detail }) => (
        <li key={step} data-step={step}>
          <span className="step-title">{title}</span>
          <strong className="step-count">{count === null ? '—' : count}</strong>
          <span className="muted">{[count === null ? '' : share, detail].filter(Boolean).join(' · ')}</span>
          {count !== null && <meter min={0} max={top} value={count} aria-label={`${title}: ${count}`} />}
        </li>
      ))}
    </ol>
  );
}
