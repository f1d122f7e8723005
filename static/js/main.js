// Entry point of the lab page: creates the store, mounts every view on it, loads the catalogue,
// restores the state from the URL and wires the page-wide controls. Nothing else adds listeners.

import { api, ApiError } from "./api.js";
import { busy, byId as $, show } from "./dom.js";
import { createLabStore, labActions, persistInUrl, stateFromHash } from "./lab-state.js";
import { typeOptions, mountPipelineEditor } from "./pipeline.js";
import { missingRequired } from "./layer-form.js";
import { mountInputs } from "./inputs.js";
import { mapsDecoded, mountResults, prefetchMaps, prefetchStages } from "./results.js";
import { mountReceptiveField } from "./receptive.js";
import { mountExamples } from "./examples.js";
import { mountActivations } from "./activations.js";
import { mountTrainLink } from "./train-link.js";
import { mountAttribution } from "./attribution.js";
import { backwardRequest, mountBackward } from "./backward.js";
import { firstVisit, fromModel, linkedModel, linkedState, loadModels, mountModels } from "./models.js";
import { mountImport } from "./model-import.js";
import { mountPrediction } from "./prediction.js";
import { t } from "./i18n.js";

/** Layers a card cannot send (required values missing), as refusals of pipeline `which`. */
function localRefusals(which, layers, catalogue) {
  return layers.flatMap((layer, i) => {
    const info = catalogue[layer.type];
    const missing = info ? missingRequired(layer, info) : [t("unknown layer type {type}", { type: layer.type })];
    return missing.length ? [{ pipeline: which, position: i, message: `${missing.join("; ")}.` }] : [];
  });
}

/** A refusal from the API, on the card it names (loc = ["body", "layers", i, ...]) or in words. */
function apiRefusals(which, err) {
  if (!(err instanceof ApiError) || !Array.isArray(err.detail)) return [{ pipeline: which, position: null, message: err.message }];
  return err.detail.map((d) => {
    const position = d.loc && d.loc[1] === "layers" && Number.isInteger(d.loc[2]) ? d.loc[2] : null;
    const where = d.loc && position === null ? ` (${d.loc.slice(1).join(" → ")})` : "";
    return { pipeline: which, position, message: `${d.msg}${where}` };
  });
}

/** Refusals no card shows (none named, or a card that is not there), in #global-error. */
function renderGlobalErrors(state) {
  const cardless = state.errors.filter((e) => !Number.isInteger(e.position) || !(state[e.pipeline] || [])[e.position]);
  const text = cardless.map((e) => (e.pipeline === "compare" ? t("Pipeline B: {message}", { message: e.message }) : e.message)).join(" ");
  show($("global-error"), Boolean(text), text);
}

function renderControls(state) {
  const comparing = Array.isArray(state.compare);
  $("compare-col").hidden = !comparing;
  $("pipe-a-h").hidden = !comparing;
  $("compare").hidden = comparing;
  $("pipelines").classList.toggle("two", comparing);
  $("pipeline-section").classList.toggle("wide", comparing); // two pipelines need the full width
  $("seed").value = state.seed;
  $("mode").value = state.mode;
  $("colormap").value = state.view.colormap;
  $("normalize").value = state.view.normalize;
  $("sample").value = state.view.sample ?? "";
  $("run").disabled = state.running;
}

/** Answers of the last few runs by request, so going back to weights or layers just seen is instant. */
function answerCache(size = 16) {
  const answers = new Map();
  return {
    get: (key) => answers.get(key),
    put(key, value) {
      answers.delete(key);
      answers.set(key, value);
      if (answers.size > size) answers.delete(answers.keys().next().value);
    },
  };
}

function mountLab(store, actions, examples) {
  const cache = answerCache();
  let latest = 0; // the newest run asked for: an older one answering later is not drawn over it
  /**
   * Sends pipeline A (and B on the same input when comparing); refusals go on the offending cards.
   * Resolves to A's answer with B's as `.b`, or null when refused.
   */
  async function run() {
    const s = store.state;
    const comparing = Array.isArray(s.compare);
    const local = [...localRefusals("layers", s.layers, s.catalogue), ...(comparing ? localRefusals("compare", s.compare, s.catalogue) : [])];
    let backward = null;
    if (s.direction === "backward") {
      try { backward = backwardRequest(s); } catch (err) { local.push({ pipeline: null, position: null, message: err.message }); }
    }
    if (local.length || s.errors.length) actions.refuse(local); // (no update when there is nothing to clear: the cards are not redrawn)
    if (local.length) return null;
    const payload = (layers, weights) => ({ input: s.input, layers, seed: s.seed, mode: s.mode,
      ...(weights ? { weights_from: weights } : {}), ...(backward ? { backward } : {}) });
    const id = ++latest;
    const part = (answer, layers, weights) => ({ answer, layers, weights });
    const text = comparing
      ? t("Running A ({a}) and B ({b} layers)…", { a: s.layers.length, b: s.compare.length })
      : t("Running {n} layer(s)…", { n: s.layers.length });
    const key = JSON.stringify([payload(s.layers, s.weights_from), comparing && payload(s.compare, s.compare_weights_from)]);
    const seen = cache.get(key);
    if (seen) {
      actions.showRun({ ...seen, input: s.input });
      return { ...seen.a.answer, b: seen.b && seen.b.answer };
    }
    // Each answer's maps are asked for the moment its headers arrive (its run id), before its body is read;
    // the requests leave before the page shows that it is running.
    const send = (layers, weights) => api.run(payload(layers, weights), s.view, (runId) => prefetchStages(runId, layers.length, s.view, Boolean(backward)));
    const sent = Promise.allSettled([send(s.layers, s.weights_from), comparing ? send(s.compare, s.compare_weights_from) : null]);
    actions.setRunning(true);
    try {
      const [a, b] = await busy(text, async () => {
        const answers = await sent;
        // The run is drawn once its maps are decoded (off the main thread): one frame paints every stage.
        const fulfilled = answers.map((x) => (x.status === "fulfilled" ? x.value : null));
        await mapsDecoded(fulfilled, s.view, Boolean(backward));
        fulfilled.forEach((answer) => answer && prefetchMaps(answer, s.view, Boolean(backward))); // the other view's, for a switch
        return answers;
      });
      if (id !== latest) return null;
      const refused = [...(a.status === "rejected" ? apiRefusals("layers", a.reason) : []),
        ...(b.status === "rejected" ? apiRefusals("compare", b.reason) : [])];
      if (refused.length) { actions.refuse(refused); return null; }
      // The layers that were sent are drawn with their answer: the cards may change while it runs.
      const shown = { a: part(a.value, s.layers, s.weights_from), b: comparing ? part(b.value, s.compare, s.compare_weights_from) : null };
      cache.put(key, shown);
      actions.showRun({ ...shown, input: s.input });
      return { ...a.value, b: b.value };
    } finally {
      if (id === latest) actions.setRunning(false);
    }
  }

  const editorA = mountPipelineEditor(store, actions, "layers", $("pipeline"));
  const editorB = mountPipelineEditor(store, actions, "compare", $("pipeline-b"), t("Pipeline B"));
  mountInputs(store, actions);
  mountResults(store);
  mountReceptiveField(store, actions, $("stages"), $("rf-info"));
  // The detail view is imported on its first use: the lab starts without it.
  let detail = null;
  $("stages").addEventListener("click", async (ev) => {
    const button = ev.target.closest("[data-testid=open-detail]");
    if (!button) return;
    detail ??= import("./detail.js").then((module) => module.mountDetail(store, actions));
    await detail;
    actions.openDetail({ pipeline: button.dataset.pipeline, stage: Number(button.dataset.stage) });
  });
  const showCurves = mountActivations(store, actions);
  mountExamples(store, actions, examples, { run, showCurves });
  mountTrainLink(store, $("train-this"));
  mountAttribution(store, actions);
  mountBackward(store, actions, run);
  mountPrediction(store);
  const reloadModels = () => loadModels(api, actions);
  let networks = null;
  const openImport = mountImport({ api, open: (model) => networks.pick(fromModel(model)), imported: reloadModels });
  networks = mountModels(store, actions, { run, openImport });
  store.subscribe(renderControls, ["compare", "seed", "mode", "view", "running"]);
  store.subscribe(renderGlobalErrors, ["errors"]);
  persistInUrl(store);
  renderControls(store.state);

  $("add-layer").addEventListener("click", () => editorA.add($("add-type").value));
  $("add-layer-b").addEventListener("click", () => editorB.add($("add-type-b").value));
  $("compare").addEventListener("click", () => {
    actions.startCompare();
    $("pipeline-b").querySelector("[data-testid=layer-card]")?.focus();
  });
  $("compare-close").addEventListener("click", actions.stopCompare);
  $("run").addEventListener("click", run);
  $("seed").addEventListener("change", () => actions.setSeed(Number($("seed").value) || 0));
  $("mode").addEventListener("change", () => actions.setMode($("mode").value));
  $("colormap").addEventListener("change", () => actions.setView({ colormap: $("colormap").value }));
  $("normalize").addEventListener("change", () => actions.setView({ normalize: $("normalize").value }));
  $("sample").addEventListener("change", () => {
    const v = $("sample").value;
    actions.setView({ sample: v === "" ? null : Math.max(0, Number(v) || 0) });
  });
  $("share").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(location.href); $("share").textContent = t("Link copied ✓"); }
    catch (err) { $("share").textContent = t("Link is in the address bar"); }
    setTimeout(() => ($("share").textContent = t("Copy link")), 2000);
  });
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") { ev.preventDefault(); run(); }
  });
  // A link pasted into this tab changes only the hash: load it as a fresh page would.
  // (persistInUrl uses history.replaceState, which fires no hashchange.)
  window.addEventListener("hashchange", () => {
    const saved = stateFromHash(location.hash);
    if (saved) { actions.load(saved); run(); }
  });
  return run;
}

/**
 * With no state in the hash: the model a link names (`/?model=<id>&index=<n>`, the query then
 * dropped: the hash carries it from here), else the shipped trained network on a first visit, else null.
 */
async function startingState(models, linked) {
  if (linked) {
    history.replaceState(null, "", location.pathname);
    try {
      return linkedState(await api.model(linked.model_id), linked.index);
    } catch (err) {
      show($("global-error"), true, t("The link names model {id}, which this server cannot open: {error}", { id: linked.model_id, error: err.message }));
      return null;
    }
  }
  return firstVisit(models);
}

async function start() {
  const store = createLabStore();
  const actions = labActions(store);
  let catalogue;
  const modelsAsked = api.models(); // with the catalogue: a first visit opens the trained network
  loadModels(api, actions, modelsAsked);
  let examples;
  try {
    // The examples list is not the lab: when it cannot load, the panel says so and the lab still works.
    [catalogue, examples] = await Promise.all([api.catalogue(), api.examples().catch((err) => ({ error: err.message }))]);
  } catch (err) {
    show($("global-error"), true, t("Cannot load the layer catalogue: {error}", { error: err.message }));
    return;
  }
  actions.setCatalogue(catalogue);
  typeOptions($("add-type"), catalogue);
  typeOptions($("add-type-b"), catalogue);
  const linked = linkedModel(location.search);
  // Only a first visit waits for the list of networks (asked for with the catalogue): it may open one.
  const saved = stateFromHash(location.hash) ?? (await startingState(await modelsAsked.catch(() => null), linked));
  if (saved) actions.load(saved);
  const run = mountLab(store, actions, examples);
  document.body.dataset.readyMs = String(Math.round(performance.now())); // navigation start → usable
  document.body.dataset.ready = "true";
  if (saved) run().then((answer) => linked && answer && $("results").scrollIntoView({ block: "start" })); // a script's link shows the network
}

start();
