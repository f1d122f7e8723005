// Stages (before → after images, shape badge, stats, exact values), torchinfo-like trace, code.

import { state } from "./state.js";
import { el } from "./layer-form.js";
import { enableReceptiveField, clearReceptiveField } from "./receptive.js";

const $ = (id) => document.getElementById(id);
let last = null;

const num = (v) => (v === null || v === undefined ? "—" : Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4).replace(/0+$/, "").replace(/\.$/, ""));
const big = (n) => n.toLocaleString("en-US");

export function mapUrl(url) {
  if (!url) return null;
  const { colormap, normalize, sample } = state.view;
  const q = new URLSearchParams({ colormap, normalize });
  if (sample !== null && sample !== undefined && sample !== "") q.set("sample", String(sample));
  return `${url}?${q}`;
}

/** Nested list → a few 2-D tables (the last two dims), labelled by their leading index. */
export function matrixView(values, label) {
  const out = el("div", { class: "matrices", "aria-label": label });
  const walk = (v, prefix) => {
    if (out.childElementCount >= 12) return;
    if (!Array.isArray(v[0])) v = [v];
    if (!Array.isArray(v[0][0])) {
      const t = el("table", { class: "matrix", "data-slice": prefix.join(",") });
      if (prefix.length) t.append(el("caption", { text: `[${prefix.join(", ")}]` }));
      for (const row of v.slice(0, 32)) t.append(el("tr", {}, row.slice(0, 32).map((x) => el("td", { text: num(x) }))));
      out.append(t);
      return;
    }
    v.forEach((sub, i) => walk(sub, [...prefix, i]));
  };
  walk(values, []);
  return out;
}

function statsLine(s) {
  if (!s) return "";
  return `min ${num(s.min)} · max ${num(s.max)} · mean ${num(s.mean)} · std ${num(s.std)} · zeros ${(100 * s.zero_fraction).toFixed(1)}%`;
}

function image(url, alt, stageIndex, testid) {
  if (!url) return el("div", { class: "noimg", text: "no image" });
  const img = el("img", { src: mapUrl(url), "data-src": url, "data-stage": stageIndex, alt, "data-testid": testid, class: "map", loading: "eager" });
  const box = el("span", { class: "mapbox" }, img);
  img.addEventListener("error", () => box.replaceWith(el("div", { class: "noimg", text: "image not available" })));
  return box;
}

function stage({ index, title, shape, inShape, prevUrl, url, facts, stats, values, indices, notes, b }) {
  const dataShape = shape.join("x");
  const [stageId, imageId] = b ? ["stage-b", "stage-image-b"] : ["stage", "stage-image"];
  const node = el("article", { class: "stage", "data-testid": stageId, "data-shape": dataShape, "data-index": index },
    el("header", {},
      el("span", { class: "pos", text: String(index) }),
      el("strong", { text: title }),
      el("span", { class: "badge", title: "output shape", text: shape.join("×") })),
    inShape ? el("p", { class: "flow", text: `${inShape.join("×")} → ${shape.join("×")}` }) : null,
    el("div", { class: "pair" },
      prevUrl !== undefined ? image(prevUrl, `stage ${index} input`, index - 1, imageId) : null,
      prevUrl !== undefined ? el("span", { class: "arrow", "aria-hidden": "true", text: "→" }) : null,
      image(url, `stage ${index} output`, index, imageId)),
    facts ? el("p", { class: "facts", text: facts }) : null,
    el("p", { class: "stats", text: statsLine(stats) }),
    notes && notes.length ? el("ul", { class: "notes" }, notes.map((n) => el("li", { text: n }))) : null,
    values ? el("details", { open: true, class: "values" }, el("summary", { text: "exact values" }), matrixView(values, `values of stage ${index}`)) : null,
    indices ? el("details", { open: true }, el("summary", { text: "indices" }), matrixView(indices, `indices of stage ${index}`)) : null);
  return node;
}

function lostBatchNote(res) {
  const inN = res.input.shape[0];
  const notes = [];
  for (const l of res.layers) {
    if (inN > 1 && l.output_shape.length === 1 && l.input_shape.length > 1) {
      notes.push(`Layer ${l.index} (${l.type}) gives ${l.output_shape.join("×")}: the batch dimension of ${inN} is gone — all images were merged into one vector. Use Flatten(start_dim=1) to keep one row per image.`);
      break;
    }
  }
  return notes;
}

/** Stage k of a run as { shape, stats, values }: k = 0 is the input. */
const stageOf = (res, k) => (k === 0 ? { shape: res.input.shape, stats: res.input.stats, values: res.input.values }
  : { shape: res.layers[k - 1].output_shape, stats: res.layers[k - 1].stats, values: res.layers[k - 1].values });

function flat(v) {
  return Array.isArray(v) ? v.flat(Infinity) : [v];
}

/** One line on how stage k of B differs from stage k of A. */
function difference(a, b) {
  const [sa, sb] = [a.shape.join("×"), b.shape.join("×")];
  if (sa !== sb) return { differs: true, text: `vs A: shape ${sb} ≠ ${sa}` };
  const parts = [`vs A: same shape`];
  if (a.values && b.values) {
    const [va, vb] = [flat(a.values), flat(b.values)];
    const gap = va.reduce((m, x, i) => Math.max(m, Math.abs(x - vb[i])), 0);
    parts.push(gap === 0 ? "identical values" : `max |A−B| = ${num(gap)}`);
  }
  if (a.stats.mean !== null && b.stats.mean !== null) parts.push(`mean ${num(b.stats.mean)} (A ${num(a.stats.mean)})`);
  return { differs: false, text: parts.join("; ") };
}

/** One row of stages (0 = input, then each layer) for a run; `b` marks pipeline B of a comparison. */
function stageRow(res, b = false) {
  const items = [stage({ index: 0, title: "input", shape: res.input.shape, url: res.input.image_url,
    stats: res.input.stats, values: res.input.values, b })];
  let prev = res.input.image_url;
  for (const l of res.layers) {
    items.push(stage({ index: l.index, title: l.module, shape: l.output_shape, inShape: l.input_shape, prevUrl: prev,
      url: l.image_url, stats: l.stats, values: l.values, indices: l.indices, notes: l.notes, b,
      facts: `${big(l.params)} params · ${big(l.mult_adds)} mult-adds · ${l.time_ms.toFixed(2)} ms` }));
    prev = l.image_url;
  }
  return items;
}

function row(res, layers, name, items) {
  const box = el("div", { class: "stage-row", "data-pipeline": name }, items);
  const shapes = [res.input.shape, ...res.layers.map((l) => l.output_shape)];
  enableReceptiveField(box, () => ({ layers, shapes }), $("rf-info"));
  return box;
}

/**
 * Shows a run of `layers`; with `resB` (pipeline `layersB` on the same input), both rows aligned
 * stage by stage. The layers are those that were sent: the cards may have changed since.
 */
export function renderRun(res, layers, resB = null, layersB = null) {
  last = res;
  const itemsA = stageRow(res);
  const rows = [row(res, layers, "a", itemsA)];
  const box = $("stages");
  box.classList.toggle("compare", Boolean(resB));
  if (resB) {
    const itemsB = stageRow(resB, true);
    rows[0].prepend(el("div", { class: "row-label", style: "grid-row: 1", text: "A" }));
    rows.push(row(resB, layersB, "b", [el("div", { class: "row-label", style: "grid-row: 2", text: "B" }), ...itemsB]));
    itemsA.forEach((n, k) => Object.assign(n.style, { gridRow: "1", gridColumn: String(k + 2) }));
    itemsB.forEach((n, k) => {
      Object.assign(n.style, { gridRow: "2", gridColumn: String(k + 2) });
      if (k === 0 || k >= itemsA.length) return; // stage 0 is the same input in both
      const d = difference(stageOf(res, k), stageOf(resB, k));
      n.querySelector(".stats").after(el("p", { class: `diff${d.differs ? " differs" : ""}`, "data-testid": "compare-diff", text: d.text }));
      if (d.differs) [n, itemsA[k]].forEach((x) => x.querySelector(".badge").classList.add("differs"));
    });
  }
  const warn = [...lostBatchNote(res), ...(resB ? lostBatchNote(resB).map((w) => `B: ${w}`) : [])];
  const note = $("stage-warning");
  note.textContent = warn.length ? warn[0] : "";
  note.hidden = !warn.length;
  $("rf-info").textContent = "";
  box.replaceChildren(...rows);
  $("trace").replaceChildren(...(resB ? [el("h4", { text: "A" }), traceTable(res), el("h4", { text: "B" }), traceTable(resB, "trace-table-b")] : [traceTable(res)]));
  const code = $("code");
  code.textContent = res.code;
  code.hidden = false;
  $("copy-code").disabled = false;
  $("sample").max = Math.max(0, res.input.shape[0] - 1);
}

function traceTable(res, testid = "trace-table") {
  const head = el("tr", {}, ["Layer (type:depth-idx)", "Input shape", "Output shape", "Param #", "Mult-Adds", "Time (ms)"].map((h) => el("th", { scope: "col", text: h })));
  const rows = res.layers.map((l) => el("tr", {},
    el("td", { text: `${l.type}: 1-${l.index}` }), el("td", { text: `[${l.input_shape.join(", ")}]` }),
    el("td", { text: `[${l.output_shape.join(", ")}]` }), el("td", { class: "n", text: big(l.params) }),
    el("td", { class: "n", text: big(l.mult_adds) }), el("td", { class: "n", text: l.time_ms.toFixed(2) })));
  const tp = res.layers.reduce((a, l) => a + l.params, 0);
  const tm = res.layers.reduce((a, l) => a + l.mult_adds, 0);
  const foot = el("tr", { class: "total" }, el("td", { text: "Total" }), el("td", { text: `[${res.input.shape.join(", ")}]` }),
    el("td", { text: `[${(res.output_shape || []).join(", ")}]` }), el("td", { class: "n", text: big(tp) }),
    el("td", { class: "n", text: big(tm) }), el("td"));
  return el("table", { class: "trace", "data-testid": testid }, el("thead", {}, head), el("tbody", {}, rows), el("tfoot", {}, foot));
}

document.addEventListener("keydown", (ev) => {
  if (ev.key !== "Escape") return;
  clearReceptiveField($("stages"));
  $("rf-info").textContent = "";
});

/** Re-fetches every map with the current colormap / normalisation / sample. */
export function refreshMaps() {
  for (const img of document.querySelectorAll("img.map")) img.src = mapUrl(img.dataset.src);
}

export function lastRun() {
  return last;
}

export async function copyCode() {
  if (!last) return;
  const code = $("code");
  code.hidden = false;
  const btn = $("copy-code");
  try {
    await navigator.clipboard.writeText(last.code);
    btn.textContent = "Copied ✓";
  } catch (err) {
    const range = document.createRange();
    range.selectNodeContents(code);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    btn.textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => (btn.textContent = "Copy as PyTorch"), 2000);
}
