// The Networks panel: every network GET /api/models lists (shipped and trained, imported, each training
// job's latest checkpoint), with its facts; picking one puts its layers in pipeline A and its weights
// under them (state.weights_from), and "Untrained" runs the same layers from torch's init, one click apart.

import { el, byId as $ } from "./dom.js";
import { t } from "./i18n.js";
import { thousands } from "./numbers.js";

/** The CIFAR-10 image a network meets first when the input in the lab does not fit it. */
// Test image 3 of the bundled sample: a cat both shipped networks classify right (66 % and 85 %);
// image 0, an airplane, is called a ship by example 14, a poor first sight of a trained network.
const FIRST_IMAGE = { source: "cifar10", split: "test", index: 3 };

const percent = (x) => `${(100 * x).toFixed(1)} %`;
const big = thousands;
const sameSource = (a, b) => Boolean(a && b) && JSON.stringify(a) === JSON.stringify(b);

/** What a picked network is, in the lab's terms: its layers, its weights ({ model_id } or a job's { job_id, epoch }), its input shape. */
export const fromModel = (m) => ({ layers: m.layers, weights_from: m.weights_from ?? { model_id: m.model_id }, input_shape: m.input_shape, name: m.name });

const KINDS = { shipped: t("trained, shipped"), job: t("training checkpoint"), print: t("imported: print(model)"), onnx: t("imported: ONNX"), layers: t("imported: layers") };

const isCifarShape = (shape) => Array.isArray(shape) && shape.length === 4 && shape[1] === 3 && shape[2] === 32 && shape[3] === 32;
const isCifarInput = (input) => input.source === "cifar10" || input.source === "cifar10_batch";

/** A deterministic tensor of `shape` in [0, 1) for a network that does not take 3×32×32 pictures. */
function tensorOf(shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  return { source: "tensor", data: Array.from({ length: count }, (_, i) => ((i * 37) % 101) / 101), shape };
}

/** The input to run `net` on: the lab's when it is a CIFAR-10 image and the net takes those, else one that fits. */
export function inputFor(net, input) {
  const shape = net.input_shape ?? [1, 3, 32, 32];
  if (isCifarShape(shape)) return isCifarInput(input) ? input : FIRST_IMAGE;
  return tensorOf(shape);
}

/**
 * The state a first visit starts from: the shipped example-14 network, trained, on a CIFAR-10 image,
 * when the server has it (null otherwise: the lab's own default stays).
 */
export function firstVisit(models, preferred = "cifar10-example14") {
  const m = (models ?? []).find((x) => x.model_id === preferred);
  if (!m) return null;
  const net = fromModel(m);
  return { input: inputFor(net, {}), layers: net.layers, weights_from: net.weights_from };
}

/** `?model=<model_id>` (optionally `&index=<CIFAR-10 test image>`): the model a link asks for, or null. */
export function linkedModel(search) {
  const q = new URLSearchParams(search);
  const id = q.get("model");
  if (!id) return null;
  const index = Number(q.get("index"));
  return { model_id: id, index: Number.isInteger(index) && index >= 0 ? index : null };
}

/** The state of a link's model (fetched by id): its layers, its weights, on the image the link names. */
export function linkedState(model, index) {
  const net = fromModel(model);
  const input = index !== null && isCifarShape(net.input_shape ?? [1, 3, 32, 32]) ? { ...FIRST_IMAGE, index } : inputFor(net, {});
  return { input, layers: net.layers, weights_from: net.weights_from };
}

function modelFacts(m) {
  const parts = [t("{n} params", { n: big(m.params) }), t("{n} layers", { n: m.layers.length }), t("input {shape}", { shape: (m.input_shape ?? [1, 3, 32, 32]).join("×") })];
  if (m.trained) {
    if (Number.isFinite(m.trained.test_accuracy)) parts.unshift(t("{p} test accuracy", { p: percent(m.trained.test_accuracy) }));
    if (m.trained.epochs) parts.push(t("{n} epochs on {dataset}", { n: m.trained.epochs, dataset: m.trained.dataset }));
  }
  return parts.join(" · ");
}

/**
 * Mounts the panel. `run()` sends the lab's pipelines (main.js); `openImport()` shows the import
 * dialog. Returns { pick(net) } for the import dialog's "Open in the lab".
 */
export function mountModels(store, actions, { run, openImport }) {
  let trained = null; // the weights "Trained" goes back to: the last network picked, or the one in the state

  function pick(net) {
    const s = store.state;
    trained = { weights_from: net.weights_from, name: net.name };
    actions.load({ input: inputFor(net, s.input), layers: structuredClone(net.layers), weights_from: net.weights_from,
      compare: Array.isArray(s.compare) ? structuredClone(net.layers) : null, seed: s.seed, mode: s.mode, view: s.view });
    return run();
  }

  /** Trained or untrained weights under the same layers; the stage looked at stays (same shapes). */
  function useWeights(on) {
    const want = on ? trained?.weights_from ?? null : null;
    if (sameSource(want, store.state.weights_from) || (!want && !store.state.weights_from)) return;
    actions.setWeights("layers", want);
    run();
  }

  /** Pipeline B: the same layers untrained, beside A trained: one run of both. */
  function besideUntrained() {
    if (!store.state.weights_from && trained) actions.setWeights("layers", trained.weights_from);
    actions.startCompare();
    actions.setWeights("compare", null);
    run();
  }

  function entry(m, current) {
    const net = fromModel(m);
    const id = net.weights_from.model_id ?? `${net.weights_from.job_id}/${net.weights_from.epoch}`;
    return el("li", { class: `model${current ? " current" : ""}`, testid: "model" },
      el("button", { type: "button", class: "model-pick", "aria-pressed": String(current), "data-model": id, onclick: () => pick(net) },
        el("strong", { text: net.name }), el("span", { class: "model-kind", text: KINDS[m.source] ?? m.source })),
      el("p", { class: "facts", testid: "model-facts", text: modelFacts(m) }));
  }

  function renderList(state) {
    const box = $("models-list");
    if (!state.models) { box.replaceChildren(el("li", { class: "hint", text: t("Loading the networks…") })); return; }
    if (state.models.error) { box.replaceChildren(el("li", { class: "hint", text: state.models.error })); return; }
    const items = state.models.models.map((m) => entry(m, sameSource(state.weights_from, fromModel(m).weights_from)));
    box.replaceChildren(...(items.length ? items : [el("li", { class: "hint", text: t("No trained networks yet: import one, or train one on the Training page.") })]));
  }

  /** The name of what A runs with, from the list when it is there. */
  function nameOf(state, source) {
    if (!source) return null;
    const m = state.models?.models?.find((x) => sameSource(fromModel(x).weights_from, source));
    if (m) return m.name;
    const latest = t("latest");
    if (source.job_id) return t("training run {id}, epoch {epoch}", { id: source.job_id.slice(0, 8), epoch: source.epoch ?? latest });
    return source.model_id;
  }

  function renderWeights(state) {
    if (state.weights_from && !sameSource(state.weights_from, trained?.weights_from)) trained = { weights_from: state.weights_from, name: nameOf(state, state.weights_from) };
    const on = Boolean(state.weights_from);
    const name = trained ? nameOf(state, trained.weights_from) ?? trained.name : null;
    $("weights-now").textContent = on ? t("Weights: {name} (trained).", { name }) : t("Weights: untrained (torch's initialisation under seed {seed}).", { seed: state.seed });
    $("weights-trained").disabled = !trained;
    $("weights-trained").setAttribute("aria-pressed", String(on));
    $("weights-untrained").setAttribute("aria-pressed", String(!on));
    $("weights-trained").textContent = name ? t("Trained: {name}", { name }) : t("Trained (pick a network)");
    const comparing = Array.isArray(state.compare);
    $("weights-beside").disabled = !trained || (comparing && on && !state.compare_weights_from);
  }

  $("weights-trained").addEventListener("click", () => useWeights(true));
  $("weights-untrained").addEventListener("click", () => useWeights(false));
  $("weights-beside").addEventListener("click", besideUntrained);
  $("import-open").addEventListener("click", openImport);
  store.subscribe(renderList, ["models", "weights_from"]);
  store.subscribe(renderWeights, ["models", "weights_from", "compare", "compare_weights_from", "seed"]);
  renderList(store.state);
  renderWeights(store.state);
  return { pick };
}

/** GET /api/models as state.models ({ models } or { error } in words). */
export async function loadModels(api, actions, asked = api.models()) {
  try {
    actions.setModels({ models: await asked });
  } catch (err) {
    actions.setModels({ error: t("No networks from this server: {error}", { error: err.message }), models: [] });
  }
}
