// The side-by-side chart: cumulative delivered messages over seconds since each run started, as an
// SVG written by hand (a few polylines; no chart library needed). Left panel: the runs of the
// common size; right panel: any larger run on its own time scale.
const COLORS = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c'];
const W = 460;
const H = 300;
const M = { left: 56, right: 16, top: 40, bottom: 44 };

const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const niceMax = (value) => {
  const step = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  return Math.ceil(value / step) * step;
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
  runs.forEach((run) => {
    const color = COLORS[run.index % COLORS.length];
    // One point per message would be 10,000 points; one per 0.5 % of the recipients is enough.
    const every = Math.max(1, Math.floor(run.recipients / 200));
    const points = [[0, 0], ...run.curve.map((s, i) => [s, i + 1]).filter(([, n], i, all) => n % every === 0 || i === all.length - 1)];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([s, n]) => `${x(s).toFixed(1)},${y(n).toFixed(1)}`).join(' ')}"/>`);
  });
  runs.forEach((run, i) => {
    const color = COLORS[run.index % COLORS.length];
    const label = `${run.run}: ${run.delivered.toLocaleString('en')} of ${run.recipients.toLocaleString('en')}, ${run.duplicates} dup., ${run.seen429} × 429`;
    parts.push(`<rect x="${x(0) + 10}" y="${M.top + 6 + i * 16}" width="10" height="3" fill="${color}"/>`);
    parts.push(`<text x="${x(0) + 24}" y="${M.top + 10 + i * 16}">${esc(label)}</text>`);
  });
  return parts.join('\n');
}

function plotDelivered(runs, { title }) {
  const indexed = runs.map((run, index) => ({ ...run, index }));
  const common = indexed.filter((r) => r.recipients === indexed[0].recipients);
  const larger = indexed.filter((r) => r.recipients !== indexed[0].recipients);
  const width = larger.length ? 2 * W : W;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 24}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${H + 16}" text-anchor="middle" fill="#555">${esc(title)}</text>`,
    panel(common, 0, `${common[0].recipients.toLocaleString('en')} recipients`),
    ...(larger.length ? [panel(larger, W, `${larger[0].recipients.toLocaleString('en')} recipients`)] : []),
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { plotDelivered };
