// A stage's values laid out for the detail view: tiles of cells, each cell an index [n, c, y, x] of
// the tensor, coloured by a colormap over a range. Pure: no DOM, testable with plain arrays.

/** How stage values of `shape` are shown for batch item `n`: tiles (channels) of rows × cols cells. */
export function gridOf(shape, n = 0) {
  const r = shape.length;
  if (r === 4) {
    const [, C, H, W] = shape;
    return { tiles: C, rows: H, cols: W, index: (t, y, x) => [n, t, y, x] };
  }
  if (r === 3) {
    const [C, H, W] = shape;
    return { tiles: C, rows: H, cols: W, index: (t, y, x) => [t, y, x] };
  }
  // A vector per sample (after Flatten/Linear): wrapped into rows of at most 64 values.
  const F = shape[r - 1] ?? 1;
  const cols = Math.min(F, 64);
  const rows = Math.ceil(F / cols);
  const lead = r === 2 ? [n] : [];
  return { tiles: 1, rows, cols, index: (t, y, x) => (y * cols + x < F ? [...lead, y * cols + x] : null) };
}

/** Flat offset of `index` in a C-order tensor of `shape`. */
export function offsetOf(shape, index) {
  let off = 0;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + index[d];
  return off;
}

/** The values of tile t (a channel of sample n) as a Float32Array view: rows × cols, C order. */
export function tileValues(values, grid, t) {
  const first = grid.index(t, 0, 0);
  const start = offsetOf(values.shape, first);
  const count = grid.tiles > 1 || values.shape.length >= 3 ? grid.rows * grid.cols : Math.min(grid.rows * grid.cols, values.shape.at(-1));
  return values.data.subarray(start, start + count);
}

function finiteRange(array) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of array) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * The [lo, hi] each tile is coloured over: its own (per_channel), one over every tile (shared), or
 * the window the user typed (fixed). Signed data uses the diverging map, centred on 0 as the PNGs are.
 */
export function rangesOf(values, grid, normalize, fixed) {
  const own = Array.from({ length: grid.tiles }, (_, t) => finiteRange(tileValues(values, grid, t)));
  const anyNegative = own.some(([lo]) => lo < 0);
  const cmap = anyNegative ? "diverging" : "viridis";
  let ranges = own;
  if (normalize === "fixed" && fixed) ranges = own.map(() => fixed);
  else if (normalize === "shared") {
    const all = [Math.min(...own.map((r) => r[0])), Math.max(...own.map((r) => r[1]))];
    ranges = own.map(() => all);
  }
  if (cmap === "diverging" && normalize !== "fixed") ranges = ranges.map(([lo, hi]) => [-Math.max(-lo, hi), Math.max(-lo, hi)]);
  return { cmap, ranges };
}

const parsed = new WeakMap(); // palette (hex list) → its [r, g, b] triples

/** RGBA pixels of one tile: each value's colour from `palette` (hex colours, lowest first) over [lo, hi]. */
export function paint(tile, [lo, hi], palette, rgba = new Uint8ClampedArray(tile.length * 4)) {
  if (!parsed.has(palette)) parsed.set(palette, palette.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16))));
  const rgb = parsed.get(palette);
  const top = rgb.length - 1;
  const scale = hi > lo ? top / (hi - lo) : 0;
  for (let i = 0; i < tile.length; i++) {
    const v = tile[i];
    const level = Number.isFinite(v) ? Math.max(0, Math.min(top, Math.round((v - lo) * scale))) : 0;
    const [r, g, b] = rgb[level];
    rgba[4 * i] = r;
    rgba[4 * i + 1] = g;
    rgba[4 * i + 2] = b;
    rgba[4 * i + 3] = Number.isFinite(v) ? 255 : 64; // non-finite values faded
  }
  return rgba;
}
