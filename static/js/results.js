// The run shown (state.run): stages (before → after images, shape badge, stats, exact values), a
// torchinfo-like trace and the code. Renders when the run or the view settings change.

import { el, byId, icon, show } from "./dom.js";
import { mapQuery } from "./api.js";
import { t } from "./i18n.js";
import { thousands } from "./numbers.js";

const num = (v) => (v === null || v === undefined ? "—" : Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4).replace(/0+$/, "").replace(/\.$/, ""));
const big = thousands;

const mapUrl = (url, view) => (url ? `${url}?${mapQuery(view)}` : null);

/** Nested list → a few 2-D tables (the last two dims), labelled by their leading index. */
function matrixView(values, label) {
  const out = el("div", { class: "matrices", "aria-label": label, tabindex: "0" }); // a scrolling region: reachable by keyboard
  const walk = (v, prefix) => {
    if (out.childElementCount >= 12) return;
    if (!Array.isArray(v[0])) v = [v];
    if (!Array.isArray(v[0][0])) {
      const table = el("table", { class: "matrix", "data-slice": prefix.join(",") });
      if (prefix.length) table.append(el("caption", { text: `[${prefix.join(", ")}]` }));
      for (const row of v.slice(0, 32)) table.append(el("tr", {}, row.slice(0, 32).map((x) => el("td", { text: num(x) }))));
      out.append(table);
      return;
    }
    v.forEach((sub, i) => walk(sub, [...prefix, i]));
  };
  walk(values, []);
  return out;
}

const EAGER_VALUES = 256; // tables of up to this many values are built with the stage; larger ones when seen

/** Builds a stage's value tables when they scroll into view (or at once when small): a run paints first. */
const lazyTables = new IntersectionObserver((entries) => {
  for (const { target, isIntersecting } of entries) {
    if (!isIntersecting) continue;
    lazyTables.unobserve(target);
    target.replaceWith(matrixView(target.values, target.getAttribute("aria-label")));
  }
}, { rootMargin: "300px" });

/** How many numbers a nested list of a tensor's values holds (its shape's product: it is not flattened). */
const countValues = (v) => (Array.isArray(v) ? v.length * (v.length ? countValues(v[0]) : 1) : 1);

function valueTables(values, label) {
  if (countValues(values) <= EAGER_VALUES) return matrixView(values, label);
  const pending = el("div", { class: "matrices pending", "aria-label": label, tabindex: "0", text: "…" });
  pending.values = values;
  lazyTables.observe(pending);
  return pending;
}

const warm = new Map(); // map URL (with its query) → an Image decoding it: the latest runs' maps, kept so they are not dropped
const WARM_KEPT = 64;

/** The map at `src`, asked for and decoded off the main thread (once per URL while kept). */
function warmImage(src) {
  let img = warm.get(src);
  if (!img) {
    img = Object.assign(new Image(), { src });
    img.decoded = img.decode().catch(() => {}); // a map that fails shows as its <img>'s own error
    warm.set(src, img);
    while (warm.size > WARM_KEPT) warm.delete(warm.keys().next().value);
  }
  return img;
}

/**
 * Asks for every stage map of run `runId` (`stages` layers) from its id alone, as soon as the answer's
 * headers arrive and before its body is read: the maps are immutable, so the <img>s built later get
 * the same URLs from the browser's memory cache. With `grads` (the Backward view) the gradients' maps,
 * which the stages show; the stages' own maps are asked for once those are decoded (`prefetchMaps`),
 * so they do not hold the browser's few connections while the shown ones wait (the server draws them
 * in the same order).
 */
export function prefetchStages(runId, stages, view, grads = false) {
  for (let k = 0; k <= stages; k++) warmImage(mapUrl(`/api/runs/${runId}/${grads ? "grads" : "maps"}/${k}.png`, view));
}

/** Asks for every map of `answer` (a map already asked for is not asked again): the ones shown first. */
export function prefetchMaps(answer, view, backward = false) {
  const stages = [answer.input, ...answer.layers];
  const urls = [...stages.map((s) => shown(s, backward).url), ...stages.map((s) => s.image_url),
    ...(answer.input.grad ? stages.map((s) => s.grad.image_url) : [])];
  urls.filter(Boolean).forEach((url) => warmImage(mapUrl(url, view)));
}

/**
 * Resolves when every map the stages of `answers` show is decoded (or has failed), or after `wait` ms,
 * whichever is first: the run's DOM is then built once, and one frame paints all its maps.
 */
export function mapsDecoded(answers, view, backward, wait = 250) {
  const urls = answers.filter(Boolean).flatMap((a) => [a.input, ...a.layers].map((s) => shown(s, backward).url));
  const decoded = Promise.all(urls.filter(Boolean).map((url) => warmImage(mapUrl(url, view)).decoded));
  return Promise.race([decoded, new Promise((resolve) => setTimeout(resolve, wait))]);
}

function statsLine(s) {
  if (!s) return "";
  const norm = s.norm !== undefined ? ` · ${t("norm")} ${num(s.norm)}` : ""; // a gradient's statistics carry its L2 norm
  return `${t("min")} ${num(s.min)} · ${t("max")} ${num(s.max)} · ${t("mean")} ${num(s.mean)} · ${t("std")} ${num(s.std)} · ${t("zeros")} ${(100 * s.zero_fraction).toFixed(1)}%${norm}`;
}

/** A map's text alternative: what it shows, its shape and numbers, how its colours read, how to use it. */
function mapAlt({ index, title, shape, stats, input }, colormap) {
  const what = input ? t("Stage {k} input (the output of stage {j})", { k: index, j: index - 1 })
    : t("Stage {k} output: {title}", { k: index, title });
  const numbers = stats ? ` ${statsLine(stats)}.` : "";
  const signed = stats && stats.min !== null && stats.min < 0;
  const palette = colormap === "auto" ? (signed ? "diverging" : "viridis") : colormap;
  const colours = { grey: t("Colours: black for the lowest values, white for the highest."),
    diverging: t("Colours: blue below 0, white at 0, red above."),
    viridis: t("Colours: dark purple for the lowest values, yellow for the highest (pictures as they are).") }[palette] ?? "";
  const size = t("shape {shape}", { shape: shape.join("×") });
  const use = t("Arrow keys select a value and outline what feeds it.");
  return [`${what}, ${size}.${numbers}`, colours, use].join(" ");
}

function image(url, view, alt, stageIndex, testid) {
  if (!url) return el("div", { class: "noimg", text: t("no image") });
  // tabindex: the keyboard reaches every map and moves over its values (receptive.js)
  const img = el("img", { src: mapUrl(url, view), "data-src": url, "data-stage": stageIndex, alt, testid, class: "map", loading: "eager", tabindex: 0 });
  const box = el("span", { class: "mapbox" }, img);
  img.addEventListener("error", () => box.replaceWith(el("div", { class: "noimg", text: t("image not available") })));
  return box;
}

function stage({ index, title, shape, inShape, prevUrl, prevStats, url, facts, stats, values, indices, notes, b, view, formula }) {
  const dataShape = shape.join("x");
  const [stageId, imageId] = b ? ["stage-b", "stage-image-b"] : ["stage", "stage-image"];
  const node = el("article", { class: "stage", testid: stageId, "data-shape": dataShape, "data-index": index },
    el("header", {},
      el("span", { class: "pos", text: String(index) }),
      el("strong", { text: title }),
      el("span", { class: "badge", title: t("output shape"), text: shape.join("×") }),
      el("button", { type: "button", class: "icon", testid: "open-detail", "data-stage": index, "data-pipeline": b ? "b" : "a",
        title: t("Open this stage at readable size: every value, zoom, colour bar, arithmetic"), "aria-label": t("Inspect stage {n}", { n: index }) }, icon("magnifier"))),
    inShape ? el("p", { class: "flow", title: formula, text: `${inShape.join("×")} → ${shape.join("×")}` }) : null,
    el("div", { class: "pair" },
      prevUrl !== undefined ? image(prevUrl, view, mapAlt({ index, shape: inShape, stats: prevStats, input: true }, view.colormap), index - 1, imageId) : null,
      prevUrl !== undefined ? el("span", { class: "arrow", "aria-hidden": "true", text: "→" }) : null,
      image(url, view, mapAlt({ index, title, shape, stats }, view.colormap), index, imageId)),
    facts ? el("p", { class: "facts", text: facts }) : null,
    el("p", { class: "stats", text: statsLine(stats) }),
    notes && notes.length ? el("ul", { class: "notes" }, notes.map((n) => el("li", { text: n }))) : null,
    values ? el("details", { open: true, class: "values" }, el("summary", { text: t("exact values") }), valueTables(values, t("values of stage {n}", { n: index }))) : null,
    indices ? el("details", { open: true }, el("summary", { text: t("indices") }), valueTables(indices, t("indices of stage {n}", { n: index }))) : null);
  return node;
}

function lostBatchNote(res) {
  const inN = res.input.shape[0];
  const notes = [];
  for (const l of res.layers) {
    if (inN > 1 && l.output_shape.length === 1 && l.input_shape.length > 1) {
      notes.push(t("Layer {index} ({type}) gives {shape}: the batch dimension of {n} is gone — all images were merged into one vector. Use Flatten(start_dim=1) to keep one row per image.",
        { index: l.index, type: l.type, shape: l.output_shape.join("×"), n: inN }));
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
  if (sa !== sb) return { differs: true, text: t("vs A: shape {b} ≠ {a}", { a: sa, b: sb }) };
  const parts = [t("vs A: same shape")];
  if (a.values && b.values) {
    const [va, vb] = [flat(a.values), flat(b.values)];
    const gap = va.reduce((m, x, i) => Math.max(m, Math.abs(x - vb[i])), 0);
    parts.push(gap === 0 ? t("identical values") : `max |A−B| = ${num(gap)}`);
  }
  if (a.stats.mean !== null && b.stats.mean !== null) parts.push(t("mean {b} (A {a})", { b: num(b.stats.mean), a: num(a.stats.mean) }));
  return { differs: false, text: parts.join("; ") };
}

/** What a stage shows: its output, or with Backward (and a run that has them) ∂loss/∂ its output. */
const shown = (s, backward) => (backward && s.grad ? { url: s.grad.image_url, stats: s.grad.stats, values: s.grad.values }
  : { url: s.image_url, stats: s.stats, values: s.values });

/** One row of stages (0 = input, then each layer) for a run; `b` marks pipeline B of a comparison. Also /learn's. */
export function stageRow(res, view, b = false, backward = false) {
  const input = shown(res.input, backward);
  const items = [stage({ index: 0, title: backward ? t("∂loss/∂input") : t("input"), shape: res.input.shape, url: input.url,
    stats: input.stats, values: input.values, b, view })];
  let [prev, prevStats] = [input.url, input.stats];
  for (const l of res.layers) {
    const here = shown(l, backward);
    items.push(stage({ index: l.index, title: backward && l.grad ? `${t("∂loss/∂")} ${l.module}` : l.module, shape: l.output_shape, inShape: l.input_shape,
      prevUrl: prev, prevStats, url: here.url, stats: here.stats, values: here.values, indices: backward ? null : l.indices, notes: l.notes, b, view,
      formula: l.size_formula, facts: t("{params} params · {mult_adds} mult-adds · {ms} ms", { params: big(l.params), mult_adds: big(l.mult_adds), ms: l.time_ms.toFixed(2) }) }));
    [prev, prevStats] = [here.url, here.stats];
  }
  return items;
}

/**
 * Shows a run: pipeline A's answer, and with B's (same input) both rows aligned stage by stage.
 * Each row is `data-pipeline` "a" or "b"; receptive.js outlines fields on them.
 */
function renderRun({ a, b }, view, backward) {
  const itemsA = stageRow(a.answer, view, false, backward);
  const rows = [el("div", { class: "stage-row", "data-pipeline": "a" }, itemsA)];
  const box = byId("stages");
  box.classList.toggle("compare", Boolean(b));
  if (b) {
    const itemsB = stageRow(b.answer, view, true, backward);
    rows[0].prepend(el("div", { class: "row-label", style: { gridRow: "1" }, text: "A" }));
    rows.push(el("div", { class: "stage-row", "data-pipeline": "b" }, el("div", { class: "row-label", style: { gridRow: "2" }, text: "B" }), itemsB));
    itemsA.forEach((n, k) => Object.assign(n.style, { gridRow: "1", gridColumn: String(k + 2) }));
    itemsB.forEach((n, k) => {
      Object.assign(n.style, { gridRow: "2", gridColumn: String(k + 2) });
      if (k === 0 || k >= itemsA.length) return; // stage 0 is the same input in both
      const d = difference(stageOf(a.answer, k), stageOf(b.answer, k));
      n.querySelector(".stats").after(el("p", { class: `diff${d.differs ? " differs" : ""}`, testid: "compare-diff", text: d.text }));
      if (d.differs) [n, itemsA[k]].forEach((x) => x.querySelector(".badge").classList.add("differs"));
    });
  }
  const warn = [...lostBatchNote(a.answer), ...(b ? lostBatchNote(b.answer).map((w) => `B: ${w}`) : [])];
  show(byId("stage-warning"), warn.length > 0, warn.length ? warn[0] : "");
  box.replaceChildren(...rows);
  byId("trace").replaceChildren(...(b ? [el("h4", { text: "A" }), traceTable(a.answer), el("h4", { text: "B" }), traceTable(b.answer, "trace-table-b")] : [traceTable(a.answer)]));
  const code = byId("code");
  code.textContent = a.answer.code;
  code.hidden = false;
  byId("copy-code").disabled = false;
  const exportLink = byId("export");
  exportLink.href = `/api/runs/${a.answer.run_id}/export.zip`;
  exportLink.hidden = false;
  byId("sample").max = Math.max(0, a.answer.input.shape[0] - 1);
}

/** ∂loss/∂ the layer's parameters, all together: √(Σ norm²), as clip_grad_norm_ measures. */
const paramNorm = (l) => (l.param_grads ? Math.sqrt(Object.values(l.param_grads).reduce((a, g) => a + (g.stats.norm ?? 0) ** 2, 0)) : null);

function traceTable(res, testid = "trace-table") {
  const grads = Boolean(res.input.grad);
  // torchinfo's own column names stay as torchinfo writes them.
  const names = ["Layer (type:depth-idx)", t("Input shape"), t("Output shape"), t("Output size"), "Param #", "Mult-Adds", t("Time (ms)"),
    ...(grads ? [t("Grad norm"), t("Param grad norm")] : [])];
  const head = el("tr", {}, names.map((h) => el("th", { scope: "col", text: h })));
  const rows = res.layers.map((l) => el("tr", {},
    el("td", { text: `${l.type}: 1-${l.index}` }), el("td", { text: `[${l.input_shape.join(", ")}]` }),
    el("td", { text: `[${l.output_shape.join(", ")}]` }), el("td", { class: "formula", testid: "formula", text: l.size_formula }),
    el("td", { class: "n", text: big(l.params) }),
    el("td", { class: "n", text: big(l.mult_adds) }), el("td", { class: "n", text: l.time_ms.toFixed(2) }),
    grads ? el("td", { class: "n", testid: "grad-norm", text: num(l.grad.stats.norm) }) : null,
    grads ? el("td", { class: "n", text: num(paramNorm(l)) }) : null));
  const tp = res.layers.reduce((a, l) => a + l.params, 0);
  const tm = res.layers.reduce((a, l) => a + l.mult_adds, 0);
  const foot = el("tr", { class: "total" }, el("td", { text: t("Total") }), el("td", { text: `[${res.input.shape.join(", ")}]` }),
    el("td", { text: `[${(res.output_shape || []).join(", ")}]` }), el("td"), el("td", { class: "n", text: big(tp) }),
    el("td", { class: "n", text: big(tm) }), el("td"), ...(grads ? [el("td", { class: "n", text: num(res.input.grad.stats.norm) }), el("td")] : []));
  return el("table", { class: "trace", testid }, el("thead", {}, head), el("tbody", {}, rows), el("tfoot", {}, foot));
}

async function copyCode(code) {
  const pre = byId("code");
  const btn = byId("copy-code");
  try {
    await navigator.clipboard.writeText(code);
    btn.textContent = t("Copied ✓");
  } catch (err) {
    const range = document.createRange();
    range.selectNodeContents(pre);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    btn.textContent = t("Selected: press Ctrl+C");
  }
  setTimeout(() => (btn.textContent = t("Copy as PyTorch")), 2000);
}

/** Renders state.run into #stages, #trace and #code, and re-fetches the maps when state.view changes. */
export function mountResults(store) {
  store.subscribe((state, changed) => {
    if ((changed.includes("run") || changed.includes("direction")) && state.run) renderRun(state.run, state.view, state.direction === "backward");
    else if (changed.includes("view")) {
      for (const img of byId("stages").querySelectorAll("img.map")) img.src = mapUrl(img.dataset.src, state.view);
    }
  }, ["run", "view", "direction"]);
  byId("copy-code").addEventListener("click", () => store.state.run && copyCode(store.state.run.a.answer.code));
}
