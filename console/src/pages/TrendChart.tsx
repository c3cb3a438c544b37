import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';

// Only the parts this chart draws are registered, so the bundle carries no other chart type.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface TrendRow {
  label: string;
  sent: number;
  failed: number;
  answered: number;
  converted: number;
}

const SERIES = [
  ['sent', 'Sent', '#2456c9'],
  ['failed', 'Failed', '#b42318'],
  ['answered', 'Answered', '#b7791f'],
  ['converted', 'Reached the goal', '#067647'],
] as const;

/**
 * The trend as bars on a canvas, and the same numbers as a table below it: the table is what a
 * screen reader (and the browser test) reads; the canvas is an image whose label points to it.
 */
export function TrendChart({ rows, caption }: { rows: TrendRow[]; caption: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (!canvas.current) return undefined;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: rows.map((r) => r.label), datasets: SERIES.map(([key, label, color]) => ({ label, data: rows.map((r) => r[key]), backgroundColor: color })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    return () => chart.destroy();
  }, [rows]);

  return (
    <figure className="trend">
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${caption}: bar chart, the table below holds its numbers`} data-points={rows.length} />
      </div>
      <figcaption className="muted">{caption}</figcaption>
      <table aria-label="Trend" className="compact">
        <thead>
          <tr>
            <th>Bucket</th>
            {SERIES.map(([key, label]) => (
              <th key={key} className="num">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <td>{row.label}</td>
              {SERIES.map(([key]) => (
                <td key={key} className="num" data-field={key}>
                  {row[key]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
