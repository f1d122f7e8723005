// The arithmetic panel of the detail view with Backward on: how one value of ∂loss/∂(stage k) was made
// from ∂loss/∂(stage k + 1) by layer k + 1's backward rule (GET /api/runs/{id}/stages/{k+1}/grad_arithmetic):
// every term upstream gradient × factor with its numbers, the sum, and autograd's own value beside it.
// For a convolution, the upstream gradient under the flipped kernel (the ConvTranspose2d picture).

import { el } from "./dom.js";
import { float32Text } from "./npy.js";
import { fetchRecord } from "./arithmetic-view.js";
import { t } from "./i18n.js";

const SHOWN_TERMS = 24;

const short = (v) => (v === null || v === undefined ? "—" : float32Text(Math.fround(v)));
const brief = (v) => (v === null || v === undefined ? "·" : String(Number(v.toPrecision(4))));

function grid(caption, cells, classOf = () => null) {
  return el("table", { class: "matrix arith-table" }, el("caption", { text: caption }),
    cells.map((row, r) => el("tr", {}, row.map((v, c) => el("td", { class: classOf(r, c), title: short(v), text: brief(v) })))));
}

/** Per output channel: the upstream gradient where the flipped kernel lies over it, × the flipped kernel. */
function flippedKernel(rec) {
  const w = rec.window;
  const off = (r, c) => (w.padded[r][c] ? "pad" : null);
  const rows = w.channels.slice(0, 4).map((co, i) => el("div", { class: "arith-row" },
    grid(t("g, output channel {c}", { c: co }), w.values[i], off), el("span", { class: "op", text: "×" }),
    grid(t("kernel [{c}, ·] flipped", { c: co }), rec.kernel[i])));
  if (w.channels.length > 4) rows.push(el("p", { class: "hint", text: t("… and {n} more output channels (in the sum).", { n: w.channels.length - 4 }) }));
  return rows;
}

function terms(rec) {
  const head = el("tr", {}, [t("from output"), t("g (upstream)"), "×", t("factor"), "=", t("product")].map((h) => el("th", { text: h })));
  const rows = rec.terms.slice(0, SHOWN_TERMS).map((term) => el("tr", {},
    el("td", { text: term.output ? `[${term.output.join(", ")}]` : t("whole channel") }), el("td", { class: "n", text: short(term.upstream) }),
    el("td", { text: "×" }), el("td", { class: "n", title: term.label, text: `${short(term.factor)}  (${term.label})` }), el("td", { text: "=" }),
    el("td", { class: "n", text: short(term.product) })));
  const more = rec.terms.length > SHOWN_TERMS ? el("p", { class: "hint", text: t("… {n} more terms, all in the sum.", { n: rec.terms.length - SHOWN_TERMS }) }) : null;
  return [el("table", { class: "matrix grad-terms" }, el("thead", {}, head), el("tbody", {}, rows)), more];
}

/** Renders how ∂loss/∂(stage `stage`)[index] was made into `box`. */
export async function renderGradArithmetic(box, { answer, stage, index }) {
  const token = Symbol("render");
  box.token = token;
  const n = answer.layers.length;
  if (stage === n) {
    const how = answer.loss !== null && answer.loss !== undefined ? t("the loss ({loss}) of this output and the target", { loss: short(answer.loss) }) : t("the one output value chosen");
    box.replaceChildren(el("h4", { text: t("∂loss/∂ the last stage, at [{index}]", { index: index.join(", ") }) }),
      el("p", { class: "equation", text: t("This gradient comes straight from {how}: no layer comes after it.", { how }) }));
    return;
  }
  box.replaceChildren(el("p", { class: "hint", text: t("∂loss/∂ stage {n} at [{index}]: asking the server how autograd got it…", { n: stage, index: index.join(", ") }) }));
  let rec;
  try {
    rec = await fetchRecord(`/api/runs/${answer.run_id}/stages/${stage + 1}/grad_arithmetic?index=${index.join(",")}`);
  } catch (err) {
    if (box.token === token) box.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  const parts = [
    el("h4", { text: t("∂loss/∂ stage {n} at [{index}] = {grad}, made by layer {layer} ({type}) going backward", { n: stage, index: rec.index.join(", "), grad: short(rec.grad), layer: rec.layer, type: rec.type }) }),
    el("p", { class: "equation", testid: "grad-equation", text: rec.equation }),
    el("p", { class: "hint", text: t("Rule: {formula}", { formula: rec.formula }) }),
  ];
  if (rec.transposed) parts.push(el("p", { class: "hint", text: t("The same sum in one call: {call}", { call: rec.transposed }) }));
  if (rec.window) parts.push(...flippedKernel(rec));
  if (rec.terms.length) parts.push(...terms(rec));
  const facts = [...Object.entries(rec.named || {}).map(([k, v]) => [k, short(v)]), [t("sum of the terms"), t("{result} (autograd's value: {grad})", { result: short(rec.result), grad: short(rec.grad) })]];
  parts.push(el("dl", { class: "arith-facts" }, facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
  parts.push(...(rec.notes || []).map((note) => el("p", { class: "hint", text: note })));
  if (box.token === token) box.replaceChildren(...parts);
}
