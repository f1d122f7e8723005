// The dashboard's arithmetic, without a DOM: smoothing, robust axis ranges, ETA, series alignment.
// Tested in Chromium against numpy and a Python transcription of TensorBoard (tests/browser/test_training_maths.py).

/**
 * TensorBoard's debiased exponential moving average, one point at a time (vz_line_chart2's
 * resmoothDataset): `last` starts at 0 and is divided by 1 − weight^n, so the first points are not
 * pulled towards 0. Non-finite values pass through unsmoothed and do not count.
 */
export function emaSmoother(weight) {
  let last = 0;
  let count = 0;
  return (value) => {
    if (!Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    return weight === 1 ? last : last / (1 - weight ** count);
  };
}

/** The debiased EMA of a whole series (see emaSmoother). */
export function emaDebiased(values, weight) {
  const next = emaSmoother(weight);
  return values.map(next);
}

/** The p-th percentile (0–100) of the finite values, linearly interpolated as numpy.percentile does; NaN when none. */
export function percentile(values, p) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const h = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The y range of a chart: [min, max] of the finite values, or with `ignoreOutliers` their 5th to
 * 95th percentile (TensorBoard's "ignore outliers in chart scaling"). `log`: only positive values
 * count. null when there is nothing to scale to.
 */
export function yRange(values, { ignoreOutliers = false, log = false } = {}) {
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (!usable.length) return null;
  if (ignoreOutliers) return [percentile(usable, 5), percentile(usable, 95)];
  return usable.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
}

/**
 * Steps per second over the last `window` steps and seconds left until `total` steps at that rate.
 * `steps` and `times` (seconds) are the step events' columns, in order. null while unknown.
 */
export function eta(steps, times, total, window = 50) {
  const n = steps.length;
  if (!total || n < 2) return null;
  const first = Math.max(0, n - window);
  const seconds = times[n - 1] - times[first];
  const advanced = steps[n - 1] - steps[first];
  if (!(seconds > 0) || advanced <= 0) return null;
  const rate = advanced / seconds;
  return { stepsPerSecond: rate, secondsLeft: Math.max(0, total - steps[n - 1]) / rate };
}

/** "1 h 02 min", "3 min 05 s", "42 s". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  const pad = (n) => String(n).padStart(2, "0");
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${s} s`;
}

/**
 * Several series on one x axis, as uPlot wants them: `tables` is [[xs, ys1, ys2, …], …], each xs
 * increasing; the answer is [x, …every table's ys…] over the union of the xs, null where a table
 * has no point.
 */
export function alignSeries(tables) {
  const x = [...new Set(tables.flatMap((t) => t[0]))].sort((a, b) => a - b);
  const out = [x];
  for (const [xs, ...ys] of tables) {
    const at = new Map(xs.map((v, i) => [v, i]));
    for (const column of ys) out.push(x.map((v) => (at.has(v) ? column[at.get(v)] : null)));
  }
  return out;
}
