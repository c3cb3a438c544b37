import { useState } from 'react';
import type { HeatmapCell } from '../api';
import { percent } from '../format';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const LEVELS = 5;
type Measure = 'engagement' | 'conversion' | 'sent';
const MEASURES: Record<Measure, { label: string; value: (c: HeatmapCell) => number | null; text: (c: HeatmapCell) => string }> = {
  engagement: { label: 'Engagement rate', value: (c) => c.engagementRate, text: (c) => `${percent(c.engagementRate)} of ${c.sent} sends answered` },
  conversion: { label: 'Conversion', value: (c) => c.conversionRate, text: (c) => `${percent(c.conversionRate)} of ${c.goalRecipients} sends with a goal reached it` },
  sent: { label: 'Sends', value: (c) => (c.sent > 0 ? c.sent : null), text: (c) => `${c.sent} sends` },
};
const hourText = (h: number) => `${String(h).padStart(2, '0')}:00`;

/**
 * The cells worth comparing: a rate over a handful of sends says little, so the best cell is
 * chosen among those with at least the median number of sends of the cells that have any.
 */
function best(cells: HeatmapCell[], measure: Measure): HeatmapCell | undefined {
  const sends = cells.filter((c) => c.sent > 0).map((c) => c.sent).sort((a, b) => a - b);
  if (sends.length === 0) return undefined;
  const median = sends[Math.floor((sends.length - 1) / 2)];
  const value = MEASURES[measure].value;
  return cells.filter((c) => c.sent >= median && value(c) !== null).sort((a, b) => (value(b) ?? 0) - (value(a) ?? 0) || b.sent - a.sent)[0];
}

/**
 * Sends by weekday × hour of the bot's zone, as a table whose cells are shaded by the chosen
 * measure (classes, not inline styles: the console's CSP has no 'unsafe-inline'). The numbers are
 * the cells' text, so the table is its own text alternative; the sentence above it names the best slot.
 */
export function HeatMap({ cells, timeZone, engagementHours }: { cells: HeatmapCell[]; timeZone: string; engagementHours: number }) {
  const [measure, setMeasure] = useState<Measure>('engagement');
  const { label, value, text } = MEASURES[measure];
  const values = cells.map(value).filter((v): v is number => v !== null);
  const max = Math.max(0, ...values);
  const level = (c: HeatmapCell) => {
    const v = value(c);
    return v === null ? 'none' : String(max === 0 ? 0 : Math.ceil((v / max) * LEVELS));
  };
  const top = best(cells, measure);
  const at = (weekday: number, hour: number) => cells[(weekday - 1) * 24 + hour];
  if (!cells.some((c) => c.sent > 0)) return <p className="muted">No message was sent in this window.</p>;
  return (
    <figure className="heatmap">
      <p className="heatmap-head">
        <label>
          Shade by{' '}
          <select aria-label="Shade the heat map by" value={measure} onChange={(e) => setMeasure(e.target.value as Measure)}>
            {Object.entries(MEASURES).map(([key, m]) => (
              <option key={key} value={key}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <span data-field="best">{top ? `Best slot: ${WEEKDAYS[top.weekday - 1]} ${hourText(top.hour)} — ${text(top)}.` : ''}</span>
      </p>
      <table aria-label="Heat map" className="heatmap-grid">
        <caption className="muted">
          {label} of the sends made in each hour, by weekday, in {timeZone}
          {measure === 'engagement' ? ` (answered within ${engagementHours} h)` : ''}; empty: nothing sent
        </caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {HOURS.map((h) => (
              <th key={h} scope="col" className="num">
                {String(h).padStart(2, '0')}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {WEEKDAYS.map((day, d) => (
            <tr key={day} data-weekday={d + 1}>
              <th scope="row">{day}</th>
              {HOURS.map((h) => {
                const cell = at(d + 1, h);
                const v = value(cell);
                return (
                  <td key={h} className={`heat heat-${level(cell)}`} data-weekday={d + 1} data-hour={h} data-sent={cell.sent} title={`${day} ${hourText(h)}: ${text(cell)}`}>
                    {v === null ? '' : measure === 'sent' ? v : Math.round(v * 100)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted legend">{measure === 'sent' ? 'Cells: sends.' : 'Cells: percent.'} Darker is higher, up to the busiest or best cell of the window.</p>
    </figure>
  );
}
