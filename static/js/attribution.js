// The Attribution view (section #attribution-section): which input values made the network give a class
// its score (POST /api/attributions, Captum on the server), for the lab's run of pipeline A. The map lies
// over the input with an opacity slider; Grad-CAM's cells each show the part of the input they read.
// State: state.attribution, changed only through actions.setAttribution.

import { api, request } from "./api.js";
import { el, byId as $, show } from "./dom.js";
import { describe } from "./field-words.js";
import { cellField, spatialStages, upsampledSpan } from "./attribution-cells.js";
import { t } from "./i18n.js";
import { classWord } from "./class-words.js";

const pct = (p) => `${(100 * p).toFixed(1)}%`;

/** The run this view explains: pipeline A of the lab's last run, when it ends in one score per class. */
function explainable(state) {
  const a = state.run && state.run.a;
  return a && a.answer.output_shape.length === 2 ? a : null;
}

function className(state, i) {
  const names = state.attribution.classes;
  return names && names.length === explainable(state).answer.output_shape[1] ? `${i} · ${names[i]}` : t("class {i}", { i });
}

function stageLabel(answer, k) {
  const l = answer.layers[k - 1];
  return t("stage {k} · {type} · {cells} cells", { k, type: l.type, cells: l.output_shape.slice(2).join("×") });
}

/** Fills the pickers from the run: the spatial stages for Grad-CAM, the classes for the target. */
function renderControls(state) {
  const run = explainable(state);
  const s = state.attribution;
  show($("attr-empty"), !run);
  $("attr-controls").hidden = !run;
  if (!run) return;
  $("attr-method").value = s.method;
  const stages = spatialStages(run.answer, run.layers);
  const layer = stages.includes(s.layer) ? s.layer : stages[stages.length - 1];
  $("attr-layer").replaceChildren(...stages.map((k) => el("option", { value: k, text: stageLabel(run.answer, k), selected: k === layer })));
  $("attr-layer-label").hidden = s.method !== "grad_cam";
  $("attr-which-layer").hidden = s.method !== "grad_cam";
  $("attr-steps-label").hidden = s.method !== "integrated_gradients";
  $("attr-steps").value = s.steps;
  const classes = run.answer.output_shape[1];
  $("attr-target").replaceChildren(
    el("option", { value: "", text: t("the predicted class") }),
    ...Array.from({ length: classes }, (_, i) => el("option", { value: i, text: className(state, i), selected: s.target === i })));
  $("attr-run").disabled = s.busy;
}

function probabilityList(state, answer) {
  const sample = answer.probabilities[0].length === undefined ? answer.probabilities : answer.probabilities[0];
  const target = Array.isArray(answer.target) ? answer.target[0] : answer.target;
  const predicted = sample.indexOf(Math.max(...sample));
  return el("ol", { class: "attr-probs", testid: "attribution-probabilities", "aria-label": t("Class probabilities (softmax of the output)") },
    sample.map((p, i) => el("li", { class: i === target ? "target" : null, "data-class": i },
      el("span", { class: "name", text: className(state, i) + (i === predicted ? ` ${t("(predicted)")}` : "") }),
      el("span", { class: "bar", style: { width: pct(p) } }),
      el("span", { class: "p", text: pct(p) }))));
}

/** Grad-CAM's cells as buttons over the overlay, each placed where upsampling put it on the input. */
function cellButtons(answer, inputShape, onPick) {
  const [h, w] = answer.attribution.shape.slice(2);
  const [H, W] = inputShape.slice(2);
  const grid = el("div", { class: "attr-cells" });
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const [y0, y1] = upsampledSpan(r, h, H);
      const [x0, x1] = upsampledSpan(c, w, W);
      if (y1 < y0 || x1 < x0) continue; // more cells than input pixels: this one has no pixel of its own
      grid.append(el("button", { type: "button", class: "attr-cell", testid: "gradcam-cell", "data-cell": `${r},${c}`,
        "aria-label": t("Grad-CAM cell row {r}, column {c}: show the part of the input it reads", { r, c }),
        style: { top: pct(y0 / H), left: pct(x0 / W), height: pct((y1 - y0 + 1) / H), width: pct((x1 - x0 + 1) / W) },
        onclick: () => onPick({ r, c }) }));
    }
  }
  return grid;
}

/** The picked cell's receptive field outlined on the input, and said in words. */
function renderCell(state, figure, info) {
  const { answer, cell } = state.attribution;
  figure.querySelector(".attr-field")?.remove();
  figure.querySelectorAll(".attr-cell.picked").forEach((b) => b.classList.remove("picked"));
  if (!cell || !answer || answer.method !== "grad_cam") return show(info, false);
  const run = explainable(state);
  const shapes = [run.answer.input.shape, ...run.answer.layers.map((l) => l.output_shape)];
  const sample = Math.min(state.view.sample ?? 0, shapes[0][0] - 1);
  const { field, stoppedAt } = cellField(run.layers, state.catalogue, shapes, answer.layer, sample, cell.r, cell.c);
  figure.querySelector(`[data-cell="${cell.r},${cell.c}"]`)?.classList.add("picked");
  const where = t("Cell ({r}, {c}) of stage {k}", { r: cell.r, c: cell.c, k: answer.layer });
  if (stoppedAt) return show(info, true, `${where}: ${stoppedAt.error.message}`);
  const [H, W] = shapes[0].slice(2);
  if (field && field.y) {
    figure.append(el("div", { class: "attr-field", testid: "attribution-field", "data-rows": field.y.join("-"), "data-cols": field.x.join("-"),
      style: { top: pct(field.y[0] / H), left: pct(field.x[0] / W), height: pct((field.y[1] - field.y[0] + 1) / H), width: pct((field.x[1] - field.x[0] + 1) / W) } }));
  }
  show(info, true, t("{where} reads {field} of the input (outlined).", { where, field: describe(field) }));
}

function renderResult(state, root, actions) {
  const run = explainable(state);
  const { answer, forRun, error } = state.attribution;
  show($("attr-error"), Boolean(error), error || "");
  if (!run || !answer || forRun !== run.answer.run_id) {
    root.replaceChildren();
    root.dataset.shown = "";
    return;
  }
  const sample = Math.min(state.view.sample ?? 0, run.answer.input.shape[0] - 1);
  const key = `${answer.attribution_id}/${sample}`;
  if (root.dataset.shown !== key) {
    const a = answer.attribution;
    const q = (opacity) => `${a.overlay_url}?sample=${sample}&opacity=${opacity}`;
    const figure = a.overlay_url
      ? el("figure", { class: "attr-overlay", testid: "attribution-overlay" },
        el("img", { src: q(0), alt: t("the input"), class: "attr-base" }),
        el("img", { src: q(1), alt: t("the attribution over the input"), class: "attr-heat", testid: "attribution-heat" }),
        answer.method === "grad_cam" ? cellButtons(answer, run.answer.input.shape, (cell) => actions.setAttribution({ cell })) : null)
      : el("p", { class: "hint", text: t("The input is not a picture (N, C, H, W), so there is nothing to lay the attribution over.") });
    const slider = el("input", { type: "range", min: 0, max: 1, step: 0.05, value: state.attribution.opacity, testid: "attribution-opacity",
      "aria-label": t("Opacity of the attribution over the input"),
      oninput: (ev) => actions.setAttribution({ opacity: Number(ev.target.value) }) });
    const target = Array.isArray(answer.target) ? answer.target[sample] : answer.target;
    const words = answer.method === "grad_cam"
      ? t("Grad-CAM at stage {k} ({cells} cells, upsampled to the input) for {name}", { k: answer.layer, cells: a.shape.slice(2).join("×"), name: className(state, target) })
      : t("{method} for {name}", { method: $("attr-method").selectedOptions[0]?.text || answer.method, name: className(state, target) }) + (answer.steps ? t(", {n} steps", { n: answer.steps }) : "");
    root.replaceChildren(
      el("p", { class: "summary", text: `${words}. ${answer.method === "saliency" ? t("Brighter: a larger |gradient|, whatever its sign") : t("Red: raises the score; blue: lowers it")} ${t("({n} values, min {min}, max {max}).", { n: a.shape.join("×"), min: a.stats.min.toPrecision(3), max: a.stats.max.toPrecision(3) })}` }),
      el("div", { class: "attr-pictures" },
        el("div", {}, figure, el("label", { class: "attr-opacity" }, `${t("input")} `, slider, ` ${t("attribution")}`)),
        el("figure", { class: "attr-map" }, el("img", { src: `${a.image_url}?sample=${sample}`, alt: t("the attribution, one tile per channel"), testid: "attribution-map" }),
          el("figcaption", { text: answer.method === "grad_cam" ? t("at the stage's own resolution") : t("per input channel") })),
        probabilityList(state, answer)),
      el("p", { class: "rf-info", testid: "attribution-cell-info", "aria-live": "polite", hidden: true }),
      el("p", { class: "hint" }, el("a", { href: a.values_url, download: "attribution.npy", text: t("values (.npy)") })));
    root.dataset.shown = key;
  }
  const heat = root.querySelector(".attr-heat");
  if (heat) heat.style.opacity = String(state.attribution.opacity);
  const figure = root.querySelector(".attr-overlay");
  if (figure) renderCell(state, figure, root.querySelector("[data-testid=attribution-cell-info]"));
}

export function mountAttribution(store, actions) {
  const root = $("attr-result");

  async function explain() {
    const state = store.state;
    const run = explainable(state);
    if (!run) return;
    const s = state.attribution;
    const body = { input: state.input, layers: run.layers, seed: state.seed, method: s.method };
    if (s.target !== null) body.target = s.target;
    if (s.method === "grad_cam") body.layer = Number($("attr-layer").value);
    if (s.method === "integrated_gradients") body.steps = s.steps;
    actions.setAttribution({ busy: true, error: null });
    try {
      const answer = await request("POST", "/api/attributions", body);
      actions.setAttribution({ answer, forRun: run.answer.run_id, cell: null, layer: answer.layer ?? s.layer });
    } catch (err) {
      actions.setAttribution({ error: err.message, answer: null });
    } finally {
      actions.setAttribution({ busy: false });
    }
  }

  async function loadClassNames(state) {
    if (state.attribution.classes || !String(state.input.source).startsWith("cifar10")) return;
    try { actions.setAttribution({ classes: (await api.cifar()).classes.map(classWord) }); } catch (err) { /* indices only */ }
  }

  let controls = "";
  store.subscribe((state, changed) => {
    if (changed.includes("run")) loadClassNames(state);
    const { method, target, layer, steps, busy, classes } = state.attribution;
    const now = JSON.stringify([state.run && state.run.a && state.run.a.answer.run_id, method, target, layer, steps, busy, classes]);
    if (now !== controls) { controls = now; renderControls(state); } // not on every move of the opacity slider
    renderResult(state, root, actions);
  }, ["run", "attribution", "catalogue", "view"]);
  $("attr-method").addEventListener("change", () => actions.setAttribution({ method: $("attr-method").value }));
  $("attr-layer").addEventListener("change", () => actions.setAttribution({ layer: Number($("attr-layer").value) }));
  $("attr-steps").addEventListener("change", () => actions.setAttribution({ steps: Math.max(1, Math.min(1024, Number($("attr-steps").value) || 50)) }));
  $("attr-target").addEventListener("change", () => {
    const v = $("attr-target").value;
    actions.setAttribution({ target: v === "" ? null : Number(v) });
  });
  $("attr-run").addEventListener("click", explain);
  renderControls(store.state);
}
