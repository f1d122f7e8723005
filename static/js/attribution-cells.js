// Grad-CAM's cells on the input, no DOM: where each cell of a stage lands in the upsampled overlay, and
// which input values it reads (its receptive field, field-geometry.js walked back from that stage).

import { fieldsBack } from "./field-geometry.js";

/**
 * The input rows (or columns) that nearest-neighbour upsampling from `cells` to `size` gives cell `i`:
 * torch's "nearest" reads source ⌊dst · cells / size⌋, so cell i covers dst ⌈i·size/cells⌉ … ⌈(i+1)·size/cells⌉ − 1.
 */
export function upsampledSpan(i, cells, size) {
  return [Math.ceil((i * size) / cells), Math.ceil(((i + 1) * size) / cells) - 1];
}

/**
 * The receptive field in the input (stage 0) of Grad-CAM cell (r, c) at stage `k`, for sample `n`:
 * every channel of that stage at that position. `shapes[j]` is stage j's shape, `layers` the run's.
 * Returns { field, stoppedAt } (field-geometry's words: null field = nothing feeds it).
 */
export function cellField(layers, catalogue, shapes, k, n, r, c) {
  const channels = shapes[k][1];
  const { fields, stoppedAt } = fieldsBack(layers, catalogue, shapes, k, { n, c: [0, channels - 1], y: [r, r], x: [c, c] });
  return { field: stoppedAt ? undefined : fields[0], stoppedAt };
}

/**
 * Stages (1-based, as a run's `index`) whose output has rows and columns: where Grad-CAM may look. A pool
 * whose indices an unpooling layer takes (`indices_from`) gives a pair, not a map, and is left out.
 */
export function spatialStages(answer, layers) {
  const pairs = new Set(layers.map((l) => l.indices_from).filter(Number.isInteger));
  return answer.layers.filter((l) => l.output_shape.length === 4 && !pairs.has(l.index)).map((l) => l.index);
}
