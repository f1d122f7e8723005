// Entry point of the lab page: loads the catalogue, restores the state from the URL, wires controls.

import { api, busy, ApiError } from "./api.js";
import { state, saveToUrl, loadFromUrl } from "./state.js";
import { setCatalogue, catalogueEntry, newLayer, renderPipeline, clearErrors, showError } from "./pipeline.js";
import { missingRequired } from "./layer-form.js";
import { initInputs, showInput } from "./inputs.js";
import { renderRun, refreshMaps, copyCode, pinCurrent } from "./results.js";
import { initExamples } from "./examples.js";
import { initActivations, showCurves } from "./activations.js";

const $ = (id) => document.getElementById(id);

function syncControls() {
  $("seed").value = state.seed;
  $("mode").value = state.mode;
  $("colormap").value = state.view.colormap;
  $("normalize").value = state.view.normalize;
  $("sample").value = state.view.sample;
}

/** Sends the pipeline; shows refusals on the offending card. Resolves to the answer or null. */
async function run() {
  clearErrors();
  let local = false;
  state.layers.forEach((layer, i) => {
    const info = catalogueEntry(layer.type);
    const missing = info ? missingRequired(layer, info) : [`unknown layer type ${layer.type}`];
    if (missing.length) { showError(`${missing.join("; ")}.`, i); local = true; }
  });
  if (local) return null;
  const payload = { input: state.input, layers: state.layers, seed: state.seed, mode: state.mode };
  const btn = $("run");
  btn.disabled = true;
  try {
    const res = await busy(`Running ${state.layers.length} layer(s)…`, () => api.run(payload));
    renderRun(res);
    return res;
  } catch (err) {
    if (err instanceof ApiError && Array.isArray(err.detail)) {
      for (const d of err.detail) {
        const pos = d.loc && d.loc[1] === "layers" && Number.isInteger(d.loc[2]) ? d.loc[2] : null;
        const where = d.loc && pos === null ? ` (${d.loc.slice(1).join(" → ")})` : "";
        showError(`${d.msg}${where}`, pos);
      }
    } else showError(err.message);
    return null;
  } finally {
    btn.disabled = false;
    saveToUrl();
  }
}

function load(input, layers, example) {
  Object.assign(state, { input, layers, example: example || null });
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
  const fromUrl = loadFromUrl();
  syncControls();
  showInput();
  renderPipeline();
  $("add-layer").addEventListener("click", () => {
    state.layers.push(newLayer($("add-type").value));
    renderPipeline();
    saveToUrl();
    const cards = document.querySelectorAll("[data-testid=layer-card]");
    cards[cards.length - 1].focus();
  });
  $("run").addEventListener("click", run);
  $("seed").addEventListener("change", () => { state.seed = Number($("seed").value) || 0; saveToUrl(); });
  $("mode").addEventListener("change", () => { state.mode = $("mode").value; saveToUrl(); });
  for (const id of ["colormap", "normalize", "sample"]) {
    $(id).addEventListener("change", () => {
      state.view[id] = id === "sample" ? Math.max(0, Number($(id).value) || 0) : $(id).value;
      saveToUrl();
      refreshMaps();
    });
  }
  $("copy-code").addEventListener("click", copyCode);
  $("pin").addEventListener("click", () => pinCurrent(state.layers.map((l) => l.type).join(" → ")));
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
  document.body.dataset.ready = "true";
  if (fromUrl) run();
}

start();
