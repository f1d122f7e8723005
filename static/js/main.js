// Entry point of the lab page: loads the catalogue, restores the state from the URL, wires controls.

import { api, busy, ApiError } from "./api.js";
import { state, saveToUrl, loadFromUrl } from "./state.js";
import { setCatalogue, catalogueEntry, typeOptions, PipelineEditor } from "./pipeline.js";
import { missingRequired } from "./layer-form.js";
import { initInputs, showInput } from "./inputs.js";
import { renderRun, refreshMaps, copyCode } from "./results.js";
import { initExamples } from "./examples.js";
import { initActivations, showCurves } from "./activations.js";

const $ = (id) => document.getElementById(id);
const editorA = new PipelineEditor($("pipeline"), () => state.layers);
const editorB = new PipelineEditor($("pipeline-b"), () => state.compare, "Pipeline B");
const showError = (message, position) => editorA.showError(message, position);

function renderPipeline() {
  const comparing = Array.isArray(state.compare);
  $("compare-col").hidden = !comparing;
  $("pipe-a-h").hidden = !comparing;
  $("compare").hidden = comparing;
  $("pipelines").classList.toggle("two", comparing);
  $("pipeline-section").classList.toggle("wide", comparing); // two pipelines need the full width
  editorA.render();
  if (comparing) editorB.render();
}

function syncControls() {
  $("seed").value = state.seed;
  $("mode").value = state.mode;
  $("colormap").value = state.view.colormap;
  $("normalize").value = state.view.normalize;
  $("sample").value = state.view.sample ?? "";
}

/** Layers a card cannot send (required values missing): shown on the card; true when there were any. */
function refuseLocally(editor, layers) {
  let refused = false;
  layers.forEach((layer, i) => {
    const info = catalogueEntry(layer.type);
    const missing = info ? missingRequired(layer, info) : [`unknown layer type ${layer.type}`];
    if (missing.length) { editor.showError(`${missing.join("; ")}.`, i); refused = true; }
  });
  return refused;
}

/** A refusal from the API, on the card it names (loc = ["body", "layers", i, ...]) or in words. */
function showRefusal(editor, err) {
  if (err instanceof ApiError && Array.isArray(err.detail)) {
    for (const d of err.detail) {
      const pos = d.loc && d.loc[1] === "layers" && Number.isInteger(d.loc[2]) ? d.loc[2] : null;
      const where = d.loc && pos === null ? ` (${d.loc.slice(1).join(" → ")})` : "";
      editor.showError(`${d.msg}${where}`, pos);
    }
  } else editor.showError(err.message);
}

/**
 * Sends the pipeline (and pipeline B on the same input when comparing); shows refusals on the
 * offending card. Resolves to A's answer, with B's as `.b`, or null.
 */
async function run() {
  editorA.clearErrors();
  editorB.clearErrors();
  const comparing = Array.isArray(state.compare);
  const refusedA = refuseLocally(editorA, state.layers);
  const refusedB = comparing && refuseLocally(editorB, state.compare);
  if (refusedA || refusedB) return null;
  const [layersA, layersB] = [structuredClone(state.layers), comparing ? structuredClone(state.compare) : null];
  const payload = (layers) => ({ input: state.input, layers, seed: state.seed, mode: state.mode });
  const btn = $("run");
  btn.disabled = true;
  try {
    const text = comparing ? `Running A (${state.layers.length}) and B (${state.compare.length} layers)…` : `Running ${state.layers.length} layer(s)…`;
    const [a, b] = await busy(text, () => Promise.allSettled([api.run(payload(layersA)), comparing ? api.run(payload(layersB)) : null]));
    if (a.status === "rejected") showRefusal(editorA, a.reason);
    if (b.status === "rejected") showRefusal(editorB, b.reason);
    if (a.status === "rejected" || b.status === "rejected") return null;
    renderRun(a.value, layersA, b.value, layersB);
    return Object.assign(a.value, { b: b.value });
  } finally {
    btn.disabled = false;
    saveToUrl();
  }
}

function load(input, layers, example, compare = null) {
  Object.assign(state, { input, layers, compare, example: example || null });
  showInput();
  renderPipeline();
  saveToUrl();
}

async function start() {
  initInputs();
  let catalogue;
  try {
    catalogue = await api.layers();
  } catch (err) {
    showError(`Cannot load the layer catalogue: ${err.message}`);
    return;
  }
  setCatalogue(catalogue);
  typeOptions($("add-type"));
  typeOptions($("add-type-b"));
  const fromUrl = loadFromUrl();
  syncControls();
  showInput();
  renderPipeline();
  $("add-layer").addEventListener("click", () => editorA.add($("add-type").value));
  $("add-layer-b").addEventListener("click", () => editorB.add($("add-type-b").value));
  $("compare").addEventListener("click", () => {
    state.compare = structuredClone(state.layers); // B starts as a copy of A: change one thing and run
    renderPipeline();
    saveToUrl();
    $("pipeline-b").querySelector("[data-testid=layer-card]")?.focus();
  });
  $("compare-close").addEventListener("click", () => {
    state.compare = null;
    renderPipeline();
    saveToUrl();
  });
  $("run").addEventListener("click", run);
  $("seed").addEventListener("change", () => { state.seed = Number($("seed").value) || 0; saveToUrl(); });
  $("mode").addEventListener("change", () => { state.mode = $("mode").value; saveToUrl(); });
  for (const id of ["colormap", "normalize", "sample"]) {
    $(id).addEventListener("change", () => {
      const v = $(id).value;
      state.view[id] = id !== "sample" ? v : v === "" ? null : Math.max(0, Number(v) || 0);
      saveToUrl();
      refreshMaps();
    });
  }
  $("copy-code").addEventListener("click", copyCode);
  $("share").addEventListener("click", async () => {
    saveToUrl();
    try { await navigator.clipboard.writeText(location.href); $("share").textContent = "Link copied ✓"; }
    catch (err) { $("share").textContent = "Link is in the address bar"; }
    setTimeout(() => ($("share").textContent = "Copy link"), 2000);
  });
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") { ev.preventDefault(); run(); }
  });
  initExamples({ load, run, showCurves, showError });
  initActivations(catalogue);
  document.body.dataset.readyMs = String(Math.round(performance.now())); // navigation start → usable
  document.body.dataset.ready = "true";
  if (fromUrl) run();
  // A link pasted into this tab changes only the hash: load it as a fresh page would.
  // (saveToUrl uses history.replaceState, which fires no hashchange.)
  window.addEventListener("hashchange", () => {
    if (!loadFromUrl()) return;
    syncControls();
    showInput();
    renderPipeline();
    run();
  });
}

start();
