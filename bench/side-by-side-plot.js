// The side-by-side chart, drawn from the bench's JSON (bench/side-by-side.js --out FILE) as an SVG
// written by hand (polylines and rectangles; no chart library needed). Three panels, one per
// scenario, every variant in each: people reached over time in the broadcast; after the restart,
// who got the message once, twice or never once the user did what they could; the per-chat list
// (repeated chats and groups), entries delivered once, more than once or never.
// Redraw from saved runs: node bench/side-by-side-plot.js /tmp/side-by-side.json [more.json ...] [out.svg]
// (several files: their runs together, in the order given). As Markdown tables: add --markdown.
const fs = require('node:fs');
const path = require('node:path');

const VARIANT_COLORS = { A1: '#d62728', A2: '#ff7f0e', A3: '#9467bd', 'A3+': '#8c564b', ours: '#1f77b4' };
const OUTCOME_COLORS = { once: '#2ca02c', more: '#ff7f0e', never: '#d62728' };
const VARIANT_KEY = {
  A1: 'n8n Telegram node',
  A2: 'Loop Over Items (30) → Telegram node → Wait 1 s',
  A3: 'A2 + Retry On Fail (5 × 5 s)',
  'A3+': 'A3 + Save execution progress',
  ours: 'Call Communication → backend',
};
const LIMIT_PER_SECOND = 30;
const W = 440;
const H = 300;
const M = { left: 56, right: 16, top: 40, bottom: 44 };
const LEGEND_LINE = 15;

const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (n) => n.toLocaleString('en');

/** An axis end that splits into four round steps (1, 2, 2.5 or 5 × 10^k each). */
const niceMax = (value) => {
  const raw = Math.max(value, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw);
  return step * 4;
};

const title = (offsetX, text) => `<text x="${offsetX + W / 2}" y="24" text-anchor="middle" font-weight="bold">${esc(text)}</text>`;

function legend(offsetX, lines) {
  return lines.flatMap(({ color, text }, i) => [
    `<rect x="${offsetX + M.left}" y="${H + 6 + i * LEGEND_LINE}" width="12" height="4" fill="${color}"/>`,
    `<text x="${offsetX + M.left + 18}" y="${H + 11 + i * LEGEND_LINE}">${esc(text)}</text>`,
  ]);
}

/** Broadcast: people reached (cumulative) over seconds since the run started, with Telegram's 30/s as a line. */
function curvePanel(runs, offsetX) {
  const maxX = niceMax(Math.max(1, ...runs.map((r) => r.curve.at(-1) ?? 0)));
  const maxY = niceMax(Math.max(...runs.map((r) => r.people)));
  const x = (s) => offsetX + M.left + (s / maxX) * (W - M.left - M.right);
  const y = (n) => M.top + (1 - n / maxY) * (H - M.top - M.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const limitEnd = Math.min(maxX, maxY / LIMIT_PER_SECOND);
  const parts = [
    title(offsetX, `Broadcast to ${fmt(runs[0].people)} chats: people reached`),
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(maxX)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(maxY)}" stroke="#333"/>`,
    ...ticks.map((t) => `<text x="${x(t * maxX)}" y="${y(0) + 16}" text-anchor="middle">${Math.round(t * maxX)}</text>`),
    ...ticks.map((t) => `<text x="${x(0) - 6}" y="${y(t * maxY) + 4}" text-anchor="end">${Math.round(t * maxY)}</text>`),
    `<text x="${x(maxX / 2)}" y="${H - 8}" text-anchor="middle">seconds since the run started</text>`,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(limitEnd)}" y2="${y(limitEnd * LIMIT_PER_SECOND)}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${x(limitEnd) - 4}" y="${y(limitEnd * LIMIT_PER_SECOND) + 14}" text-anchor="end" fill="#777">Telegram's limit, 30/s</text>`,
  ];
  for (const run of runs) {
    // One point per 0.5 % of the recipients is enough for the eye.
    const every = Math.max(1, Math.floor(run.people / 200));
    const points = [[0, 0], ...run.curve.map((s, i) => [s, i + 1]).filter(([, n], i, all) => n % every === 0 || i === all.length - 1)];
    parts.push(`<polyline fill="none" stroke="${VARIANT_COLORS[run.variant]}" stroke-width="2" points="${points.map(([s, n]) => `${x(s).toFixed(1)},${y(n).toFixed(1)}`).join(' ')}"/>`);
  }
  const lines = runs.map((r) => ({ color: VARIANT_COLORS[r.variant], text: `${r.variant}: ${fmt(r.peopleReached)} reached, ${r.duplicates} dup., ${r.seen429}× 429, ${r.shareOfAllowed} % of 30/s` }));
  return { svg: [...parts, ...legend(offsetX, lines)].join('\n'), legendLines: lines.length };
}

/** One horizontal bar per variant, split into once / more than once / never. */
function barsPanel(rows, offsetX, heading, notes) {
  const total = Math.max(...rows.map((r) => r.once + r.more + r.never));
  const x = (n) => offsetX + M.left + (n / total) * (W - M.left - M.right);
  const band = (H - M.top - M.bottom) / rows.length;
  const parts = [title(offsetX, heading)];
  rows.forEach((row, i) => {
    const top = M.top + i * band + band * 0.15;
    const height = band * 0.5;
    parts.push(`<text x="${offsetX + M.left - 6}" y="${top + height / 2 + 4}" text-anchor="end" font-weight="bold" fill="${VARIANT_COLORS[row.variant]}">${esc(row.variant)}</text>`);
    let at = 0;
    for (const outcome of ['once', 'more', 'never']) {
      if (row[outcome] === 0) continue;
      parts.push(`<rect x="${x(at).toFixed(1)}" y="${top.toFixed(1)}" width="${(x(at + row[outcome]) - x(at)).toFixed(1)}" height="${height.toFixed(1)}" fill="${OUTCOME_COLORS[outcome]}"/>`);
      at += row[outcome];
    }
    parts.push(`<text x="${x(0)}" y="${(top + height + 12).toFixed(1)}" fill="#333">${esc(row.caption)}</text>`);
  });
  const lines = [
    { color: OUTCOME_COLORS.once, text: notes.once },
    { color: OUTCOME_COLORS.more, text: notes.more },
    { color: OUTCOME_COLORS.never, text: notes.never },
  ];
  return { svg: [...parts, ...legend(offsetX, lines)].join('\n'), legendLines: lines.length };
}

function restartRows(runs) {
  return runs.map((r) => ({
    variant: r.variant,
    once: r.final.once,
    more: r.final.twice + r.final.moreThanTwice,
    never: r.final.lost,
    caption: r.variant === 'ours'
      ? `killed at ${fmt(r.killAt)}: nothing to do; ${r.final.duplicates} dup. (${r.possibleDuplicates} reported)`
      : `killed at ${fmt(r.killAt)}: ${r.userActions.length > 2 ? 'sent again to all' : 'Retry'}; ${fmt(r.final.duplicates)} dup., ${fmt(r.final.lost)} never`,
  }));
}

function perChatRows(runs) {
  return runs.map((r) => ({
    variant: r.variant,
    once: r.once,
    more: r.twice + r.moreThanTwice,
    never: r.lost,
    caption: `${fmt(r.delivered)} of ${fmt(r.entries)} (groups ${r.groupDelivered} of ${r.groupEntries}), ${r.duplicates} dup., ${r.seen429}× 429, ${r.wallSeconds} s`,
  }));
}

function plot(report) {
  const { broadcast, restart, perchat } = report.results;
  const panels = [];
  if (broadcast.length) panels.push(curvePanel(broadcast, panels.length * W));
  if (restart.length) {
    panels.push(barsPanel(restartRows(restart), panels.length * W, `Killed (SIGKILL) half-way, restarted, finished`, {
      once: 'reached exactly once', more: 'reached twice (or more)', never: 'never reached',
    }));
  }
  if (perchat.length) {
    const people = perchat[0];
    panels.push(barsPanel(perChatRows(perchat), panels.length * W, `${fmt(people.entries)} messages to ${fmt(people.people)} chats (repeats, groups)`, {
      once: 'message delivered once', more: 'delivered more than once', never: 'never delivered',
    }));
  }
  const width = panels.length * W;
  const height = H + LEGEND_LINE * Math.max(...panels.map((p) => p.legendLines)) + 46;
  const variants = [...new Set([...broadcast, ...restart, ...perchat].map((r) => r.variant))];
  const key = variants.map((v) => `${v}: ${VARIANT_KEY[v]}`).join(' · ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${height - 24}" text-anchor="middle" fill="#333">${esc(key)}</text>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" fill="#555">${esc(report.title)}</text>`,
    ...panels.map((p) => p.svg),
    '</svg>',
    '',
  ].join('\n');
}

const DEFAULT_FILE = path.join(__dirname, '..', 'docs', 'side-by-side.svg');

function writePlot(report, file = DEFAULT_FILE) {
  fs.writeFileSync(file, plot(report));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

// ---- the same runs as Markdown tables (docs/reliability.md) ---------------------------------------

const row = (cells) => `| ${cells.join(' | ')} |`;
const ofAll = (n, all) => `${fmt(n)} of ${fmt(all)}`;

function broadcastTable(runs) {
  return [
    row(['variant', 'people reached', 'lost', 'duplicates', '429s seen', 'wall time', 'rate', 'of Telegram\'s 30/s', 'n8n execution']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    ...runs.map((r) => row([r.label, ofAll(r.peopleReached, r.people), fmt(r.lost), fmt(r.duplicates), fmt(r.seen429), `${r.wallSeconds} s`, `${r.perSecond}/s`, `${r.shareOfAllowed} %`, r.n8nExecution ?? `— (${r.possibleDuplicates} reported possible duplicates)`])),
  ].join('\n');
}

function restartTable(runs) {
  return [
    row(['variant', 'killed at message', 'at the kill: reached / never', 'n8n after the restart', 'what the user did', 'finally: once / twice+ / never', 'duplicates', 'wall time to finish']),
    row(['---', '---:', '---', '---', '---', '---', '---:', '---:']),
    ...runs.map((r) => row([
      r.label,
      fmt(r.killAt),
      `${fmt(r.atCrash.delivered)} / ${fmt(r.atCrash.lost)}`,
      r.variant === 'ours' ? 'the backend went on from its database' : `execution ${r.crashedExecution?.status ?? 'not listed'}; ${fmt(r.resumedSendsAfterRestart)} sends resumed`,
      r.userActions.join('; '),
      `${fmt(r.final.once)} / ${fmt(r.final.twice + r.final.moreThanTwice)} / ${fmt(r.final.lost)}`,
      `${fmt(r.final.duplicates)}${r.possibleDuplicates !== undefined ? ` (${r.possibleDuplicates} reported)` : ''}`,
      `${r.wallSeconds} s`,
    ])),
  ].join('\n');
}

function perChatTable(runs) {
  return [
    row(['variant', 'messages delivered', 'to groups', 'chats reached', 'lost', 'duplicates', '429s seen', 'wall time', 'n8n execution']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
    ...runs.map((r) => row([r.label, ofAll(r.delivered, r.entries), ofAll(r.groupDelivered, r.groupEntries), ofAll(r.peopleReached, r.people), fmt(r.lost), fmt(r.duplicates), fmt(r.seen429), `${r.wallSeconds} s`, r.n8nExecution ?? '—'])),
  ].join('\n');
}

function markdown(report) {
  const { broadcast, restart, perchat } = report.results;
  return [
    `${report.startedAt} – ${report.finishedAt}; load before: ${report.loadBefore}; after: ${report.loadAfter}`,
    ...(broadcast.length ? ['', broadcastTable(broadcast)] : []),
    ...(perchat.length ? ['', perChatTable(perchat)] : []),
    ...(restart.length ? ['', restartTable(restart)] : []),
    '',
  ].join('\n');
}

/**
 * Several runs of the bench (say, the restart scenario run again on its own) as one report: the
 * results of each scenario in the order of the files, the runs' times and loads side by side.
 */
function merged(reports) {
  if (reports.length === 1) return reports[0];
  const results = { broadcast: [], restart: [], perchat: [] };
  for (const report of reports) for (const scenario of Object.keys(results)) results[scenario].push(...report.results[scenario]);
  const loads = reports.map((r) => r.title.match(/load [\d.]+/)?.[0]).join(', ');
  return {
    title: reports[0].title.replace(/ UTC; (\d+) cores, load [\d.]+$/, ` UTC and ${reports.length - 1} later run(s); $1 cores, ${loads}`),
    startedAt: reports[0].startedAt,
    finishedAt: reports.at(-1).finishedAt,
    loadBefore: reports.map((r) => r.loadBefore).join(' | '),
    loadAfter: reports.map((r) => r.loadAfter).join(' | '),
    results,
  };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const report = merged(args.filter((a) => a.endsWith('.json')).map((file) => JSON.parse(fs.readFileSync(file, 'utf8'))));
  const out = args.find((a) => a.endsWith('.svg'));
  if (args.includes('--markdown')) process.stdout.write(markdown(report));
  else writePlot(report, out);
}

module.exports = { writePlot };
