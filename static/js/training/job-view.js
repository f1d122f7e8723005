// The followed run: status, progress bar, step and epoch, ETA, images/s, cancel, downloads, error.

import { byId } from "../dom.js";
import { eta, formatDuration } from "./maths.js";
import { shortId } from "./chart-kit.js";
import { chosenEpoch, TERMINAL } from "./state.js";
import { t } from "../i18n.js";
import { statusText } from "./status.js";
import { thousands } from "../numbers.js";

function facts(job, series) {
  // The worker says how many steps it will take once it has the data: in its `running` status
  // event (kept on the job by the stream) and in the list's progress.
  const total = job.total_steps ?? job.progress?.total_steps ?? null;
  const done = series?.step.at(-1) ?? 0;
  const parts = [total ? t("step {done} of {total}", { done, total }) : t("step {done}", { done })];
  if (series?.epoch.length) parts.push(t("epoch {n} of {total}", { n: series.epoch.at(-1), total: job.config.epochs }));
  const ips = series?.imagesPerSecond.slice(-20); // the mean of recent steps: one step's figure jitters
  if (ips?.length) parts.push(t("{n} images/s", { n: thousands(ips.reduce((a, b) => a + b, 0) / ips.length) }));
  const left = job.status === "running" && series && eta(series.step, series.time, total);
  if (left) parts.push(t("about {time} left", { time: formatDuration(left.secondsLeft) }));
  return { text: parts.join(" · "), done, total };
}

export function jobView(store, actions, { cancel }) {
  const status = byId("job-status");
  const bar = byId("job-progress");
  const cancelButton = byId("job-cancel");
  const csv = byId("job-csv");
  const checkpoint = byId("job-checkpoint");
  cancelButton.addEventListener("click", () => cancel(store.state.focus));
  byId("job-reuse").addEventListener("click", () => {
    actions.setDraft(structuredClone(store.state.jobs[store.state.focus].config));
    byId("train-form-section").scrollIntoView({ block: "start" });
  });

  const draw = (state) => {
    const job = state.jobs[state.focus];
    byId("job-section").hidden = !job;
    const notice = byId("page-notice");
    notice.hidden = !state.notice;
    notice.textContent = state.notice ?? "";
    if (!job) return;
    byId("job-name").textContent = shortId(job.job_id);
    status.textContent = statusText(job.status);
    status.className = `status ${job.status}`;
    status.dataset.status = job.status;
    const { text, done, total } = facts(job, state.series[job.job_id]);
    byId("job-facts").textContent = text;
    bar.max = total || 1;
    bar.value = job.status === "succeeded" ? bar.max : Math.min(done, bar.max);
    cancelButton.disabled = TERMINAL.has(job.status);
    csv.href = `/api/jobs/${job.job_id}/metrics.csv`;
    const epoch = chosenEpoch(state);
    checkpoint.toggleAttribute("href", epoch !== null);
    if (epoch !== null) checkpoint.href = `/api/jobs/${job.job_id}/checkpoint?epoch=${epoch}`;
    checkpoint.textContent = epoch === null ? t("Checkpoint (none yet)") : t("Checkpoint of epoch {n} (state_dict)", { n: epoch });
    const error = byId("job-error");
    error.hidden = !job.error;
    error.textContent = job.error ? t("The run failed: {error}", { error: job.error }) : "";
  };
  store.subscribe(draw, ["jobs", "focus", "series", "epochs", "probeEpoch", "notice"]);
  draw(store.state);
}
