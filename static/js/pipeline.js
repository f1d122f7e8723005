// The pipeline builder: add, remove, reorder (buttons and Alt+↑/↓), duplicate; per-layer refusals.

import { state, saveToUrl } from "./state.js";
import { el, layerFields } from "./layer-form.js";

let catalogue = new Map();
const list = () => document.getElementById("pipeline");

export function setCatalogue(entries) {
  catalogue = new Map(entries.map((e) => [e.type, e]));
  const add = document.getElementById("add-type");
  add.replaceChildren();
  const groups = new Map();
  for (const e of entries) {
    if (!groups.has(e.category)) groups.set(e.category, el("optgroup", { label: e.category }));
    groups.get(e.category).append(el("option", { value: e.type, text: e.type }));
  }
  add.append(...groups.values());
  add.value = "Conv2d";
}

export function catalogueEntry(type) {
  return catalogue.get(type);
}

/** A new layer of `type` holding torch's defaults only (required values left for the learner). */
export function newLayer(type) {
  const layer = { type };
  const info = catalogue.get(type);
  if (type === "Conv2d" || type === "ConvTranspose2d") Object.assign(layer, { out_channels: 6, kernel_size: 3 });
  else if (type === "Linear") layer.out_features = 10;
  else if (info && info.params.some((p) => p.name === "kernel_size")) layer.kernel_size = 2;
  else if (info && info.params.some((p) => p.name === "output_size")) layer.output_size = 1;
  if (type === "MaxUnpool2d") {
    const pool = state.layers.findIndex((l) => l.type === "MaxPool2d");
    if (pool >= 0) layer.indices_from = pool + 1;
  }
  return layer;
}

function changed() {
  clearErrors();
  saveToUrl();
}

function move(i, delta, focusAfter = true) {
  const j = i + delta;
  if (j < 0 || j >= state.layers.length) return;
  const [layer] = state.layers.splice(i, 1);
  state.layers.splice(j, 0, layer);
  renderPipeline();
  changed();
  if (focusAfter) list().children[j].focus();
}

function card(layer, i) {
  const info = catalogue.get(layer.type);
  const select = el("select", { "data-testid": "layer-type", "aria-label": `Layer ${i + 1} type` });
  for (const type of catalogue.keys()) select.append(el("option", { value: type, text: type }));
  select.value = layer.type;
  select.addEventListener("change", () => {
    state.layers[i] = newLayer(select.value);
    renderPipeline();
    changed();
  });
  const btn = (text, label, onclick, disabled) =>
    el("button", { type: "button", class: "icon", "aria-label": label, title: label, onclick, disabled }, text);
  const tools = el("span", { class: "tools" },
    btn("↑", `Move layer ${i + 1} up`, () => move(i, -1), i === 0),
    btn("↓", `Move layer ${i + 1} down`, () => move(i, 1), i === state.layers.length - 1),
    btn("Dup", `Duplicate layer ${i + 1}`, () => {
      state.layers.splice(i + 1, 0, structuredClone(layer));
      renderPipeline();
      changed();
    }),
    btn("✕", `Remove layer ${i + 1}`, () => {
      state.layers.splice(i, 1);
      renderPipeline();
      changed();
    }));
  const fields = info ? layerFields(layer, info, changed) : [el("span", { text: `Unknown layer type ${layer.type}` })];
  const item = el("li", { class: "layer-card", "data-testid": "layer-card", tabindex: 0,
    "aria-label": `Layer ${i + 1}: ${layer.type}. Alt+Up or Alt+Down moves it.` },
    el("div", { class: "card-head" }, el("span", { class: "pos", text: String(i + 1) }), select, tools),
    el("p", { class: "doc", text: info ? info.doc : "" }),
    el("div", { class: "fields" }, fields),
    el("div", { class: "error", "data-testid": "error", role: "alert", hidden: true }));
  item.addEventListener("keydown", (ev) => {
    if (ev.target !== item) return;
    if (ev.altKey && ev.key === "ArrowUp") { ev.preventDefault(); move(i, -1); }
    else if (ev.altKey && ev.key === "ArrowDown") { ev.preventDefault(); move(i, 1); }
    else if (ev.key === "Delete") { state.layers.splice(i, 1); renderPipeline(); changed(); }
  });
  return item;
}

export function renderPipeline() {
  list().replaceChildren(...state.layers.map(card));
  if (!state.layers.length) list().append(el("li", { class: "hint", text: "No layers yet: add one below." }));
}

export function clearErrors() {
  for (const box of list().querySelectorAll("[data-testid=error]")) {
    box.hidden = true;
    box.textContent = "";
  }
  list().querySelectorAll(".layer-card.refused").forEach((c) => c.classList.remove("refused"));
  const g = document.getElementById("global-error");
  g.hidden = true;
  g.textContent = "";
}

/** Shows a refusal on the card it names (loc[2] is the 0-based layer position) or globally. */
export function showError(message, position) {
  const cards = list().querySelectorAll("[data-testid=layer-card]");
  if (Number.isInteger(position) && cards[position]) {
    const box = cards[position].querySelector("[data-testid=error]");
    box.textContent = box.textContent ? `${box.textContent} ${message}` : message;
    box.hidden = false;
    cards[position].classList.add("refused");
    cards[position].scrollIntoView({ block: "nearest" });
    return;
  }
  const g = document.getElementById("global-error");
  g.textContent = message;
  g.hidden = false;
}
