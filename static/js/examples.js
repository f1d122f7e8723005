// The Examples list: one click loads an example's input and pipeline, runs it and checks the numbers.

import { api, busy } from "./api.js";
import { state } from "./state.js";
import { el } from "./layer-form.js";
import { EXAMPLES } from "./examples-data.js";

const $ = (id) => document.getElementById(id);
const TOL = 1e-4;
let syntheticUpload = null;

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
    got = v === null ? "not shown (tensor too large)" : JSON.stringify(squeeze(v));
    ok = v !== null && (close(squeeze(v), c.expect) || close(v, c.expect));
  } else if (c.kind === "shape") {
    got = `(${s.output_shape.join(", ")})`;
    ok = JSON.stringify(s.output_shape) === JSON.stringify(c.expect);
    return { label: `${name}stage ${c.layer} shape`, expect: `(${c.expect.join(", ")})`, got, ok };
  } else if (c.kind === "module") {
    got = s.module;
    ok = s.module === c.expect;
  } else {
    const before = stageOf(res, c.layer - 1).stats;
    const after = s.stats;
    got = `mean ${before.mean.toFixed(4)} → ${after.mean.toFixed(4)}, range [${after.min.toFixed(4)}, ${after.max.toFixed(4)}]`;
    if (c.kind === "sigmoid-range") ok = after.min >= 0.5 - TOL && after.max <= 0.7311 + TOL;
    else if (c.kind === "unchanged") ok = close([after.min, after.max, after.mean, after.std], [before.min, before.max, before.mean, before.std]);
    else if (c.kind === "brighter") ok = after.mean > before.mean;
    else if (c.kind === "same-mean") ok = Math.abs(after.mean - before.mean) < 1e-4;
  }
  return { label: `${name}stage ${c.layer} ${c.kind}`, expect, got, ok };
}

function showChecks(box, title, rows) {
  box.hidden = false;
  const all = rows.every((r) => r.ok);
  box.dataset.status = all ? "match" : "mismatch";
  box.replaceChildren(el("h3", { text: `${title}: ${all ? "matches torch ✓" : "does not match ✗"}` }),
    el("table", { class: "checks" },
      el("tr", {}, ["check", "expected", "got", ""].map((h) => el("th", { text: h }))),
      rows.map((r) => el("tr", { class: r.ok ? "ok" : "bad" },
        el("td", { text: r.label }), el("td", { text: r.expect }), el("td", { text: r.got }), el("td", { text: r.ok ? "✓" : "✗" })))));
}

/** A 512×512 photo-like PNG drawn on a canvas (sky, sun, stripes), uploaded once per page. */
async function photoUpload() {
  if (syntheticUpload) return syntheticUpload;
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
  syntheticUpload = { source: "upload", upload_id: up.upload_id };
  return syntheticUpload;
}

async function runLosses(ex) {
  const rows = [];
  for (const l of ex.losses) {
    const r = await api.loss(l.type, l.body);
    rows.push({ label: l.type, expect: String(l.expect), got: r.loss.toFixed(4), ok: Math.abs(r.loss - l.expect) < 1e-4 });
  }
  showChecks($("loss-result"), `Example ${ex.id} · ${ex.title}`, rows);
}

export function initExamples({ load, run, showCurves, showError }) {
  const box = $("examples");
  const groups = new Map();
  for (const ex of EXAMPLES) {
    if (!groups.has(ex.group)) groups.set(ex.group, el("div", { class: "ex-group" }, el("span", { class: "ex-num", text: `${ex.group}.` })));
    const b = el("button", { type: "button", class: "ex", "data-example": ex.id }, `${ex.id} ${ex.title}`);
    b.addEventListener("click", async () => {
      for (const id of ["example-result", "loss-result"]) {
        $(id).hidden = true;
        delete $(id).dataset.status;
      }
      try {
        if (ex.curves) { showCurves(ex.curves, [-10, 10]); return; }
        if (ex.losses) { await busy("Computing losses…", () => runLosses(ex)); return; }
        const input = ex.upload ? await busy("Uploading a 512×512 photo…", photoUpload) : ex.input;
        load(structuredClone(input), structuredClone(ex.layers), ex.id, ex.compare ? structuredClone(ex.compare) : null);
        const res = await run();
        if (res) {
          showChecks($("example-result"), `Example ${ex.id} · ${ex.title}`, ex.checks.map((c) => check(res, c)));
          $("results").scrollIntoView({ block: "start" });
        }
      } catch (err) {
        showError(`Example ${ex.id}: ${err.message}`);
      }
    });
    groups.get(ex.group).append(b);
  }
  box.replaceChildren(...groups.values());
}
