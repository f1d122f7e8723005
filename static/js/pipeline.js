// The pipeline builder: add, remove, reorder (buttons and Alt+↑/↓), duplicate; per-layer refusals.
// One editor per list of layers: the lab's pipeline A (state.layers) and B (state.compare).
// The editor renders from the store and changes a pipeline only through actions.setPipeline.

import { el, allByTestId } from "./dom.js";
import { layerFields } from "./layer-form.js";
import { t } from "./i18n.js";
import { onPhone } from "./small-screens.js";

/** Fills a <select> with every layer type of the catalogue, grouped by category. */
export function typeOptions(select, catalogue, value = "Conv2d") {
  const groups = new Map();
  for (const e of Object.values(catalogue)) {
    if (!groups.has(e.category)) groups.set(e.category, el("optgroup", { label: e.category }));
    groups.get(e.category).append(el("option", { value: e.type, text: e.type }));
  }
  select.replaceChildren(...groups.values());
  select.value = value;
}

/**
 * A new card of `type` appended after `layers`: the registry's `new_card` arguments (required values
 * a learner would pick first); a layer consuming pool indices takes them from the nearest earlier
 * layer that produces some.
 */
export function newLayer(type, layers, catalogue) {
  const info = catalogue[type];
  const layer = { type, ...(info ? info.new_card : {}) };
  if (info && info.pool_indices === "consumes") {
    const producer = layers.findLastIndex((l) => catalogue[l.type] && catalogue[l.type].pool_indices === "produces");
    if (producer >= 0) layer.indices_from = producer + 1;
  }
  return layer;
}

// Pure edits of a list of layers: each gives a new array.
const moved = (layers, i, j) => {
  const out = layers.filter((_, k) => k !== i);
  out.splice(j, 0, layers[i]);
  return out;
};
const removed = (layers, i) => layers.filter((_, k) => k !== i);
const duplicated = (layers, i) => [...layers.slice(0, i + 1), structuredClone(layers[i]), ...layers.slice(i + 1)];
const replaced = (layers, i, layer) => layers.map((l, k) => (k === i ? layer : l));

/** A layer's arguments in one line, as torch names them: what a folded card shows. */
export function argumentsLine(layer) {
  const value = (v) => (Array.isArray(v) && JSON.stringify(v).length > 16 ? "[…]" : JSON.stringify(v)); // a weight tensor: elided
  const args = Object.entries(layer).filter(([k]) => k !== "type").map(([k, v]) => `${k}=${value(v)}`);
  return args.length ? args.join(", ") : t("torch's defaults");
}

/**
 * Mounts the editor of `state[which]` ("layers" or "compare") into the <ol> `list`; `name` prefixes
 * labels ("Pipeline B"). Returns { add(type) }.
 */
export function mountPipelineEditor(store, actions, which, list, name = "") {
  const prefix = name ? `${name} ` : "";
  let cards = []; // [{ layer, n, item }] as on screen: a card is rebuilt only when its layer or place changed
  // On a phone a card's documentation and fields fold under a one-line summary of its arguments; the
  // layers unfolded by the learner (or just added) stay unfolded when the cards are rebuilt.
  const unfolded = new WeakSet();
  const layers = () => store.state[which] || [];
  const setLayers = (next) => actions.setPipeline(which, next);

  function move(i, delta) {
    const j = i + delta;
    if (j < 0 || j >= layers().length) return;
    setLayers(moved(layers(), i, j));
    list.children[j].focus();
  }

  function card(layer, i, n) {
    const { catalogue } = store.state;
    const info = catalogue[layer.type];
    const what = prefix ? t("{pipeline} layer {n}", { pipeline: prefix.trim(), n: i + 1 }) : t("layer {n}", { n: i + 1 });
    const entry = { layer, n, item: null };
    // A field's edit becomes the layer this card shows, then the state: the card is not rebuilt for it.
    const set = (param, value) => {
      const next = { ...entry.layer };
      const v = typeof value === "function" ? value(next[param]) : value;
      if (v === undefined) delete next[param];
      else next[param] = v;
      if (unfolded.has(entry.layer)) unfolded.add(next);
      entry.layer = next;
      summary.textContent = argumentsLine(next);
      setLayers(replaced(layers(), i, next));
    };
    const select = el("select", { testid: "layer-type", "aria-label": t("{what} type", { what }) },
      Object.keys(catalogue).map((type) => el("option", { value: type, text: type })));
    select.value = layer.type;
    select.addEventListener("change", () => setLayers(replaced(layers(), i, newLayer(select.value, layers().slice(0, i), catalogue))));
    const btn = (text, label, onclick, disabled) =>
      el("button", { type: "button", class: "icon", "aria-label": label, title: label, onclick, disabled }, text);
    const tools = el("span", { class: "tools" },
      btn("↑", t("Move {what} up", { what }), () => move(i, -1), i === 0),
      btn("↓", t("Move {what} down", { what }), () => move(i, 1), i === n - 1),
      btn(t("Dup"), t("Dup: duplicate {what}", { what }), () => setLayers(duplicated(layers(), i))),
      btn("✕", t("Remove {what}", { what }), () => setLayers(removed(layers(), i))));
    const fields = info ? layerFields(layer, info, set) : [el("span", { text: t("Unknown layer type {type}", { type: layer.type }) })];
    const summary = el("summary", { testid: "layer-summary", text: argumentsLine(layer) });
    const body = el("details", { class: "card-body", open: !onPhone() || unfolded.has(layer) }, summary,
      el("p", { class: "doc", text: info ? info.doc : "" }),
      el("div", { class: "fields" }, fields));
    body.addEventListener("toggle", () => (body.open ? unfolded.add(entry.layer) : unfolded.delete(entry.layer)));
    entry.item = el("li", { class: "layer-card", testid: "layer-card", tabindex: 0,
      "aria-label": t("{what}: {type}. Alt+Up or Alt+Down moves it.", { what: what[0].toUpperCase() + what.slice(1), type: layer.type }) },
      el("div", { class: "card-head" }, el("span", { class: "pos", text: String(i + 1) }), select, tools), body,
      el("div", { class: "error", testid: "error", role: "alert", hidden: true }));
    entry.item.addEventListener("keydown", (ev) => {
      if (ev.target !== entry.item) return;
      if (ev.altKey && ev.key === "ArrowUp") { ev.preventDefault(); move(i, -1); }
      else if (ev.altKey && ev.key === "ArrowDown") { ev.preventDefault(); move(i, 1); }
      else if (ev.key === "Delete") setLayers(removed(layers(), i));
    });
    return entry;
  }

  function showErrors(errors) {
    const mine = errors.filter((e) => e.pipeline === which && Number.isInteger(e.position) && cards[e.position]);
    cards.forEach(({ item }, i) => {
      const text = mine.filter((e) => e.position === i).map((e) => e.message).join(" ");
      const box = item.querySelector("[data-testid=error]");
      box.textContent = text;
      box.hidden = !text;
      item.classList.toggle("refused", Boolean(text));
    });
    if (mine.length) cards[mine[0].position].item.scrollIntoView({ block: "nearest" });
  }

  function render(state, changed = [which]) {
    const current = state[which] || [];
    if (changed.includes(which) || changed.includes("catalogue")) {
      const n = current.length;
      cards = current.map((layer, i) => (cards[i] && cards[i].layer === layer && cards[i].n === n ? cards[i] : card(layer, i, n)));
      const items = cards.map((c) => c.item);
      if (items.some((item, i) => list.children[i] !== item) || list.children.length !== items.length) {
        list.replaceChildren(...items);
        if (!n) list.append(el("li", { class: "hint", text: t("No layers yet: add one below.") }));
      }
    }
    showErrors(state.errors);
  }

  store.subscribe(render, [which, "catalogue", "errors"]);
  render(store.state, [which, "catalogue"]);
  return {
    add(type) {
      const layer = newLayer(type, layers(), store.state.catalogue);
      unfolded.add(layer); // its fields are what the learner sets next
      setLayers([...layers(), layer]);
      const all = allByTestId(list, "layer-card");
      all[all.length - 1].focus();
    },
  };
}
