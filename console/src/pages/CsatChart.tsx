import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';
import type { Figures } from '../api';
import { percent } from '../format';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const SCORES = ['1', '2', '3', '4', '5'] as const;
// From red (1) to green (5), the colours of the trend's failed and goal bars at the ends.
const COLOURS = ['#b42318', '#dc6803', '#b7791f', '#4e9a51', '#067647'];

/** The CSAT distribution (ratings 1–5) as bars, and as a table the screen reader (and the test) reads. */
export function CsatChart({ csat }: { csat: Figures['csat'] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const counts = SCORES.map((s) => csat.distribution[s]);
  const key = counts.join(',');

  useEffect(() => {
    if (!canvas.current || csat.ratings === 0) return undefined;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: SCORES.map((s) => `${s} ★`), datasets: [{ label: 'Ratings', data: key.split(',').map(Number), backgroundColor: COLOURS }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    return () => chart.destroy();
  }, [key, csat.ratings]);

  if (csat.ratings === 0) return <p className="muted">No rating in this window.</p>;
  return (
    <figure className="csat">
      <div className="chart-box small">
        <canvas ref={canvas} role="img" aria-label="CSAT distribution: bar chart, the table beside it holds its numbers" data-chart="csat" />
      </div>
      <table aria-label="CSAT distribution" className="compact">
        <thead>
          <tr>
            <th>Rating</th>
            <th className="num">Ratings</th>
            <th className="num">Share</th>
          </tr>
        </thead>
        <tbody>
          {SCORES.map((score, i) => (
            <tr key={score} data-rating={score}>
              <td>{score}</td>
              <td className="num" data-field="count">
                {counts[i]}
              </td>
              <td className="num">{percent(counts[i] / csat.ratings)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
