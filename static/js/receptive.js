// Receptive fields on the page: click a pixel of any map (or an exact value), or focus a map and move
// over its values with the arrow keys → state.selection; the
// values of every earlier stage that feed it are outlined from the selection, back to the input.
// The geometry is field-geometry.js; the server's map layout (GET /api/runs/{id}/maps/{k}/layout)
// says where each value sits in a picture.

import { el } from "./dom.js";
import { fieldsBack } from "./field-geometry.js";
import { describe } from "./field-words.js";
import { t } from "./i18n.js";

/** A bounded cache of map layouts, by the map's URL (its run id and view settings included). */
function layoutCache(limit = 500) {
  const layouts = new Map();
  return (img) => {
    const u = new URL(img.currentSrc || img.src, location.href);
    const key = u.pathname.replace(/\.png$/, "/layout") + u.search;
    if (!layouts.has(key)) {
      layouts.set(key, fetch(key).then((r) => (r.ok ? r.json() : null)).catch(() => null));
      if (layouts.size > limit) layouts.delete(layouts.keys().next().value);
    }
    return layouts.get(key);
  };
}

/** Pixel (px, py) of a picture → { tile, r, c } or null (padding). */
function hit(layout, px, py) {
  const { pad, tile_width: tw, tile_height: th, columns } = layout;
  const col = Math.floor((px - pad) / (tw + pad));
  const row = Math.floor((py - pad) / (th + pad));
  const [x0, y0] = [pad + col * (tw + pad), pad + row * (th + pad)];
  const tile = row * columns + col;
  if (col < 0 || col >= columns || tile >= layout.count || px >= x0 + tw || py >= y0 + th) return null;
  return { tile, r: Math.floor(((py - y0) * layout.cell_rows) / th), c: Math.floor(((px - x0) * layout.cell_cols) / tw) };
}

/** The field of the value under a picture's pixel, at its own stage. */
function fieldAt(layout, where, shape) {
  const { tile, r, c } = where;
  if (layout.kind === "channels" && shape.length === 4) return { n: layout.sample, c: [tile, tile], y: [r, r], x: [c, c] };
  if (layout.kind === "images" && shape.length === 4) return { n: layout.first + tile, c: [0, shape[1] - 1], y: [r, r], x: [c, c] };
  if (layout.kind === "rows" && shape.length === 2) {
    const f = r * layout.cell_cols + c;
    return f < shape[1] ? { n: layout.first + tile, f: [f, f] } : null;
  }
  return null;
}

/** Rectangles [tile, y0, y1, x0, x1] (in values) of a field on a picture with this layout. */
function rectsOf(layout, field, shape) {
  const rects = [];
  if (!field) return rects;
  if (layout.kind === "channels" && field.c) {
    if (field.n !== layout.sample) return rects;
    for (let ch = field.c[0]; ch <= Math.min(field.c[1], layout.count - 1, field.c[0] + 255); ch++) rects.push([ch, ...field.y, ...field.x]);
  } else if (layout.kind === "images" && field.c) {
    const tile = field.n - layout.first;
    if (tile >= 0 && tile < layout.count) rects.push([tile, ...field.y, ...field.x]);
  } else if (layout.kind === "rows" && field.f) {
    const tile = field.n - layout.first;
    if (tile < 0 || tile >= layout.count) return rects;
    const cols = layout.cell_cols;
    const [r0, r1] = [Math.floor(field.f[0] / cols), Math.floor(field.f[1] / cols)];
    if (r0 === r1) rects.push([tile, r0, r0, field.f[0] % cols, field.f[1] % cols]);
    else rects.push([tile, r0, r1, 0, cols - 1]);
  } else if (field.whole || (layout.kind !== "channels" && shape.length !== 4)) {
    const tile = layout.kind === "channels" ? 0 : field.n - layout.first;
    if (tile >= 0 && tile < layout.count) rects.push([tile, 0, layout.cell_rows - 1, 0, layout.cell_cols - 1]);
  }
  return rects;
}

function outline(box, layout, rect, cls) {
  const [tile, y0, y1, x0, x1] = rect;
  const { pad, tile_width: tw, tile_height: th, columns, width, height } = layout;
  const [ox, oy] = [pad + (tile % columns) * (tw + pad), pad + Math.floor(tile / columns) * (th + pad)];
  const left = ox + (x0 * tw) / layout.cell_cols;
  const top = oy + (y0 * th) / layout.cell_rows;
  const w = ((x1 - x0 + 1) * tw) / layout.cell_cols;
  const h = ((y1 - y0 + 1) * th) / layout.cell_rows;
  box.append(el("div", { class: cls, "data-tile": tile, "data-rows": `${y0}-${y1}`, "data-cols": `${x0}-${x1}`,
    style: { left: `${(100 * left) / width}%`, top: `${(100 * top) / height}%`, width: `${(100 * w) / width}%`, height: `${(100 * h) / height}%` } }));
}

/** Removes every outline, lit value and rule error under `box`. */
function clearReceptiveField(box) {
  box.querySelectorAll(".rf-box, .rf-hit, [data-testid=rf-error]").forEach((n) => n.remove());
  box.querySelectorAll(".rf, .rf-src").forEach((n) => n.classList.remove("rf", "rf-src"));
}

/** Marks exact-value tables (slice "n,c" of a 4-D stage, or rows = samples of a 2-D one). */
function markTables(stageEl, field, cls) {
  if (!stageEl || !field || field.whole) return;
  const details = stageEl.querySelector("details.values");
  if (!details) return;
  for (const table of details.querySelectorAll("table.matrix")) {
    const slice = table.dataset.slice ? table.dataset.slice.split(",").map(Number) : [];
    if (field.f) {
      if (slice.length) continue;
      const row = table.rows[field.n];
      for (let f = field.f[0]; row && f <= field.f[1]; f++) if (row.cells[f]) row.cells[f].classList.add(cls);
      continue;
    }
    if (slice.length !== 2 || slice[0] !== field.n || slice[1] < field.c[0] || slice[1] > field.c[1]) continue;
    for (let i = field.y[0]; i <= field.y[1]; i++) {
      for (let j = field.x[0]; j <= field.x[1]; j++) {
        const cell = table.rows[i] && table.rows[i].cells[j];
        if (cell) cell.classList.add(cls);
      }
    }
  }
}

/** The field of the value clicked (a map's pixel or an exact value) at its own stage, or undefined. */
async function clickedField(ev, shapes, layoutOf) {
  const img = ev.target.closest("img.map[data-stage]");
  if (img) {
    const k = Number(img.dataset.stage);
    const layout = await layoutOf(img);
    const r = img.getBoundingClientRect(); // fractional, unlike offsetX: small maps shrunk into a grid need it
    if (!layout || !r.width) return undefined;
    const px = ((ev.clientX - r.left) * layout.width) / r.width;
    const py = ((ev.clientY - r.top) * layout.height) / r.height;
    const where = hit(layout, px, py);
    return { stage: k, field: where && fieldAt(layout, where, shapes[k]) };
  }
  const td = ev.target.closest("details.values table.matrix td");
  if (!td) return undefined;
  const k = Number(td.closest("[data-index]").dataset.index);
  const slice = td.closest("table").dataset.slice;
  const idx = slice ? slice.split(",").map(Number) : [];
  const [r, c] = [td.parentElement.rowIndex, td.cellIndex];
  const shape = shapes[k];
  if (shape.length === 4 && idx.length === 2) return { stage: k, field: { n: idx[0], c: [idx[1], idx[1]], y: [r, r], x: [c, c] } };
  if (shape.length === 2 && !idx.length) return { stage: k, field: { n: r, f: [c, c] } };
  return undefined;
}

const MOVES = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };

/** The value the arrow key `key` moves to from `at` on a picture of `layout` (past a tile's edge: the next tile). */
function stepped(layout, at, key) {
  const [dy, dx] = MOVES[key];
  let { tile, r, c } = at;
  [r, c] = [Math.max(0, Math.min(layout.cell_rows - 1, r + dy)), c + dx];
  if (c < 0 || c >= layout.cell_cols) {
    tile = (tile + dx + layout.count) % layout.count;
    c = c < 0 ? layout.cell_cols - 1 : 0;
  }
  return { tile, r, c };
}

/** The run of pipeline "a" or "b" as { layers, shapes, catalogue } (shapes[j] = stage j's shape). */
function runOf(state, pipeline) {
  const part = state.run && state.run[pipeline];
  if (!part) return null;
  return { layers: part.layers, catalogue: state.catalogue, shapes: [part.answer.input.shape, ...part.answer.layers.map((l) => l.output_shape)] };
}

/**
 * Clicks on the maps and value tables under `stages` select a value (actions.select); the outlines
 * and the words in `info` are drawn from state.selection. Esc clears the selection.
 */
export function mountReceptiveField(store, actions, stages, info) {
  const layoutOf = layoutCache();

  async function render(state) {
    stages.querySelectorAll(".stage-row").forEach(clearReceptiveField);
    info.textContent = "";
    const sel = state.selection;
    const ctx = sel && runOf(state, sel.pipeline);
    const row = stages.querySelector(`.stage-row[data-pipeline='${sel && sel.pipeline}']`);
    if (!ctx || !row || !sel.field) return;
    const k = sel.stage;
    const { fields, stoppedAt } = fieldsBack(ctx.layers, ctx.catalogue, ctx.shapes, k, sel.field);
    const stageEl = (j) => row.querySelector(`[data-index='${j}']`);
    if (stoppedAt) {
      const message = t("Receptive field not traced past layer {n}: {error}", { n: stoppedAt.stage, error: stoppedAt.error.message });
      stageEl(stoppedAt.stage).querySelector("header").after(el("p", { class: "error", role: "alert", testid: "rf-error", text: message }));
      info.textContent = `${t("Stage {n}: {field}.", { n: k, field: describe(sel.field) })} ${message}`;
    } else info.textContent = t("Stage {n}: {field} reads {input} of the input.", { n: k, field: describe(sel.field), input: describe(fields[0]) });
    fields.forEach((f, j) => markTables(stageEl(j), f, j === k ? "rf-src" : "rf")); // stages before a stop are left out
    const imgs = [...row.querySelectorAll("img.map[data-stage]")].filter((img) => Number(img.dataset.stage) <= k);
    let otherSample = null; // channel maps drawn for another item of the batch than the one clicked
    await Promise.all(imgs.map(async (img) => {
      const j = Number(img.dataset.stage);
      const layout = await layoutOf(img);
      if (!layout || !img.parentElement || store.state.selection !== sel) return;
      if (layout.kind === "channels" && fields[j] && fields[j].c && layout.sample !== fields[j].n) otherSample = layout.sample;
      for (const rect of rectsOf(layout, fields[j], ctx.shapes[j])) outline(img.parentElement, layout, rect, j === k ? "rf-hit" : "rf-box");
    }));
    if (otherSample !== null && store.state.selection === sel) {
      info.textContent += ` ${t("Channel maps show sample {shown}: set sample to {n} to see the field on them.", { shown: otherSample, n: sel.field.n })}`;
    }
  }

  store.subscribe(render, ["selection", "run"]);
  stages.addEventListener("click", async (ev) => {
    const row = ev.target.closest(".stage-row[data-pipeline]");
    const ctx = row && runOf(store.state, row.dataset.pipeline);
    if (!ctx) return;
    const picked = await clickedField(ev, ctx.shapes, layoutOf);
    if (picked) actions.select({ pipeline: row.dataset.pipeline, ...picked });
  });
  // The keyboard does what a click does: a focused map (Tab) takes the arrow keys, the value under its
  // cursor is selected (its field outlined, `info` says it politely); Enter or Space selects it again.
  const cursors = new WeakMap(); // img → { tile, r, c } last selected on it
  stages.addEventListener("keydown", async (ev) => {
    const img = ev.target.closest("img.map[data-stage]");
    const row = img && img.closest(".stage-row[data-pipeline]");
    const ctx = row && runOf(store.state, row.dataset.pipeline);
    if (!ctx || !(ev.key in MOVES || ev.key === "Enter" || ev.key === " ")) return;
    ev.preventDefault();
    const layout = await layoutOf(img);
    if (!layout) return;
    const k = Number(img.dataset.stage);
    const at = cursors.has(img) ? cursors.get(img) : { tile: 0, r: 0, c: 0 };
    const where = ev.key in MOVES && cursors.has(img) ? stepped(layout, at, ev.key) : at;
    cursors.set(img, where);
    actions.select({ pipeline: row.dataset.pipeline, stage: k, field: fieldAt(layout, where, ctx.shapes[k]) });
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") actions.select(null);
  });
}
