// The lab's one state object, the only functions that change it (actions), and its round trip
// through the URL hash: everything under PERSISTED lives in `#s=...`, so a link reproduces the view.

import { createStore } from "./store.js";
import { ACTIVATIONS, activationActions } from "./activations.js";

const PERSISTED = ["input", "layers", "compare", "seed", "mode", "view", "example", "direction", "backward", "weights_from", "compare_weights_from"];

const INITIAL = {
  input: { source: "tensor", data: [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]], shape: [1, 1, 4, 4] },
  layers: [{ type: "MaxPool2d", kernel_size: 2, stride: 2 }],
  compare: null, // pipeline B's layers when comparing two pipelines on the same input, else null
  seed: 0,
  mode: "eval",
  // auto: pictures drawn as pictures (a batch as a grid, as TensorBoard's add_images), other maps coloured;
  // sample null: the whole batch of pictures, item 0's channels
  view: { colormap: "auto", normalize: "per_channel", sample: null },
  example: null,
  // forward: the stages show their outputs; backward: ∂loss/∂ each stage's output (the run asks for "backward")
  direction: "forward",
  // what backward differentiates: a loss of GET /api/losses against `target` ("" = "label" for CIFAR-10 inputs,
  // else the first output value), or loss "output": the one output value at index `target` ("0,3")
  backward: { loss: "CrossEntropyLoss", target: "" },
  // the trained weights pipeline A runs with ({ model_id } or { job_id, epoch? }), null: torch's init under `seed`
  weights_from: null,
  compare_weights_from: null, // the same for pipeline B
  // --- this tab only (not in the URL) ---
  catalogue: {}, // layer type → its entry of GET /api/layers, in the registry's order
  errors: [], // refusals: { pipeline: "layers" | "compare" | null, position: 0-based card or null, message }
  running: false,
  run: null, // the run shown: { a, b } answers of POST /api/pipeline/run, { layers, compare } as sent
  selection: null, // the value whose receptive field is outlined: { pipeline: "layers" | "compare", stage, field }
  checks: null, // an example's checks against torch: { target: "example" | "loss", title, rows }
  // the stage detail view: { pipeline: "a" | "b", stage, sample, zoom: "1"…"8" | "fit", normalize, fixed: [lo, hi], picked: index | null }
  detail: null,
  activations: ACTIVATIONS,
  // the Attribution view (attribution.js): what to ask, the answer for run `forRun`, the Grad-CAM cell picked
  attribution: { method: "saliency", target: null, layer: null, steps: 50, opacity: 0.5, answer: null, forRun: null,
    cell: null, error: null, busy: false, classes: null },
  models: null, // the Networks panel's list: { models: [...GET /api/models] } or { error, models: [] }; null: not loaded yet
};

export const createLabStore = () => createStore(INITIAL);

/** The functions that change the lab's state; views call these and render on the notification. */
export function labActions(store) {
  const update = (changes) => store.update(changes);
  return {
    setCatalogue: (catalogue) => update({ catalogue }),
    /** Persisted fields at once (an example, a pasted link): no B and no example unless given; old refusals go. */
    load: (saved) => update({ compare: null, example: null, weights_from: null, compare_weights_from: null, errors: [], checks: null, ...saved }),
    setInput: (input) => update({ input }),
    /** `which`: "layers" (pipeline A) or "compare" (B). Editing a pipeline clears its stale refusals. */
    setPipeline: (which, layers) => update({ [which]: layers, errors: [] }),
    startCompare: () => update((s) => ({ compare: structuredClone(s.layers) })), // B starts as a copy of A
    stopCompare: () => update({ compare: null, compare_weights_from: null, errors: [] }),
    /** Trained weights for pipeline `which` ("layers" or "compare"): { model_id } or { job_id, epoch? }; null: untrained. */
    setWeights: (which, weightsFrom) => update({ [which === "compare" ? "compare_weights_from" : "weights_from"]: weightsFrom, errors: [] }),
    setModels: (models) => update({ models }),
    setSeed: (seed) => update({ seed }),
    setMode: (mode) => update({ mode }),
    setDirection: (direction) => update({ direction }),
    setBackward: (changes) => update((s) => ({ backward: { ...s.backward, ...changes } })),
    setView: (changes) => update((s) => ({ view: { ...s.view, ...changes } })),
    refuse: (errors) => update({ errors }),
    setRunning: (running) => update({ running }),
    /** A new run keeps the value outlined and the stage opened when every stage has the shape it had (new weights, same net). */
    showRun: (run) => update((s) => (sameStages(s.run, run) ? { run } : { run, selection: null, detail: null })),
    openDetail: ({ pipeline, stage }) => update((s) => ({ detail: { pipeline, stage, sample: s.view.sample ?? 0, zoom: "fit", normalize: "per_channel", fixed: null, picked: null } })),
    setDetail: (changes) => update((s) => ({ detail: { ...s.detail, ...changes } })),
    closeDetail: () => update({ detail: null }),
    select: (selection) => update({ selection }),
    showChecks: (checks) => update({ checks }),
    setAttribution: (changes) => update((s) => ({ attribution: { ...s.attribution, ...changes } })),
    ...activationActions(store),
  };
}

const shapesOf = (part) => part && [part.answer.input.shape, ...part.answer.layers.map((l) => l.output_shape)];

/** Whether two runs have the same stages, shape for shape, in A and in B. */
export function sameStages(old, run) {
  if (!old || !run) return false;
  return ["a", "b"].every((k) => JSON.stringify(shapesOf(old[k])) === JSON.stringify(shapesOf(run[k])));
}

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The lab's address for a persisted state (the fields of PERSISTED it gives; the rest take the lab's defaults). */
export const labUrl = (saved) => `/#s=${toBase64Url(JSON.stringify(saved))}`;

/** The persisted part of a `#s=...` hash, or null when the hash holds none. */
export function stateFromHash(hash) {
  const m = hash.match(/^#s=([A-Za-z0-9_-]+)$/);
  if (!m) return null;
  try {
    const saved = JSON.parse(fromBase64Url(m[1]));
    return Object.fromEntries(PERSISTED.filter((k) => k in saved).map((k) => [k, saved[k]]));
  } catch (err) {
    return null;
  }
}

/**
 * Keeps the URL hash in step with the persisted state (replaceState: no history entry per edit),
 * from now: a state the page started from (a first visit's network, a ?model= link) is in it at once.
 */
export function persistInUrl(store) {
  const write = (s) => {
    const saved = Object.fromEntries(PERSISTED.map((k) => [k, s[k]]));
    history.replaceState(null, "", `#s=${toBase64Url(JSON.stringify(saved))}`);
  };
  write(store.state);
  return store.subscribe(write, PERSISTED);
}
