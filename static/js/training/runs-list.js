// The runs: one line each, newest first, with a checkbox to overlay it on the charts, its colour,
// its status and its last numbers; clicking its name follows it in the panels below.

import { byId, el } from "../dom.js";
import { fmt, runColor, shortId } from "./chart-kit.js";
import { t } from "../i18n.js";
import { statusText } from "./status.js";

function summary(job) {
  const c = job.config ?? {};
  const steps = c.max_steps ? t(", ≤ {n} steps", { n: c.max_steps }) : "";
  const epochs = c.epochs === 1 ? t("1 epoch") : t("{n} epochs", { n: c.epochs });
  return `${c.optimizer ?? "sgd"} lr ${c.lr}, ${t("batch {n}", { n: c.batch_size })}, ${epochs}${steps}`;
}

function latest(state, id) {
  const loss = state.series[id]?.loss;
  const acc = state.epochs[id]?.at(-1)?.test_accuracy;
  const parts = [];
  if (loss?.length) parts.push(`${t("loss")} ${fmt(loss.at(-1), 3)}`);
  if (Number.isFinite(acc)) parts.push(`${t("acc")} ${(100 * acc).toFixed(1)} %`);
  return parts.join(" · ");
}

/** One run's line; `update` refreshes it in place, so a click is never lost to a redraw mid-stream. */
function runRow(id, actions) {
  const box = el("input", { type: "checkbox", "aria-label": t("Show run {id} on the charts", { id: shortId(id) }),
    onchange: () => actions.toggleShown(id, box.checked) });
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  const name = el("button", { type: "button", class: "link", onclick: () => actions.focus(id) }, shortId(id));
  const status = el("span", { class: "status" });
  const config = el("span", { class: "hint" });
  const numbers = el("span", { class: "facts" });
  const li = el("li", { class: "run", "data-job": id }, box, swatch, name, status, config, numbers);
  const update = (state) => {
    const job = state.jobs[id];
    box.checked = state.shown.includes(id);
    swatch.style.background = runColor(state, id);
    name.setAttribute("aria-pressed", String(id === state.focus));
    li.classList.toggle("focused", id === state.focus);
    li.dataset.status = job.status;
    li.dataset.steps = String(state.series[id]?.step.length ?? 0); // its points on the loss chart
    status.className = `status ${job.status}`;
    status.textContent = statusText(job.status);
    config.textContent = summary(job);
    numbers.textContent = latest(state, id);
  };
  return { li, update };
}

export function runsListView(store, actions) {
  const list = byId("runs-list");
  const rows = new Map();
  const empty = el("li", { class: "hint", text: t("No runs yet: start one with the form.") });
  const draw = (state) => {
    for (const id of state.order) if (!rows.has(id)) rows.set(id, runRow(id, actions));
    for (const id of rows.keys()) if (!(id in state.jobs)) rows.delete(id);
    const lines = state.order.map((id) => rows.get(id));
    lines.forEach((row) => row.update(state));
    const wanted = lines.length ? lines.map((row) => row.li) : [empty];
    if (wanted.some((li, i) => list.children[i] !== li) || list.children.length !== wanted.length) list.replaceChildren(...wanted);
  };
  store.subscribe(draw, ["order", "jobs", "shown", "focus", "series", "epochs"]);
  draw(store.state);
}
