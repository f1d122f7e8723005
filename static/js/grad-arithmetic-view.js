// The arithmetic panel of the detail view with Backward on: how one value of ∂loss/∂(stage k) was made
// from ∂loss/∂(stage k + 1) by layer k + 1's backward rule (GET /api/runs/{id}/stages/{k+1}/grad_arithmetic):
// every term upstream gradient × factor with its numbers, the sum, and autograd's own value beside it.
// For a convolution, the upstream gradient under the flipped kernel (the ConvTranspose2d picture).

import { el } from "./dom.js";
import { float32Text } from "./npy.js";
import { fetchRecord } from "./arithmetic-view.js";

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
    grid(`g, output channel ${co}`, w.values[i], off), el("span", { class: "op", text: "×" }),
    grid(`kernel [${co}, ·] flipped`, rec.kernel[i])));
  if (w.channels.length > 4) rows.push(el("p", { class: "hint", text: `… and ${w.channels.length - 4} more output channels (in the sum).` }));
  return rows;
}

function terms(rec) {
  const head = el("tr", {}, ["from output", "g (upstream)", "×", "factor", "=", "product"].map((h) => el("th", { text: h })));
  const rows = rec.terms.slice(0, SHOWN_TERMS).map((t) => el("tr", {},
    el("td", { text: t.output ? `[${t.output.join(", ")}]` : "whole channel" }), el("td", { class: "n", text: short(t.upstream) }),
    el("td", { text: "×" }), el("td", { class: "n", title: t.label, text: `${short(t.factor)}  (${t.label})` }), el("td", { text: "=" }),
    el("td", { class: "n", text: short(t.product) })));
  const more = rec.terms.length > SHOWN_TERMS ? el("p", { class: "hint", text: `… ${rec.terms.length - SHOWN_TERMS} more terms, all in the sum.` }) : null;
  return [el("table", { class: "matrix grad-terms" }, el("thead", {}, head), el("tbody", {}, rows)), more];
}

/** Renders how ∂loss/∂(stage `stage`)[index] was made into `box`. */
export async function renderGradArithmetic(box, { answer, stage, index }) {
  const token = Symbol("render");
  box.token = token;
  const n = answer.layers.length;
  if (stage === n) {
    const how = answer.loss !== null && answer.loss !== undefined ? `the loss (${short(answer.loss)}) of this output and the target` : "the one output value chosen";
    box.replaceChildren(el("h4", { text: `∂loss/∂ the last stage, at [${index.join(", ")}]` }),
      el("p", { class: "equation", text: `This gradient comes straight from ${how}: no layer comes after it.` }));
    return;
  }
  box.replaceChildren(el("p", { class: "hint", text: `∂loss/∂ stage ${stage} at [${index.join(", ")}]: asking the server how autograd got it…` }));
  let rec;
  try {
    rec = await fetchRecord(`/api/runs/${answer.run_id}/stages/${stage + 1}/grad_arithmetic?index=${index.join(",")}`);
  } catch (err) {
    if (box.token === token) box.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  const parts = [
    el("h4", { text: `∂loss/∂ stage ${stage} at [${rec.index.join(", ")}] = ${short(rec.grad)}, made by layer ${rec.layer} (${rec.type}) going backward` }),
    el("p", { class: "equation", testid: "grad-equation", text: rec.equation }),
    el("p", { class: "hint", text: `Rule: ${rec.formula}` }),
  ];
  if (rec.transposed) parts.push(el("p", { class: "hint", text: `The same sum in one call: ${rec.transposed}` }));
  if (rec.window) parts.push(...flippedKernel(rec));
  if (rec.terms.length) parts.push(...terms(rec));
  const facts = [...Object.entries(rec.named || {}).map(([k, v]) => [k, short(v)]), ["sum of the terms", `${short(rec.result)} (autograd's value: ${short(rec.grad)})`]];
  parts.push(el("dl", { class: "arith-facts" }, facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
  parts.push(...(rec.notes || []).map((t) => el("p", { class: "hint", text: t })));
  if (box.token === token) box.replaceChildren(...parts);
}
