// Receptive-field geometry, no DOM: which values of a layer's input feed a range of its outputs, with
// torch's own index arithmetic. A layer's rule is its catalogue entry's `receptive_field` (one of
// RULES below, declared in the engine's registry); a rule this page does not know is an error, never
// an identity. Each step is checked against torch's autograd on random layers
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

/**
 * A layer's arguments with torch's defaults filled in from its catalogue entry: an argument left out
 * takes the parameter's default, and one whose default follows another (`defaults_from`, e.g. a
 * pool's stride = kernel_size) takes that one's value when null.
 */
function argumentsOf(layer, info) {
  const args = Object.fromEntries(info.params.map((p) => [p.name, p.name in layer ? layer[p.name] : p.default]));
  for (const [name, from] of Object.entries(info.defaults_from || {})) if (args[name] === null || args[name] === undefined) args[name] = args[from];
  return args;
}

/** Window geometry of a sliding layer (kernel, stride, dilation, padding per axis). */
function geometry(a) {
  const k = pair(a.kernel_size);
  const s = pair(a.stride, 1);
  const d = pair(a.dilation, 1);
  let p = a.padding;
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

/** Output range of a sliding window → the input range it reads (axis 0 = rows, 1 = columns). */
const windowRange = (range, g, axis, size, paddingMode = "zeros") =>
  span(range, g.k[axis], size, (o, j) => (PADDED[paddingMode] || PADDED.zeros)(o * g.s[axis] - g.p[axis] + j * g.d[axis], size));

/** Output range of a transposed window → the inputs that write into it. */
const transposedRange = (range, g, axis, size) =>
  span(range, g.k[axis], size, (o, j) => (o + g.p[axis] - j * g.d[axis]) / g.s[axis]);

/** Adaptive pooling's windows, as torch computes them: floor(o·in/out) to ceil((o+1)·in/out) − 1. */
const adaptiveRange = ([a, b], inSize, outSize) => [Math.floor((a * inSize) / outSize), Math.ceil(((b + 1) * inSize) / outSize) - 1];

/** Resampling: the source rows of output rows [a, b], with torch's index arithmetic (interpolate's kernels). */
function resampleRange(range, a, axis, inSize, outSize) {
  const mode = a.mode || "nearest";
  const factor = pair(a.scale_factor, null)[axis];
  const scaled = factor && !a.recompute_scale_factor;
  if ((mode === "bilinear" || mode === "bicubic") && a.align_corners) {
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
function groupChannels([a, b], outC, inC, groups) {
  const perOut = outC / groups;
  const perIn = inC / groups;
  return [Math.floor(a / perOut) * perIn, (Math.floor(b / perOut) + 1) * perIn - 1];
}

/** A 4-D field, or null when a window reads only padding on some axis. */
const box = (n, c, y, x) => (y && x ? { n, c, y, x } : null);
const both4d = (inShape, outShape) => inShape.length === 4 && outShape.length === 4;
/** Channels feeding output channels c: a layer with `groups` mixes channels within a group; others keep them. */
const channels = (a, c, inShape, outShape) => ("groups" in a ? groupChannels(c, outShape[1], inShape[1], a.groups) : c);

/** Softmax over `dim` (null: torch's implicit dim 1): every value along that dim feeds each output. */
function softmaxBack(a, field, inShape, outShape) {
  const rank = inShape.length;
  if (rank !== outShape.length || (rank !== 4 && rank !== 2)) return whole(inShape, field.n);
  const dim = a.dim === undefined || a.dim === null ? 1 : (a.dim + rank) % rank;
  if (inShape[dim] === 1) return null; // softmax over one value is 1 whatever the input (log: 0)
  if (dim === 0) return { ...field }; // over the batch: a field names one sample, so the same place of it
  if (rank === 2) return whole(inShape, field.n);
  const span = [field.c, field.y, field.x].map((r, i) => (i + 1 === dim ? [0, inShape[dim] - 1] : r));
  return { n: field.n, c: span[0], y: span[1], x: span[2] };
}

/** Flatten(1, -1) keeps (c, y, x) order: feature f is element f of the sample's C·H·W values. */
function flattenBack(a, field, inShape, outShape) {
  if (inShape.join() === outShape.join()) return { ...field }; // nothing flattened
  const flattensCHW = a.start_dim === 1 && (a.end_dim === -1 || a.end_dim === 3);
  if (!(inShape.length === 4 && outShape.length === 2 && flattensCHW)) return whole(inShape, field.n);
  const [hw, w] = [inShape[2] * inShape[3], inShape[3]];
  const [lo, hi] = field.f;
  if (lo === hi) {
    const [ch, row, col] = [Math.floor(lo / hw), Math.floor((lo % hw) / w), lo % w];
    return { n: field.n, c: [ch, ch], y: [row, row], x: [col, col] };
  }
  return { n: field.n, c: [Math.floor(lo / hw), Math.floor(hi / hw)], y: [0, inShape[2] - 1], x: [0, inShape[3] - 1] };
}

/**
 * Each rule of the registry (`receptive_field` in GET /api/layers): (arguments, field at the output,
 * input shape, output shape) → the field at the input. A new spatial layer picks one of these.
 */
export const RULES = {
  elementwise: (a, field, inShape, outShape) => (both4d(inShape, outShape) ? { ...field }
    : inShape.length === 2 && outShape.length === 2 ? { n: field.n, f: field.f } : whole(inShape, field.n)),
  window: (a, field, inShape, outShape) => {
    if (!both4d(inShape, outShape)) return whole(inShape, field.n);
    const g = geometry(a);
    return box(field.n, channels(a, field.c, inShape, outShape),
      windowRange(field.y, g, 0, inShape[2], a.padding_mode), windowRange(field.x, g, 1, inShape[3], a.padding_mode));
  },
  transposed_window: (a, field, inShape, outShape) => {
    if (!both4d(inShape, outShape)) return whole(inShape, field.n);
    const g = geometry(a);
    return box(field.n, channels(a, field.c, inShape, outShape), transposedRange(field.y, g, 0, inShape[2]), transposedRange(field.x, g, 1, inShape[3]));
  },
  adaptive: (a, field, inShape, outShape) => (!both4d(inShape, outShape) ? whole(inShape, field.n)
    : { n: field.n, c: field.c, y: adaptiveRange(field.y, inShape[2], outShape[2]), x: adaptiveRange(field.x, inShape[3], outShape[3]) }),
  resample: (a, field, inShape, outShape) => (!both4d(inShape, outShape) ? whole(inShape, field.n)
    : box(field.n, field.c, resampleRange(field.y, a, 0, inShape[2], outShape[2]), resampleRange(field.x, a, 1, inShape[3], outShape[3]))),
  softmax: softmaxBack,
  flatten: flattenBack,
  // Linear: every feature of the last dimension feeds each output (on images: a whole row)
  everything: (a, field, inShape, outShape) => (both4d(inShape, outShape) ? { ...field, x: [0, inShape[3] - 1] } : whole(inShape, field.n)),
};

/** A layer whose catalogue entry names a rule this page does not know. */
export class UnknownRuleError extends Error {
  constructor(type, rule) {
    super(`${type} declares the receptive-field rule “${rule}”, which this page does not know (it knows ${Object.keys(RULES).join(", ")}): reload the page, or add the rule to field-geometry.js.`);
    this.rule = rule;
  }
}

/**
 * The field at a layer's output → the field at its input; `info` is the layer's catalogue entry.
 * Shapes are the run's (N, C, H, W) or (N, F). Throws UnknownRuleError for a rule not in RULES.
 */
export function stepBack(layer, info, field, inShape, outShape) {
  const rule = Object.hasOwn(RULES, info.receptive_field) ? RULES[info.receptive_field] : null;
  if (!rule) throw new UnknownRuleError(layer.type, info.receptive_field);
  if (!field) return null;
  if (field.whole) return whole(inShape, field.n);
  return rule(argumentsOf(layer, info), field, inShape, outShape);
}

/**
 * Fields at every stage 0..k, from the field at stage k; `shapes[j]` is stage j's shape, `catalogue`
 * maps a type to its entry. `stoppedAt`: { stage, error } where a layer's rule is unknown (the fields
 * before it are undefined), else null.
 */
export function fieldsBack(layers, catalogue, shapes, k, field) {
  const fields = [];
  fields[k] = field;
  for (let j = k; j > 0; j--) {
    try {
      fields[j - 1] = stepBack(layers[j - 1], catalogue[layers[j - 1].type], fields[j], shapes[j - 1], shapes[j]);
    } catch (error) {
      if (!(error instanceof UnknownRuleError)) throw error;
      return { fields, stoppedAt: { stage: j, error } };
    }
  }
  return { fields, stoppedAt: null };
}
