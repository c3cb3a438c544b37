// The side-by-side chart: people reached (cumulative) over seconds since each run started, as an
// SVG written by hand (a few polylines; no chart library needed). Left panel: the runs of the
// common size; right panel: any larger run on its own time scale.
// Redraw from a saved run: node bench/side-by-side-plot.js /tmp/side-by-side.json
const fs = require('node:fs');
const path = require('node:path');

const COLORS = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c'];
const LIMIT_PER_SECOND = 30;
const W = 460;
const H = 300;
const M = { left: 56, right: 16, top: 40, bottom: 44 };

const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
/** An axis end that splits into four round steps (1, 2, 2.5 or 5 × 10^k each). */
const niceMax = (value) => {
  const raw = Math.max(value, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw);
  return step * 4;
};

function panel(runs, offsetX, title) {
  const maxX = niceMax(Math.max(1, ...runs.map((r) => r.curve.at(-1) ?? 0)));
  const maxY = niceMax(Math.max(...runs.map((r) => r.recipients)));
  const x = (s) => offsetX + M.left + (s / maxX) * (W - M.left - M.right);
  const y = (n) => M.top + (1 - n / maxY) * (H - M.top - M.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [
    `<text x="${offsetX + W / 2}" y="24" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(maxX)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(maxY)}" stroke="#333"/>`,
    ...ticks.map((t) => `<text x="${x(t * maxX)}" y="${y(0) + 16}" text-anchor="middle">${Math.round(t * maxX)}</text>`),
    ...ticks.map((t) => `<text x="${x(0) - 6}" y="${y(t * maxY) + 4}" text-anchor="end">${Math.round(t * maxY)}</text>`),
    `<text x="${x(maxX / 2)}" y="${H - 8}" text-anchor="middle">seconds since the run started</text>`,
  ];
  const limitEnd = Math.min(maxX, maxY / LIMIT_PER_SECOND);
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(limitEnd)}" y2="${y(limitEnd * LIMIT_PER_SECOND)}" stroke="#999" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="${x(limitEnd) + 4}" y="${y(limitEnd * LIMIT_PER_SECOND) + 10}" fill="#777">Telegram's limit, 30/s</text>`);
  runs.forEach((run) => {
    const color = COLORS[run.index % COLORS.length];
    // One point per message would be 10,000 points; one per 0.5 % of the recipients is enough.
    const every = Math.max(1, Math.floor(run.recipients / 200));
    const points = [[0, 0], ...run.curve.map((s, i) => [s, i + 1]).filter(([, n], i, all) => n % every === 0 || i === all.length - 1)];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([s, n]) => `${x(s).toFixed(1)},${y(n).toFixed(1)}`).join(' ')}"/>`);
  });
  // The legend goes under the chart, clear of the curves.
  runs.forEach((run, i) => {
    const color = COLORS[run.index % COLORS.length];
    const label = `${run.run.replace(/, [\d,]+ recipients$/, '')}: reached ${run.delivered.toLocaleString('en')}, ${run.duplicates} duplicates, ${run.seen429}× 429`;
    parts.push(`<rect x="${x(0)}" y="${H + 6 + i * 15}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${x(0) + 18}" y="${H + 10 + i * 15}">${esc(label)}</text>`);
  });
  return parts.join('\n');
}

function plotDelivered(runs, { title }) {
  const indexed = runs.map((run, index) => ({ ...run, index }));
  const common = indexed.filter((r) => r.recipients === indexed[0].recipients);
  const larger = indexed.filter((r) => r.recipients !== indexed[0].recipients);
  const width = larger.length ? 2 * W : W;
  const height = H + 15 * Math.max(common.length, larger.length) + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" fill="#555">${esc(title)}</text>`,
    panel(common, 0, `${common[0].recipients.toLocaleString('en')} recipients`),
    ...(larger.length ? [panel(larger, W, `${larger[0].recipients.toLocaleString('en')} recipients`)] : []),
    '</svg>',
    '',
  ].join('\n');
}

function writePlot(runs, title) {
  const file = path.join(__dirname, '..', 'docs', 'side-by-side.svg');
  fs.writeFileSync(file, plotDelivered(runs, { title }));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

if (require.main === module) {
  const { title, runs } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  writePlot(runs, title);
}

module.exports = { writePlot };
