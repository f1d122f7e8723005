// The stage detail view (state.detail): any stage at readable size, from its values.npy. True pixels
// with nearest-neighbour zoom, channels in a grid, a colour bar with numbers under every map, the exact
// value and its index under the cursor, arrows between values (Shift+←/→ between stages), and a click
// on an output value opens its arithmetic (arithmetic-view.js).

import { el, byId } from "./dom.js";
import { parseNpy, float32Text } from "./npy.js";
import { gridOf, offsetOf, tileValues, rangesOf, paint } from "./stage-grid.js";
import { renderArithmetic } from "./arithmetic-view.js";
import { renderGradArithmetic } from "./grad-arithmetic-view.js";
import { t } from "./i18n.js";

const ZOOMS = ["1", "2", "4", "8", "fit"];
const cache = new Map(); // values.npy URL → Promise of { shape, data }; a run's URL never changes

function stageValues(url) {
  if (!cache.has(url)) {
    cache.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: ${r.status}`);
      return r.arrayBuffer();
    }).then(parseNpy));
    if (cache.size > 64) cache.delete(cache.keys().next().value);
  }
  return cache.get(url);
}

let palettes = null;
const loadPalettes = () => (palettes ??= fetch("/api/colormaps").then((r) => r.json()));

const answerOf = (state, d) => (d.pipeline === "b" ? state.run.b : state.run.a).answer;
const stageCount = (answer) => answer.layers.length + 1;
const indexText = (index) => `[${index.join(", ")}]`;

/** The zoom that fills the view's width with the channels in a square-ish grid (the view scrolls down). */
function fitZoom(grid, box) {
  const across = Math.ceil(Math.sqrt(grid.tiles));
  const width = (box.clientWidth || 800) - across * 12;
  const z = Math.min(width / (across * grid.cols), (window.innerHeight * 0.6) / grid.rows, 64);
  return z >= 1 ? Math.floor(z) : z;
}

/** Each value written in its cell, when the cells are large enough to read (small stages, high zoom). */
function numbersOver(tile, grid, zoom) {
  if (zoom < 28 || grid.rows * grid.cols > 400) return null;
  const cells = el("div", { class: "cells", style: { gridTemplateColumns: `repeat(${grid.cols}, ${zoom}px)`, gridAutoRows: `${zoom}px` } });
  for (const v of tile) cells.append(el("span", { text: Number(v.toPrecision(3)).toString() }));
  return cells;
}

function colorbar(palette, [lo, hi]) {
  const bar = el("canvas", { width: palette.length, height: 1, class: "bar" });
  const ctx = bar.getContext("2d");
  palette.forEach((c, i) => { ctx.fillStyle = c; ctx.fillRect(i, 0, 1, 1); });
  const mid = (lo + hi) / 2;
  return el("div", { class: "colorbar", testid: "colorbar", "data-lo": lo, "data-hi": hi }, bar,
    el("div", { class: "ticks" }, [lo, mid, hi].map((v) => el("span", { text: float32Text(Math.fround(v)) }))));
}

/** Mounts the dialog and renders it from state.detail (main.js imports this module on the first inspect button click). */
export function mountDetail(store, actions) {
  const dialog = byId("stage-detail");
  const ui = {
    title: el("h3", { id: "detail-title" }),
    formula: el("p", { class: "formula", testid: "formula" }),
    zoom: el("div", { role: "group", "aria-label": t("Zoom"), class: "zoom", testid: "zoom" },
      ZOOMS.map((z) => el("button", { type: "button", "data-zoom": z, text: z === "fit" ? t("fit") : `${z}×`,
        onclick: () => actions.setDetail({ zoom: z }) }))),
    normalize: el("select", { "aria-label": t("Normalise"), onchange: (e) => actions.setDetail({ normalize: e.target.value }) },
      [["per_channel", t("per channel")], ["shared", t("shared")], ["fixed", t("fixed window")]].map(([v, text]) => el("option", { value: v, text }))),
    lo: el("input", { type: "number", step: "any", "aria-label": t("window low"), placeholder: t("low") }),
    hi: el("input", { type: "number", step: "any", "aria-label": t("window high"), placeholder: t("high") }),
    sample: el("input", { type: "number", min: 0, "aria-label": t("sample"), onchange: (e) => actions.setDetail({ sample: Math.max(0, Number(e.target.value) || 0) }) }),
    readout: el("p", { class: "readout", testid: "value-under-cursor", "aria-live": "polite", text: t("Point at a value.") }),
    grid: el("div", { class: "detail-grid" }),
    arith: el("section", { class: "arith", testid: "arithmetic", "aria-label": t("Arithmetic of the chosen output"), hidden: true }),
  };
  const setWindow = () => actions.setDetail({ normalize: "fixed", fixed: [Number(ui.lo.value), Number(ui.hi.value)] });
  ui.lo.addEventListener("change", setWindow);
  ui.hi.addEventListener("change", setWindow);
  const step = (delta) => {
    const d = store.state.detail;
    const k = d.stage + delta;
    if (k >= 0 && k < stageCount(answerOf(store.state, d))) actions.setDetail({ stage: k, picked: null });
  };
  dialog.append(
    el("header", { class: "detail-head" }, ui.title,
      el("button", { type: "button", text: t("◀ stage"), "aria-label": t("Previous stage"), onclick: () => step(-1) }),
      el("button", { type: "button", text: t("stage ▶"), "aria-label": t("Next stage"), onclick: () => step(1) }),
      el("button", { type: "button", text: "✕", "aria-label": t("Close"), onclick: () => dialog.close() })),
    ui.formula,
    el("div", { class: "row" }, ui.zoom, el("label", {}, `${t("normalise")} `, ui.normalize), ui.lo, ui.hi, el("label", {}, `${t("sample")} `, ui.sample)),
    ui.readout,
    el("div", { class: "detail-body" }, ui.grid, ui.arith));
  dialog.addEventListener("close", () => store.state.detail && actions.closeDetail());

  let view = null; // what is drawn: { d, answer, values, grid, zoom, figures } — the cursor moves over it
  let cursor = { t: 0, y: 0, x: 0 };

  function show(where) {
    if (!view) return;
    cursor = where;
    const index = view.grid.index(where.t, where.y, where.x);
    ui.readout.textContent = index ? `${indexText(index)} = ${float32Text(view.values.data[offsetOf(view.values.shape, index)])}` : "—";
    for (const f of view.figures) f.querySelector(".cursor").hidden = true;
    const mark = view.figures[where.t].querySelector(".cursor");
    Object.assign(mark.style, { left: `${where.x * view.zoom}px`, top: `${where.y * view.zoom}px`, width: `${view.zoom}px`, height: `${view.zoom}px` });
    mark.hidden = false;
  }

  function cellAt(ev) {
    const fig = ev.target.closest("figure.tile");
    if (!fig || !view) return null;
    const rect = fig.querySelector("canvas").getBoundingClientRect();
    const [y, x] = [Math.floor(((ev.clientY - rect.top) / rect.height) * view.grid.rows), Math.floor(((ev.clientX - rect.left) / rect.width) * view.grid.cols)];
    if (y < 0 || x < 0 || y >= view.grid.rows || x >= view.grid.cols) return null;
    return { t: Number(fig.dataset.tile), y, x };
  }

  function pick(where) {
    const index = view && view.grid.index(where.t, where.y, where.x);
    if (index && (view.d.stage > 0 || view.backward)) actions.setDetail({ picked: index });
  }

  ui.grid.addEventListener("mousemove", (ev) => { const at = cellAt(ev); if (at) show(at); });
  ui.grid.addEventListener("click", (ev) => { const at = cellAt(ev); if (at) { show(at); pick(at); } });
  dialog.addEventListener("keydown", (ev) => {
    if (!view || ev.target.matches("input, select")) return;
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (!(ev.key in moves) && ev.key !== "Enter") return;
    if (ev.key === "Enter" && ev.target.closest("button, a, summary")) return; // the control's own action (e.g. the arithmetic's steps)
    ev.preventDefault();
    if (ev.key === "Enter") return pick(cursor);
    if (ev.shiftKey && (ev.key === "ArrowLeft" || ev.key === "ArrowRight")) return step(ev.key === "ArrowLeft" ? -1 : 1);
    const [dy, dx] = moves[ev.key];
    const g = view.grid;
    let { t, y, x } = cursor;
    [y, x] = [y + dy, x + dx];
    if (x < 0 || x >= g.cols) { t = (t + Math.sign(dx) + g.tiles) % g.tiles; x = x < 0 ? g.cols - 1 : 0; } // past a tile's edge: the next channel
    y = Math.max(0, Math.min(g.rows - 1, y));
    show({ t, y, x });
  });

  async function render(state) {
    const d = state.detail;
    if (!d || !state.run) { if (dialog.open) dialog.close(); view = null; return; }
    const answer = answerOf(state, d);
    const layer = d.stage > 0 ? answer.layers[d.stage - 1] : null;
    const shape = layer ? layer.output_shape : answer.input.shape;
    const backward = state.direction === "backward" && Boolean(answer.input.grad); // the gradients, not the outputs
    const file = backward ? "grads.npy" : "values.npy";
    const [values, cmaps] = await Promise.all([stageValues(`/api/runs/${answer.run_id}/stages/${d.stage}/${file}`), loadPalettes()]);
    if (store.state.detail !== d) return; // a newer state is being drawn
    const samples = shape.length === 4 || shape.length === 2 ? shape[0] : 1;
    const grid = gridOf(shape, Math.min(d.sample, samples - 1));
    const module = layer ? layer.module : t("input");
    const what = t("Stage {n}: {module}", { n: d.stage, module });
    ui.title.textContent = `${backward ? `${t("∂loss/∂")} ` : ""}${what} · ${shape.join("×")}`;
    ui.formula.textContent = layer ? t("Output size: {formula}", { formula: layer.size_formula }) : t("The input.");
    ui.sample.value = String(Math.min(d.sample, samples - 1));
    ui.sample.max = String(samples - 1);
    ui.normalize.value = d.normalize;
    [ui.lo.hidden, ui.hi.hidden] = [d.normalize !== "fixed", d.normalize !== "fixed"];
    for (const b of ui.zoom.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.zoom === d.zoom));
    if (!dialog.open) dialog.showModal();
    // The input has no forward arithmetic (its gradient has one); a layer's panel keeps its place, so fit is stable.
    ui.arith.hidden = d.stage === 0 && !backward;
    ui.arith.dataset.testid = backward ? "grad-arithmetic" : "arithmetic";
    ui.arith.setAttribute("aria-label", backward ? t("How the chosen gradient value was made") : t("Arithmetic of the chosen output"));
    const zoom = d.zoom === "fit" ? fitZoom(grid, ui.grid) : Number(d.zoom);
    const { cmap, ranges } = rangesOf(values, grid, d.normalize, d.fixed);
    if (d.normalize !== "fixed") [ui.lo.value, ui.hi.value] = [ranges[0][0], ranges[0][1]].map((v) => float32Text(Math.fround(v)));
    const palette = cmaps[cmap];
    const figures = Array.from({ length: grid.tiles }, (_, k) => {
      const canvas = el("canvas", { width: grid.cols, height: grid.rows, style: { width: `${grid.cols * zoom}px`, height: `${grid.rows * zoom}px` } });
      const image = new ImageData(grid.cols, grid.rows);
      const tile = tileValues(values, grid, k);
      paint(tile, ranges[k], palette, image.data);
      canvas.getContext("2d").putImageData(image, 0, 0);
      const label = shape.length >= 3 ? t("channel {c}", { c: k }) : t("features of sample {n}", { n: grid.index(0, 0, 0)[0] ?? 0 });
      return el("figure", { class: "tile", "data-tile": k, style: { width: `${Math.max(96, grid.cols * zoom)}px` } },
        el("div", { class: "pixels" }, canvas, numbersOver(tile, grid, zoom), el("div", { class: "cursor", hidden: true })),
        el("figcaption", { text: label }), colorbar(palette, ranges[k]));
    });
    ui.grid.replaceChildren(...figures);
    Object.assign(ui.grid.dataset, { stage: d.stage, sample: ui.sample.value }); // what is drawn, for tests and styles
    view = { d, answer, values, grid, zoom, figures, backward };
    show({ t: Math.min(cursor.t, grid.tiles - 1), y: Math.min(cursor.y, grid.rows - 1), x: Math.min(cursor.x, grid.cols - 1) });
    if (!d.picked) ui.arith.replaceChildren(el("p", { class: "hint", text: t("Click a value (or press Enter) to see how {who} computed it.", { who: backward ? "autograd" : "torch" }) }));
    else if (backward) renderGradArithmetic(ui.arith, { answer, stage: d.stage, index: d.picked });
    else renderArithmetic(ui.arith, { answer, stage: d.stage, index: d.picked, grid, values: stageValues,
      move: (index) => actions.setDetail({ picked: index }) });
    dialog.focus();
  }

  store.subscribe((state) => render(state).catch((err) => { ui.readout.textContent = t("Cannot show this stage: {error}", { error: err.message }); }), ["detail", "run", "direction"]);
}
