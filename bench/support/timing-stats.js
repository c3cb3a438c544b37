// Median, p95 and max of a list of timings, by nearest rank: the ⌈q·n⌉-th smallest, so the p95 of
// 20 rounds is the 19th and not the maximum (the p95 of fewer than 20 rounds is the maximum).
function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => Number(sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)].toFixed(2));
  return { medianMs: at(0.5), p95Ms: at(0.95), maxMs: at(1) };
}

module.exports = { stats };
