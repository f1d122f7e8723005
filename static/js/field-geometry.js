// Receptive-field geometry, no DOM: which values of a layer's input feed a range of its outputs, with
// torch's own index arithmetic. Each step is checked against torch's autograd on random layers
// (tests/browser/test_receptive_torch.py). Across several layers the field is the rectangle of the
// previous rectangle, as receptive fields are usually drawn.
//
// A field: { n, c: [lo, hi], y: [lo, hi], x: [lo, hi] } on an (N, C, H, W) stage, { n, f: [lo, hi] } on
// an (N, F) one, { n, whole: true } elsewhere; null when nothing feeds it (padding or a bias only).

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
  const isPool = /pool/i.test(layer.type); // MaxPool2d, AvgPool2d, MaxUnpool2d: stride defaults to kernel_size
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
      const g = geometry(layer);
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

export function describe(field) {
  if (!field) return "nothing (only padding or a bias)";
  if (field.whole) return "the whole sample";
  const span = ([a, b]) => (a === b ? `${a}` : `${a}–${b}`);
  if (field.f) return `sample ${field.n}, features ${span(field.f)}`;
  const [h, w] = [field.y[1] - field.y[0] + 1, field.x[1] - field.x[0] + 1];
  return `${h}×${w} (sample ${field.n}, channels ${span(field.c)}, rows ${span(field.y)}, cols ${span(field.x)})`;
}
