// Activation explorer: curves and autograd derivatives from GET /api/activations/{type}/curve,
// parameters on sliders, several overlaid in one chart. Its settings are state.activations; the
// chart library (uPlot) is imported only once the chart is on screen, and the explorer says so
// when it cannot be loaded: nothing else on the page depends on it.

import { api } from "./api.js";
import { el, byId as $ } from "./dom.js";
import { NOTES, SLIDERS } from "./activation-notes.js";
import { t } from "./i18n.js";

const UPLOT = "/vendor/uplot/dist";
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/** The explorer's part of a page's state: curves shown, their parameters (type → name → value), x range, mode. */
export const ACTIVATIONS = { selected: ["Sigmoid", "Tanh", "ReLU"], params: {}, range: [-5, 5], train: false };

/** The functions that change state.activations (for a page whose store holds it). */
export const activationActions = (store) => ({
  setActivations: (changes) => store.update((s) => ({ activations: { ...s.activations, ...changes } })),
});

/** uPlot's module, its stylesheet added to the page the first time (the browser caches the import). */
export async function loadChartLibrary() {
  if (!document.querySelector(`link[href="${UPLOT}/uPlot.min.css"]`)) {
    document.head.append(el("link", { rel: "stylesheet", href: `${UPLOT}/uPlot.min.css` }));
  }
  return (await import(`${UPLOT}/uPlot.esm.js`)).default;
}

/** Parameters the explorer lets one change (and sends): those with a slider, and choices. */
const adjustable = (p) => Boolean(SLIDERS[p.name]) || p.type === "choice";
const entriesOf = (catalogue) => Object.values(catalogue).filter((e) => e.category === "activation");

/** A parameter's value: the one set on a slider, else torch's default. */
const valueOf = (act, entry, p) => (act.params[entry.type] && p.name in act.params[entry.type] ? act.params[entry.type][p.name] : p.default);

/**
 * Mounts the explorer (markup of templates/_activations.html) on a store holding `catalogue` and
 * `activations`. Returns showCurves(types, [xMin, xMax]), which shows those curves and scrolls to them.
 */
export function mountActivations(store, { setActivations }) {
  let chart = null; // the uPlot instance drawn, replaced on every draw
  let ticket = 0; // the latest draw: an older one's curves arriving late are dropped
  let onScreen = false;
  const shown = { selected: null, catalogue: null }; // what the controls were drawn from
  const act = () => store.state.activations;
  const setParam = (type, name, value) => setActivations({ params: { ...act().params, [type]: { ...act().params[type], [name]: value } } });

  function paramControl(entry, p) {
    const id = `s-${entry.type}-${p.name}`;
    const value = valueOf(act(), entry, p);
    const label = el("label", { for: id, text: `${entry.type}.${p.name}` });
    if (SLIDERS[p.name]) {
      const [min, max, step] = SLIDERS[p.name];
      const out = el("output", { for: id, text: String(+Number(value).toFixed(3)) });
      const input = el("input", { id, type: "range", min, max, step, value });
      input.addEventListener("input", () => { out.textContent = input.value; setParam(entry.type, p.name, Number(input.value)); });
      return el("div", { class: "slider" }, label, input, out);
    }
    const s = el("select", { id }, p.constraints.choices.map((c) => el("option", { text: c })));
    s.value = value;
    s.addEventListener("change", () => setParam(entry.type, p.name, s.value));
    return el("div", { class: "slider" }, label, s);
  }

  /** The check boxes and sliders, redrawn only when the curves shown change (not under a slider being dragged). */
  function renderControls(state) {
    const { selected, range, train } = state.activations;
    [$("act-xmin").value, $("act-xmax").value] = range;
    $("act-train").checked = train;
    if (shown.selected === selected && shown.catalogue === state.catalogue) return;
    Object.assign(shown, { selected, catalogue: state.catalogue });
    const entries = entriesOf(state.catalogue);
    $("act-list").replaceChildren(...entries.map((e) => {
      const cb = el("input", { type: "checkbox", value: e.type });
      cb.checked = selected.includes(e.type);
      cb.addEventListener("change", () => setActivations({
        selected: cb.checked ? [...act().selected, e.type] : act().selected.filter((type) => type !== e.type) }));
      return el("label", { class: "check" }, cb, ` ${e.type}`);
    }));
    $("act-params").replaceChildren(...entries.filter((e) => selected.includes(e.type)).flatMap((e) =>
      e.params.filter(adjustable).map((p) => paramControl(e, p))));
  }

  const size = () => ({ width: Math.max(320, $("act-chart").clientWidth || 640), height: 340 });

  async function draw(state) {
    const mine = ++ticket;
    const { selected, range: [xMin, xMax], train } = state.activations;
    const entries = entriesOf(state.catalogue).filter((e) => selected.includes(e.type));
    const box = $("act-chart");
    let curves;
    let uPlot;
    try {
      uPlot = await loadChartLibrary().catch((err) => { throw new Error(t("the chart library did not load ({error})", { error: err.message })); });
      curves = await Promise.all(entries.map((e) => {
        const q = { x_min: xMin, x_max: xMax, points: 401, mode: train ? "train" : "eval" };
        for (const p of e.params.filter(adjustable)) q[p.name] = valueOf(state.activations, e, p);
        return api.curve(e.type, q);
      }));
    } catch (err) {
      if (mine !== ticket) return;
      box.replaceChildren(el("p", { class: "error", role: "alert", testid: "chart-error", text: t("Could not draw: {error}", { error: err.message }) }));
      chart = null;
      return;
    }
    if (mine !== ticket) return;
    const data = [curves.length ? curves[0].x : [xMin, xMax]];
    const series = [{}];
    entries.forEach(({ type }, i) => {
      const color = COLORS[i % COLORS.length];
      data.push(curves[i].y, curves[i].grad);
      series.push({ label: type, stroke: color, width: 2 }, { label: `${type}′`, stroke: color, width: 1.5, dash: [6, 4] });
    });
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    const axis = { stroke: dark ? "#ccc" : "#333", grid: { stroke: dark ? "#333" : "#e5e5e5" } };
    if (chart) chart.destroy();
    box.replaceChildren();
    chart = new uPlot({ ...size(), series, scales: { x: { time: false } }, axes: [axis, axis], legend: { live: true } }, data, box);
    box.dataset.series = String(entries.length);
    $("act-notes").replaceChildren(...entries.map(({ type }) => el("li", {}, el("strong", { text: `${type}: ` }), NOTES[type] || "")));
  }

  store.subscribe((state) => {
    renderControls(state);
    if (onScreen) draw(state);
  }, ["activations", "catalogue"]);
  renderControls(store.state);
  for (const [id, read] of [["act-xmin", () => ({ range: [Number($("act-xmin").value), act().range[1]] })],
    ["act-xmax", () => ({ range: [act().range[0], Number($("act-xmax").value)] })],
    ["act-train", () => ({ train: $("act-train").checked })]]) {
    $(id).addEventListener("change", () => setActivations(read()));
  }
  // The chart is drawn (and its library fetched) the first time it scrolls into view.
  new IntersectionObserver((seen, observer) => {
    if (!seen.some((e) => e.isIntersecting)) return;
    observer.disconnect();
    onScreen = true;
    draw(store.state);
  }).observe($("act-chart"));
  let resizing = 0;
  addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(() => chart && chart.setSize(size()), 150); });

  return function showCurves(types, range) {
    setActivations({ selected: [...types], range });
    $("activations-section").scrollIntoView({ block: "start" });
  };
}
