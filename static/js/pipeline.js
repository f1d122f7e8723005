// The pipeline builder: add, remove, reorder (buttons and Alt+↑/↓), duplicate; per-layer refusals.
// One PipelineEditor per list of layers: the lab's pipeline A, and B when comparing.

import { saveToUrl } from "./state.js";
import { el, layerFields } from "./layer-form.js";

let catalogue = new Map();

export function setCatalogue(entries) {
  catalogue = new Map(entries.map((e) => [e.type, e]));
}

/** Fills a <select> with every layer type, grouped by category. */
export function typeOptions(select, value = "Conv2d") {
  const groups = new Map();
  for (const e of catalogue.values()) {
    if (!groups.has(e.category)) groups.set(e.category, el("optgroup", { label: e.category }));
    groups.get(e.category).append(el("option", { value: e.type, text: e.type }));
  }
  select.replaceChildren(...groups.values());
  select.value = value;
}

export function catalogueEntry(type) {
  return catalogue.get(type);
}

/** A new layer of `type` holding torch's defaults only (required values left for the learner). */
export function newLayer(type, layers = []) {
  const layer = { type };
  const info = catalogue.get(type);
  if (type === "Conv2d" || type === "ConvTranspose2d") Object.assign(layer, { out_channels: 6, kernel_size: 3 });
  else if (type === "Linear") layer.out_features = 10;
  else if (info && info.params.some((p) => p.name === "kernel_size")) layer.kernel_size = 2;
  else if (info && info.params.some((p) => p.name === "output_size")) layer.output_size = 1;
  if (type === "MaxUnpool2d") {
    const pool = layers.findIndex((l) => l.type === "MaxPool2d");
    if (pool >= 0) layer.indices_from = pool + 1;
  }
  return layer;
}

export class PipelineEditor {
  /** `list`: the <ol> of cards; `layers()`: the array edited in place (state.layers or state.compare). */
  constructor(list, layers, name = "") {
    this.list = list;
    this.layers = layers;
    this.name = name ? `${name} ` : "";
  }

  changed() {
    this.clearErrors();
    saveToUrl();
  }

  move(i, delta, focusAfter = true) {
    const layers = this.layers();
    const j = i + delta;
    if (j < 0 || j >= layers.length) return;
    const [layer] = layers.splice(i, 1);
    layers.splice(j, 0, layer);
    this.render();
    this.changed();
    if (focusAfter) this.list.children[j].focus();
  }

  edit(fn) {
    fn(this.layers());
    this.render();
    this.changed();
  }

  add(type) {
    this.edit((layers) => layers.push(newLayer(type, layers)));
    const cards = this.list.querySelectorAll("[data-testid=layer-card]");
    cards[cards.length - 1].focus();
  }

  card(layer, i) {
    const info = catalogue.get(layer.type);
    const n = this.layers().length;
    const what = `${this.name}layer ${i + 1}`;
    const select = el("select", { "data-testid": "layer-type", "aria-label": `${what} type` });
    for (const type of catalogue.keys()) select.append(el("option", { value: type, text: type }));
    select.value = layer.type;
    select.addEventListener("change", () => this.edit((layers) => (layers[i] = newLayer(select.value, layers))));
    const btn = (text, label, onclick, disabled) =>
      el("button", { type: "button", class: "icon", "aria-label": label, title: label, onclick, disabled }, text);
    const tools = el("span", { class: "tools" },
      btn("↑", `Move ${what} up`, () => this.move(i, -1), i === 0),
      btn("↓", `Move ${what} down`, () => this.move(i, 1), i === n - 1),
      btn("Dup", `Duplicate ${what}`, () => this.edit((layers) => layers.splice(i + 1, 0, structuredClone(layer)))),
      btn("✕", `Remove ${what}`, () => this.edit((layers) => layers.splice(i, 1))));
    const fields = info ? layerFields(layer, info, () => this.changed()) : [el("span", { text: `Unknown layer type ${layer.type}` })];
    const item = el("li", { class: "layer-card", "data-testid": "layer-card", tabindex: 0,
      "aria-label": `${what[0].toUpperCase()}${what.slice(1)}: ${layer.type}. Alt+Up or Alt+Down moves it.` },
      el("div", { class: "card-head" }, el("span", { class: "pos", text: String(i + 1) }), select, tools),
      el("p", { class: "doc", text: info ? info.doc : "" }),
      el("div", { class: "fields" }, fields),
      el("div", { class: "error", "data-testid": "error", role: "alert", hidden: true }));
    item.addEventListener("keydown", (ev) => {
      if (ev.target !== item) return;
      if (ev.altKey && ev.key === "ArrowUp") { ev.preventDefault(); this.move(i, -1); }
      else if (ev.altKey && ev.key === "ArrowDown") { ev.preventDefault(); this.move(i, 1); }
      else if (ev.key === "Delete") this.edit((layers) => layers.splice(i, 1));
    });
    return item;
  }

  render() {
    const layers = this.layers() || [];
    this.list.replaceChildren(...layers.map((layer, i) => this.card(layer, i)));
    if (!layers.length) this.list.append(el("li", { class: "hint", text: "No layers yet: add one below." }));
  }

  clearErrors() {
    for (const box of this.list.querySelectorAll("[data-testid=error]")) {
      box.hidden = true;
      box.textContent = "";
    }
    this.list.querySelectorAll(".layer-card.refused").forEach((c) => c.classList.remove("refused"));
    const g = document.getElementById("global-error");
    g.hidden = true;
    g.textContent = "";
  }

  /** Shows a refusal on the card it names (loc[2] is the 0-based layer position) or globally. */
  showError(message, position) {
    const cards = this.list.querySelectorAll("[data-testid=layer-card]");
    if (Number.isInteger(position) && cards[position]) {
      const box = cards[position].querySelector("[data-testid=error]");
      box.textContent = box.textContent ? `${box.textContent} ${message}` : message;
      box.hidden = false;
      cards[position].classList.add("refused");
      cards[position].scrollIntoView({ block: "nearest" });
      return;
    }
    const g = document.getElementById("global-error");
    const text = this.name ? `${this.name.trim()}: ${message}` : message;
    g.textContent = g.textContent && !g.hidden ? `${g.textContent} ${text}` : text;
    g.hidden = false;
  }
}
