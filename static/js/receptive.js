// Receptive fields: click a pixel of any map (or an exact value) → the values of every earlier stage
// that feed it are outlined, back to the input. Pure geometry in `fieldsBack`; the server's map layout
// (GET /api/runs/{id}/maps/{k}/layout) says where each value sits in a picture.

const pair = (v, fallback) => {
  const x = v === undefined || v === null ? fallback : v;
  return Array.isArray(x) ? x : [x, x];
};
const whole = (shape, n) => (shape.length === 4
  ? { n, c: [0, shape[1] - 1], y: [0, shape[2] - 1], x: [0, shape[3] - 1] }
  : shape.length === 2 ? { n, f: [0, shape[1] - 1] } : { n, whole: true });

/** Window geometry of a sliding layer, torch's defaults filled (pool stride = kernel_size). */
function geometry(layer) {
  const k = pair(layer.kernel_size);
  const isPool = layer.type.includes("Pool");
  const s = pair(layer.stride, isPool ? layer.kernel_size : 1);
  const d = pair(layer.dilation, 1);
  let p = layer.padding;
  if (p === "valid") p = 0;
  if (p === "same") p = [Math.floor((d[0] * (k[0] - 1)) / 2), Math.floor((d[1] * (k[1] - 1)) / 2)];
  return { k, s, d, p: pair(p, 0) };
}

/**
 * Smallest and largest input index, within [0, size), that `source(o, j)` gives for outputs o in [a, b] and
 * taps j < taps (null when none: e.g. a window wholly in the padding). `source` returns a
 * non-integer (or NaN) for a tap that reads nothing.
 */
function span([a, b], taps, size, source) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let o = a; o <= b; o++) {
    for (let j = 0; j < taps; j++) {
      const i = source(o, j);
      if (Number.isInteger(i) && i >= 0 && i < size) { lo = Math.min(lo, i); hi = Math.max(hi, i); }
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Where a tap in Conv2d's padding reads from, by padding_mode ("zeros" reads nothing). */
const PADDED = {
  zeros: (i) => i,
  reflect: (i, size) => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i),
  replicate: (i, size) => Math.min(Math.max(i, 0), size - 1),
  circular: (i, size) => ((i % size) + size) % size,
};

/** Output range of a sliding window (Conv2d, pooling) → the input range it reads (axis 0 = rows, 1 = columns). */
const windowRange = (range, g, axis, size, paddingMode = "zeros") =>
  span(range, g.k[axis], size, (o, j) => (PADDED[paddingMode] || PADDED.zeros)(o * g.s[axis] - g.p[axis] + j * g.d[axis], size));

/** Output range of a transposed window (ConvTranspose2d, MaxUnpool2d) → the inputs that write into it. */
const transposedRange = (range, g, axis, size) =>
  span(range, g.k[axis], size, (o, j) => (o + g.p[axis] - j * g.d[axis]) / g.s[axis]);

/** Adaptive pooling's windows, as torch computes them: floor(o·in/out) to ceil((o+1)·in/out) − 1. */
const adaptiveRange = ([a, b], inSize, outSize) => [Math.floor((a * inSize) / outSize), Math.ceil(((b + 1) * inSize) / outSize) - 1];

/** Upsample: the source rows of output rows [a, b], with torch's index arithmetic (interpolate's kernels). */
function resampleRange(range, layer, axis, inSize, outSize) {
  const mode = layer.mode || "nearest";
  const factor = pair(layer.scale_factor, null)[axis];
  const scaled = factor && !layer.recompute_scale_factor;
  if ((mode === "bilinear" || mode === "bicubic") && layer.align_corners) {
    const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
    return span(range, mode === "bicubic" ? 4 : 2, inSize, (o, j) => Math.min(Math.max(Math.floor(o * scale) + j - (mode === "bicubic" ? 1 : 0), 0), inSize - 1));
  }
  const scale = scaled ? 1 / factor : inSize / outSize;
  if (mode === "nearest") return span(range, 1, inSize, (o) => Math.min(Math.floor(o * scale), inSize - 1));
  if (mode === "nearest-exact") return span(range, 1, inSize, (o) => Math.min(Math.floor((o + 0.5) * scale), inSize - 1));
  if (mode === "bilinear") return span(range, 2, inSize, (o, j) => Math.min(Math.floor(Math.max((o + 0.5) * scale - 0.5, 0)) + j, inSize - 1));
  // bicubic: four taps around floor((o + 0.5)·scale − 0.5), clamped to the edge
  return span(range, 4, inSize, (o, j) => Math.min(Math.max(Math.floor((o + 0.5) * scale - 0.5) - 1 + j, 0), inSize - 1));
}

/** Channels of a grouped convolution that feed output channels [a, b]. */
function groupChannels([a, b], outC, inC, groups = 1) {
  const perOut = outC / groups;
  const perIn = inC / groups;
  return [Math.floor(a / perOut) * perIn, (Math.floor(b / perOut) + 1) * perIn - 1];
}

/** The field at a layer's output → the field at its input. Shapes are the run's (N, C, H, W) or (N, F). */
export function stepBack(layer, field, inShape, outShape) {
  if (!field) return null;
  if (field.whole) return whole(inShape, field.n);
  const t = layer.type;
  if (inShape.length === 4 && outShape.length === 4) {
    let { c, y, x } = field;
    const [, inC, inH, inW] = inShape;
    if (t === "Conv2d" || t === "MaxPool2d" || t === "AvgPool2d") {
      const g = geometry(layer);
      [y, x] = [windowRange(y, g, 0, inH, layer.padding_mode), windowRange(x, g, 1, inW, layer.padding_mode)];
      if (t === "Conv2d") c = groupChannels(c, outShape[1], inC, layer.groups);
    } else if (t === "ConvTranspose2d" || t === "MaxUnpool2d") {
      const g = geometry({ ...layer, type: t === "MaxUnpool2d" ? "Pool" : t });
      [y, x] = [transposedRange(y, g, 0, inH), transposedRange(x, g, 1, inW)];
      if (t === "ConvTranspose2d") c = groupChannels(c, outShape[1], inC, layer.groups);
    } else if (t.startsWith("Adaptive")) {
      [y, x] = [adaptiveRange(y, inH, outShape[2]), adaptiveRange(x, inW, outShape[3])];
    } else if (t === "Upsample") {
      [y, x] = [resampleRange(y, layer, 0, inH, outShape[2]), resampleRange(x, layer, 1, inW, outShape[3])];
    } else if (t === "Softmax" || t === "LogSoftmax") {
      const dim = layer.dim === undefined || layer.dim === null ? 1 : (layer.dim + 4) % 4;
      if (inShape[dim] === 1) return null; // softmax over one value is 1 whatever the input (log: 0)
      if (dim === 0) return whole(inShape, field.n);
      if (dim === 1) c = [0, inC - 1];
      if (dim === 2) y = [0, inH - 1];
      if (dim === 3) x = [0, inW - 1];
    } else if (t === "Linear") {
      x = [0, inW - 1]; // Linear acts on the last dimension
    }
    return y && x ? { n: field.n, c, y, x } : null; // null: only padding (or a bias) feeds this value
  }
  const flattensCHW = (layer.start_dim ?? 1) === 1 && [undefined, null, -1, 3].includes(layer.end_dim);
  if (t === "Flatten" && inShape.length === 4 && outShape.length === 2 && flattensCHW) {
    // Flatten(1, -1) keeps (c, y, x) order: feature f is element f of the sample's C·H·W values.
    const [hw, w] = [inShape[2] * inShape[3], inShape[3]];
    const [a, b] = field.f;
    if (a === b) {
      const [ch, row, col] = [Math.floor(a / hw), Math.floor((a % hw) / w), a % w];
      return { n: field.n, c: [ch, ch], y: [row, row], x: [col, col] };
    }
    return { n: field.n, c: [Math.floor(a / hw), Math.floor(b / hw)], y: [0, inShape[2] - 1], x: [0, inShape[3] - 1] };
  }
  if (inShape.length === 2 && outShape.length === 2) {
    if (t === "Linear") return whole(inShape, field.n);
    if (t === "Softmax" || t === "LogSoftmax") {
      const dim = layer.dim === undefined || layer.dim === null ? 1 : (layer.dim + 2) % 2;
      if (inShape[dim] === 1) return null;
      return dim === 1 ? whole(inShape, field.n) : { n: field.n, f: field.f };
    }
    return { n: field.n, f: field.f }; // elementwise
  }
  return whole(inShape, field.n);
}

/** Fields at every stage 0..k, from the field at stage k; `shapes[j]` is stage j's shape. */
export function fieldsBack(layers, shapes, k, field) {
  const out = [];
  out[k] = field;
  for (let j = k; j > 0; j--) out[j - 1] = stepBack(layers[j - 1], out[j], shapes[j - 1], shapes[j]);
  return out;
}

function describe(field) {
  if (!field) return "nothing (only padding or a bias)";
  if (field.whole) return "the whole sample";
  const span = ([a, b]) => (a === b ? `${a}` : `${a}–${b}`);
  if (field.f) return `sample ${field.n}, features ${span(field.f)}`;
  const [h, w] = [field.y[1] - field.y[0] + 1, field.x[1] - field.x[0] + 1];
  return `${h}×${w} (sample ${field.n}, channels ${span(field.c)}, rows ${span(field.y)}, cols ${span(field.x)})`;
}

// ---- the page: layouts, clicks, outlines ----

const layouts = new Map();

async function layoutOf(img) {
  const url = img.currentSrc || img.src;
  const u = new URL(url, location.href);
  const key = u.pathname.replace(/\.png$/, "/layout") + u.search;
  if (!layouts.has(key)) {
    layouts.set(key, fetch(key).then((r) => (r.ok ? r.json() : null)).catch(() => null));
    if (layouts.size > 500) layouts.delete(layouts.keys().next().value);
  }
  return layouts.get(key);
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
  const div = document.createElement("div");
  div.className = cls;
  div.dataset.tile = tile;
  div.dataset.rows = `${y0}-${y1}`;
  div.dataset.cols = `${x0}-${x1}`;
  Object.assign(div.style, { left: `${(100 * left) / width}%`, top: `${(100 * top) / height}%`, width: `${(100 * w) / width}%`, height: `${(100 * h) / height}%` });
  box.append(div);
}

/** Removes every outline and lit value under `box`. */
export function clearReceptiveField(box) {
  box.querySelectorAll(".rf-box, .rf-hit").forEach((n) => n.remove());
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

/**
 * Wires clicks on the maps and value tables of the stages in `box`.
 * `context()` gives { layers, shapes } of the run shown (shapes[j] = stage j's shape); `info` shows the field in words.
 */
export function enableReceptiveField(box, context, info) {
  async function show(k, field) {
    clearReceptiveField(box);
    const ctx = context();
    if (!ctx || !field) return;
    const fields = fieldsBack(ctx.layers, ctx.shapes, k, field);
    if (info) info.textContent = `Stage ${k}: ${describe(field)} reads ${describe(fields[0])} of the input.`;
    const stageEl = (j) => box.querySelector(`[data-index='${j}']`);
    fields.forEach((f, j) => markTables(stageEl(j), f, j === k ? "rf-src" : "rf"));
    const imgs = [...box.querySelectorAll("img.map[data-stage]")].filter((img) => Number(img.dataset.stage) <= k);
    await Promise.all(imgs.map(async (img) => {
      const j = Number(img.dataset.stage);
      const layout = await layoutOf(img);
      if (!layout || !img.parentElement) return;
      for (const rect of rectsOf(layout, fields[j], ctx.shapes[j])) outline(img.parentElement, layout, rect, j === k ? "rf-hit" : "rf-box");
    }));
    box.dataset.rf = `${k}`;
  }

  box.addEventListener("click", async (ev) => {
    const ctx = context();
    if (!ctx) return;
    const img = ev.target.closest("img.map[data-stage]");
    if (img) {
      const k = Number(img.dataset.stage);
      const layout = await layoutOf(img);
      if (!layout || !img.clientWidth) return;
      const px = (ev.offsetX * layout.width) / img.clientWidth;
      const py = (ev.offsetY * layout.height) / img.clientHeight;
      const where = hit(layout, px, py);
      show(k, where && fieldAt(layout, where, ctx.shapes[k]));
      return;
    }
    const td = ev.target.closest("details.values table.matrix td");
    if (!td) return;
    const k = Number(td.closest("[data-index]").dataset.index);
    const slice = td.closest("table").dataset.slice;
    const idx = slice ? slice.split(",").map(Number) : [];
    const [r, c] = [td.parentElement.rowIndex, td.cellIndex];
    const shape = ctx.shapes[k];
    if (shape.length === 4 && idx.length === 2) show(k, { n: idx[0], c: [idx[1], idx[1]], y: [r, r], x: [c, c] });
    else if (shape.length === 2 && !idx.length) show(k, { n: r, f: [c, c] });
  });
}
