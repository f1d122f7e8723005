// The followed run: status, progress bar, step and epoch, ETA, images/s, cancel, downloads, error.

import { byId } from "../dom.js";
import { eta, formatDuration } from "./maths.js";
import { shortId } from "./chart-kit.js";
import { TERMINAL } from "./state.js";

/** Steps the job will take: max_steps, or every batch of every epoch. */
export function totalSteps(state, job) {
  if (job.progress?.total_steps) return job.progress.total_steps;
  const c = job.config ?? {};
  if (!state.trainSize || !c.batch_size) return c.max_steps ?? null;
  const all = Math.ceil(state.trainSize / c.batch_size) * c.epochs;
  return c.max_steps ? Math.min(all, c.max_steps) : all;
}

function facts(state, job, series) {
  const total = totalSteps(state, job);
  const done = series?.step.at(-1) ?? 0;
  const parts = [`step ${done}${total ? ` of ${total}` : ""}`];
  if (series?.epoch.length) parts.push(`epoch ${series.epoch.at(-1)} of ${job.config.epochs}`);
  const ips = series?.imagesPerSecond.slice(-20); // the mean of recent steps: one step's figure jitters
  if (ips?.length) parts.push(`${Math.round(ips.reduce((a, b) => a + b, 0) / ips.length).toLocaleString("en")} images/s`);
  const left = job.status === "running" && series && eta(series.step, series.time, total);
  if (left) parts.push(`about ${formatDuration(left.secondsLeft)} left`);
  return { text: parts.join(" · "), done, total };
}

export function jobView(store, { cancel }) {
  const status = byId("job-status");
  const bar = byId("job-progress");
  const cancelButton = byId("job-cancel");
  const csv = byId("job-csv");
  const checkpoint = byId("job-checkpoint");
  cancelButton.addEventListener("click", () => cancel(store.state.focus));

  const draw = (state) => {
    const job = state.jobs[state.focus];
    byId("job-section").hidden = !job;
    const notice = byId("page-notice");
    notice.hidden = !state.notice;
    notice.textContent = state.notice ?? "";
    if (!job) return;
    byId("job-name").textContent = shortId(job.job_id);
    status.textContent = job.status;
    status.className = `status ${job.status}`;
    status.dataset.status = job.status;
    const { text, done, total } = facts(state, job, state.series[job.job_id]);
    byId("job-facts").textContent = text;
    bar.max = total || 1;
    bar.value = job.status === "succeeded" ? bar.max : Math.min(done, bar.max);
    cancelButton.disabled = TERMINAL.has(job.status);
    csv.href = `/api/jobs/${job.job_id}/metrics.csv`;
    const hasCheckpoint = (state.epochs[job.job_id]?.length ?? 0) > 0;
    checkpoint.toggleAttribute("href", hasCheckpoint);
    if (hasCheckpoint) checkpoint.href = `/api/jobs/${job.job_id}/checkpoint`;
    const error = byId("job-error");
    error.hidden = !job.error;
    error.textContent = job.error ? `The run failed: ${job.error}` : "";
  };
  store.subscribe(draw, ["jobs", "focus", "series", "epochs", "trainSize", "notice"]);
  draw(store.state);
}
