export const median = (xs) => {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (!a.length) return NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

export const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** A number for a table cell: `digits` decimals, thousands separated, or an en dash. */
export const fmt = (x, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';

/** Waymark ÷ peer, as a ratio cell. */
// A peer figure that rounds to 0 (a medians' difference below the timer's resolution) has no meaningful ratio.
export const ratio = (w, p) => (Number.isFinite(w) && Number.isFinite(p) && p >= 0.05 ? (w / p).toFixed(2) + '×' : '–');
