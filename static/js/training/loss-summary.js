// The loss chart in words, for screen readers and for anyone: the followed run's last loss, its trend
// and its best epoch, in an aria-live="polite" region. Streams update the chart many times a second;
// the words change at most every few seconds (and at once when the run ends), so a reader is not
// interrupted by every step.

import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { emaDebiased } from "./maths.js";
import { fmt, shortId } from "./chart-kit.js";

const QUIET_MS = 4000;

/** "falling", "rising" or "flat": the smoothed loss now against a fifth of the run ago (±2 %). */
export function trendOf(smoothed) {
  if (smoothed.length < 5) return null;
  const [then, now] = [smoothed[Math.floor(smoothed.length * 0.8) - 1], smoothed.at(-1)];
  const change = (now - then) / Math.abs(then || 1);
  return change < -0.02 ? "falling" : change > 0.02 ? "rising" : "flat";
}

/** The epoch with the lowest test loss (else the lowest mean training loss), as { epoch, loss, test }. */
export function bestEpoch(epochs, series) {
  const tested = (epochs ?? []).filter((r) => Number.isFinite(r.test_loss));
  if (tested.length) {
    const best = tested.reduce((a, r) => (r.test_loss < a.test_loss ? r : a));
    return { epoch: best.epoch, loss: best.test_loss, test: true };
  }
  const sums = new Map();
  series.epoch.forEach((e, i) => { const [s, n] = sums.get(e) ?? [0, 0]; sums.set(e, [s + series.loss[i], n + 1]); });
  let best = null;
  for (const [epoch, [s, n]] of sums) if (!best || s / n < best.loss) best = { epoch, loss: s / n, test: false };
  return best;
}

/** The words for run `id`: last loss, trend, best epoch. */
export function lossSummary(id, series, epochs, smoothing) {
  if (!series?.step.length) return t("No loss yet.");
  const smoothed = emaDebiased(series.loss, smoothing);
  const trend = trendOf(smoothed);
  const parts = [t("Run {id}, step {step}: loss {loss} (smoothed {smoothed}).", {
    id: shortId(id), step: series.step.at(-1), loss: fmt(series.loss.at(-1)), smoothed: fmt(smoothed.at(-1)) })];
  if (trend) parts.push({ falling: t("Trend: falling."), rising: t("Trend: rising."), flat: t("Trend: flat.") }[trend]);
  const best = bestEpoch(epochs, series);
  if (best) parts.push(best.test ? t("Best epoch: {epoch} (test loss {loss}).", { epoch: best.epoch, loss: fmt(best.loss) })
    : t("Best epoch so far: {epoch} (mean training loss {loss}).", { epoch: best.epoch, loss: fmt(best.loss) }));
  return parts.join(" ");
}

/** Keeps #loss-summary in words for the followed run (else the first shown), politely. */
export function lossSummaryView(store) {
  const box = byId("loss-summary");
  let said = 0;
  let timer = null;
  const say = () => {
    timer = null;
    const s = store.state;
    const id = s.shown.includes(s.focus) ? s.focus : s.shown.find((j) => s.series[j]?.step.length);
    const text = id ? lossSummary(id, s.series[id], s.epochs[id], s.view.smoothing) : "";
    if (text !== box.textContent) { box.textContent = text; said = Date.now(); }
  };
  store.subscribe(() => {
    // Only a run still training is held to the quiet interval: a finished run's history, read in one go
    // when the page opens, is said as soon as it is in, and so are a run's first numbers. A run that
    // ends while its words wait for the interval is said at once (the wait is dropped).
    const s = store.state;
    const id = s.shown.includes(s.focus) ? s.focus : s.shown.find((j) => s.series[j]?.step.length);
    const training = ["queued", "running"].includes(s.jobs[id]?.status);
    const first = !said || box.textContent === t("No loss yet.");
    const wait = first || !training ? 0 : Math.max(0, said + QUIET_MS - Date.now());
    if (wait === 0) {
      clearTimeout(timer);
      say();
    } else if (!timer) timer = setTimeout(say, wait);
  }, ["series", "epochs", "shown", "focus", "view", "jobs"]);
  say();
}
