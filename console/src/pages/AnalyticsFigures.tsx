import type { AnalyticsWindow, Figures } from '../api';
import { percent, seconds } from '../format';
import type { Bucket } from './AnalyticsFilters';
import type { TrendRow } from './TrendChart';

export interface SeriesPoint {
  start: string;
  figures: Figures;
}

const stamp = (iso: string, timeZone: string) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));

/** The window as the bot's zone reads it: a custom window of whole days shows its two midnights. */
export const windowText = (window: AnalyticsWindow) => `${stamp(window.from, window.timezone)} – ${stamp(window.to, window.timezone)} (${window.timezone})`;

function bucketLabel(start: string, bucket: Bucket, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = bucket === 'hour' ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' } : { year: 'numeric', month: '2-digit', day: '2-digit' };
  const text = new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(new Date(start));
  return bucket === 'week' ? `week of ${text}` : text;
}

export const trendRows = (series: SeriesPoint[], bucket: Bucket, timeZone: string): TrendRow[] =>
  series.map((p) => ({
    label: bucketLabel(p.start, bucket, timeZone),
    sent: p.figures.delivery.sent,
    failed: p.figures.delivery.failed,
    answered: p.figures.engagement.answeredEver,
    converted: p.figures.conversion.converted,
  }));

/**
 * The delivered step of a funnel: on channels that report receipts (WhatsApp) the receipts, on
 * the others the channel's acceptance of the message (what "sent" means there).
 */
export const delivered = (f: Figures) => f.delivery.sent - f.delivery.sentWithReceipts + f.delivery.delivered;

export const aliasName = (alias: string) => alias || '(no call: messages of their own)';

export function Tiles({ figures: f }: { figures: Figures }) {
  return (
    <div className="tiles">
      <Tile name="delivery" title="Delivery rate" value={percent(f.delivery.rate)} detail={`${f.delivery.sent} sent of ${f.delivery.sent + f.delivery.failed}`} />
      <Tile name="engagement" title="Engagement rate" value={percent(f.engagement.rate)} detail={`${f.engagement.engaged} of ${f.engagement.recipients} answered within ${f.engagement.hours} h`} />
      <Tile name="response" title="Response time" value={`${seconds(f.responseTime.medianSeconds)} · ${seconds(f.responseTime.p90Seconds)}`} detail={`median · p90 of ${f.responseTime.answers} answers`} />
      <Tile name="conversion" title="Conversion" value={percent(f.conversion.rate)} detail={`${f.conversion.converted} of ${f.conversion.recipients} reached the goal`} />
      <Tile name="csat" title="CSAT" value={f.csat.average === null ? '—' : `${f.csat.average.toFixed(2)} / 5`} detail={f.csat.ratings === 0 ? 'no ratings' : `${f.csat.ratings} ratings`} />
      <Tile name="errors" title="Error rate" value={percent(f.errors.rate)} detail={`failed: ${f.errors.messagesFailed + f.errors.webhooksExhausted} of ${f.errors.all}`} />
    </div>
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
