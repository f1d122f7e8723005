// The Examples list: one click loads an example's input and pipeline, runs it and checks the numbers
// (state.checks, drawn in #example-result or #loss-result).

import { api } from "./api.js";
import { busy, el, byId as $ } from "./dom.js";
import { t } from "./i18n.js";

const TOL = 1e-4;

function close(a, b) {
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (!Array.isArray(a)) return Math.abs(a - b) <= TOL + 1e-4 * Math.abs(b);
  return a.length === b.length && a.every((x, i) => close(x, b[i]));
}

/** The innermost 2-D (or 1-D) block of a (1, 1, h, w)-like tensor, as the examples print it. */
function squeeze(v) {
  while (Array.isArray(v) && v.length === 1 && Array.isArray(v[0]) && Array.isArray(v[0][0])) v = v[0];
  return v;
}

function stageOf(res, k) {
  return k === 0 ? { ...res.input, output_shape: res.input.shape } : res.layers[k - 1];
}

function check(answer, c) {
  const res = c.pipeline === "b" ? answer.b : answer;
  const name = c.pipeline === "b" ? "B " : "";
  const s = stageOf(res, c.layer);
  const expect = typeof c.expect === "string" ? c.expect : JSON.stringify(c.expect);
  let got;
  let ok;
  if (c.kind === "values" || c.kind === "indices") {
    const v = s[c.kind] === undefined ? null : s[c.kind];
    got = v === null ? t("not shown (tensor too large)") : JSON.stringify(squeeze(v));
    ok = v !== null && (close(squeeze(v), c.expect) || close(v, c.expect));
  } else if (c.kind === "shape") {
    got = `(${s.output_shape.join(", ")})`;
    ok = JSON.stringify(s.output_shape) === JSON.stringify(c.expect);
    return { label: `${name}${t("stage {n} shape", { n: c.layer })}`, expect: `(${c.expect.join(", ")})`, got, ok };
  } else if (c.kind === "module") {
    got = s.module;
    ok = s.module === c.expect;
  } else {
    const before = stageOf(res, c.layer - 1).stats;
    const after = s.stats;
    got = t("mean {before} → {after}, range [{min}, {max}]", { before: before.mean.toFixed(4), after: after.mean.toFixed(4), min: after.min.toFixed(4), max: after.max.toFixed(4) });
    if (c.kind === "sigmoid-range") ok = after.min >= 0.5 - TOL && after.max <= 0.7311 + TOL;
    else if (c.kind === "unchanged") ok = close([after.min, after.max, after.mean, after.std], [before.min, before.max, before.mean, before.std]);
    else if (c.kind === "brighter") ok = after.mean > before.mean;
    else if (c.kind === "same-mean") ok = Math.abs(after.mean - before.mean) < 1e-4;
  }
  return { label: `${name}${t("stage {n}", { n: c.layer })} ${c.kind}`, expect, got, ok };
}

function renderChecks(checks) {
  for (const target of ["example", "loss"]) {
    const box = $(`${target}-result`);
    const mine = checks && checks.target === target;
    box.hidden = !mine;
    if (!mine) { delete box.dataset.status; box.replaceChildren(); continue; }
    const all = checks.rows.every((r) => r.ok);
    box.dataset.status = all ? "match" : "mismatch";
    box.replaceChildren(el("h3", { text: `${checks.title}: ${all ? t("matches torch ✓") : t("does not match ✗")}` }),
      el("table", { class: "checks" },
        el("tr", {}, [t("check"), t("expected"), t("got"), ""].map((h) => el("th", { text: h }))),
        checks.rows.map((r) => el("tr", { class: r.ok ? "ok" : "bad" },
          el("td", { text: r.label }), el("td", { text: r.expect }), el("td", { text: r.got }), el("td", { text: r.ok ? "✓" : "✗" })))));
  }
}

/** A 512×512 photo-like PNG drawn on a canvas (sky, sun, stripes), uploaded once per page. */
async function photoUpload() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 512;
  const g = canvas.getContext("2d");
  const sky = g.createLinearGradient(0, 0, 0, 512);
  sky.addColorStop(0, "#2b5797");
  sky.addColorStop(1, "#f4c27a");
  g.fillStyle = sky;
  g.fillRect(0, 0, 512, 512);
  g.fillStyle = "#fff3b0";
  g.beginPath();
  g.arc(360, 150, 60, 0, 2 * Math.PI);
  g.fill();
  for (let i = 0; i < 64; i++) {
    g.fillStyle = i % 2 ? "#1d3b2a" : "#4c7a3d";
    g.fillRect(i * 8, 360 + 20 * Math.sin(i / 5), 8, 160);
  }
  const blob = await new Promise((r) => canvas.toBlob(r, "image/png"));
  const file = new File([blob], "synthetic-512.png", { type: "image/png" });
  const up = await api.upload(file);
  return { source: "upload", upload_id: up.upload_id };
}

async function lossChecks(ex) {
  const rows = [];
  for (const l of ex.losses) {
    const r = await api.loss(l.type, l.body);
    rows.push({ label: l.type, expect: String(l.expect), got: r.loss.toFixed(4), ok: Math.abs(r.loss - l.expect) < 1e-4 });
  }
  return { target: "loss", title: `${t("Example {id}", { id: ex.id })} · ${ex.title}`, rows };
}

/**
 * The example buttons, from GET /api/examples (`examples.worked`; `examples.error` when it could not
 * load). `run()` sends the loaded pipeline(s) and resolves to the answer (B's as `.b`) or null when
 * refused; `showCurves(types, range)` shows activation curves.
 */
export function mountExamples(store, actions, examples, { run, showCurves }) {
  let photo = null; // the synthetic photo, uploaded once per page
  async function play(ex) {
    actions.showChecks(null);
    if (ex.curves) { showCurves(ex.curves, [-10, 10]); return; }
    if (ex.losses) { actions.showChecks(await busy(t("Computing losses…"), () => lossChecks(ex))); return; }
    if (ex.upload && !photo) photo = await busy(t("Uploading a 512×512 photo…"), photoUpload);
    const input = ex.upload ? photo : ex.input;
    actions.load({ input: structuredClone(input), layers: structuredClone(ex.layers), example: ex.id,
      compare: ex.compare ? structuredClone(ex.compare) : null });
    const res = await run();
    if (!res) return;
    actions.showChecks({ target: "example", title: `${t("Example {id}", { id: ex.id })} · ${ex.title}`, rows: ex.checks.map((c) => check(res, c)) });
    $("results").scrollIntoView({ block: "start" });
  }
  store.subscribe((state) => renderChecks(state.checks), ["checks"]);
  if (examples.error) {
    $("examples").replaceChildren(el("p", { class: "error", text: t("The examples could not load: {error}", { error: examples.error }) }));
    return;
  }
  const groups = new Map();
  for (const ex of examples.worked) {
    if (!groups.has(ex.group)) groups.set(ex.group, el("div", { class: "ex-group" }, el("span", { class: "ex-num", text: `${ex.group}.` })));
    groups.get(ex.group).append(el("button", { type: "button", class: "ex", "data-example": ex.id, onclick: () => play(ex).catch((err) =>
      actions.refuse([{ pipeline: null, position: null, message: `${t("Example {id}", { id: ex.id })}: ${err.message}` }])) }, `${ex.id} ${ex.title}`));
  }
  $("examples").replaceChildren(...groups.values());
}
