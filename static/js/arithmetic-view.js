// The arithmetic panel of the detail view: how torch got one output value, with the numbers filled in
// (GET /api/runs/{id}/stages/{k}/arithmetic). The window beside the kernel and their products, the sum,
// the bias, the result; a max's winner; an average's divisor; f(x). For small inputs the input map is
// written out cell by cell with the window on it, and a step-through slides it output by output.

import { el } from "./dom.js";
import { float32Text } from "./npy.js";
import { offsetOf } from "./stage-grid.js";
import { t } from "./i18n.js";

const records = new Map(); // arithmetic URL → Promise of its record
const SMALL_INPUT = 32 * 32; // input planes up to this many values are written out, window and all

/** A record of the server's arithmetic endpoints, by URL (cached: a run's URL never changes); errors in words. */
export function fetchRecord(url) {
  if (!records.has(url)) {
    records.set(url, fetch(url).then(async (r) => {
      const body = await r.json();
      if (!r.ok) throw new Error(Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail);
      return body;
    }));
    if (records.size > 200) records.delete(records.keys().next().value);
  }
  return records.get(url);
}

const short = (v) => (v === null || v === undefined ? "—" : float32Text(Math.fround(v)));
const brief = (v) => (v === null || v === undefined ? "—" : String(Number(v.toPrecision(4)))); // the exact value is the cell's title

/** A small table of numbers: `cells[r][c]`, with `classOf(r, c)` for padded or chosen cells. */
function table(caption, cells, classOf = () => null) {
  return el("table", { class: "matrix arith-table" }, el("caption", { text: caption }),
    cells.map((row, r) => el("tr", {}, row.map((v, c) => el("td", { class: classOf(r, c), title: short(v), text: brief(v) })))));
}

function windowTables(rec) {
  const w = rec.window;
  const shown = w.channels.slice(0, 4);
  const padded = (r, c) => (w.padded[r][c] ? "pad" : null);
  const rows = shown.map((ch, i) => {
    const won = rec.winner ? (r, c) => (w.rows[r] === rec.winner.index.at(-2) && w.cols[c] === rec.winner.index.at(-1) ? "won" : padded(r, c)) : padded;
    const parts = [table(t("input channel {ch}, rows {r0}…{r1}, cols {c0}…{c1}", { ch, r0: w.rows[0], r1: w.rows.at(-1), c0: w.cols[0], c1: w.cols.at(-1) }), w.values[i], won)];
    if (rec.kernel) parts.push(el("span", { class: "op", text: "×" }), table(t("kernel"), rec.kernel[i]), el("span", { class: "op", text: "=" }), table(t("products"), rec.products[i], padded));
    return el("div", { class: "arith-row" }, parts);
  });
  if (w.channels.length > shown.length) rows.push(el("p", { class: "hint", text: t("… and {n} more input channels (in the sum).", { n: w.channels.length - shown.length }) }));
  return rows;
}

function facts(rec) {
  const items = [];
  if (rec.sum !== null && rec.sum !== undefined) items.push([t("sum"), short(rec.sum)]);
  if (rec.bias !== null && rec.bias !== undefined) items.push([t("bias"), short(rec.bias)]);
  if (rec.divisor) items.push([t("divisor"), `${rec.divisor} — ${rec.divisor_reason}`]);
  if (rec.winner) items.push([t("max"), t("{value} at [{index}], flat index {flat}", { value: short(rec.winner.value), index: rec.winner.index.join(", "), flat: rec.winner.flat_index })]);
  for (const [k, v] of Object.entries(rec.terms || {})) items.push([k, short(v)]);
  items.push([t("result"), t("{result} (the run's value: {output})", { result: short(rec.result), output: short(rec.output) })]);
  return el("dl", { class: "arith-facts" }, items.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

function sources(rec) {
  const shown = rec.sources.slice(0, 16);
  return el("ul", { class: "arith-sources" }, shown.map((s) => el("li", { text: t("{weight} · input [{index}] = {value}", { weight: short(s.weight), index: s.index.join(", "), value: short(s.value) }) })),
    rec.sources.length > shown.length ? el("li", { text: t("… {n} more", { n: rec.sources.length - shown.length }) }) : null);
}

/** The input plane (channel ch of sample n) written out, with the window's cells marked; padding shown around it. */
function inputPlane(input, rec, n, ch) {
  const [H, W] = input.shape.slice(-2);
  const w = rec.window;
  const inRows = w.rows.filter((r) => r !== null);
  const inCols = w.cols.filter((c) => c !== null);
  const [y0, y1] = [Math.min(0, ...inRows), Math.max(H - 1, ...inRows)];
  const [x0, x1] = [Math.min(0, ...inCols), Math.max(W - 1, ...inCols)];
  const inWindow = new Set(inRows.flatMap((r) => inCols.map((c) => `${r},${c}`)));
  const lead = input.shape.length === 4 ? [n, ch] : [ch];
  const cells = [];
  for (let y = y0; y <= y1; y++) {
    cells.push([]);
    for (let x = x0; x <= x1; x++) cells.at(-1).push(y >= 0 && y < H && x >= 0 && x < W ? input.data[offsetOf(input.shape, [...lead, y, x])] : null);
  }
  return table(t("the input, channel {ch}: the window slides over it", { ch }), cells, (r, c) => {
    const [y, x] = [r + y0, c + x0];
    const classes = [inWindow.has(`${y},${x}`) ? "win" : null, y < 0 || y >= H || x < 0 || x >= W ? "pad" : null].filter(Boolean);
    return classes.join(" ") || null;
  });
}

/** The next (or previous) output cell in reading order, within the same channel; null at the end. */
function neighbour(index, grid, delta) {
  if (index.length < 3) return null;
  const [y, x] = index.slice(-2);
  const flat = y * grid.cols + x + delta;
  if (flat < 0 || flat >= grid.rows * grid.cols) return null;
  return [...index.slice(0, -2), Math.floor(flat / grid.cols), flat % grid.cols];
}

/** Renders the arithmetic of output `index` of stage `stage` into `box`. */
export async function renderArithmetic(box, { answer, stage, index, grid, values, move }) {
  const token = Symbol("render");
  box.token = token;
  box.replaceChildren(el("p", { class: "hint", text: t("Output [{index}]: asking the server how torch got it…", { index: index.join(", ") }) }));
  let rec;
  try {
    rec = await fetchRecord(`/api/runs/${answer.run_id}/stages/${stage}/arithmetic?index=${index.join(",")}`);
  } catch (err) {
    if (box.token === token) box.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  const layer = answer.layers[stage - 1];
  const parts = [
    el("h4", { text: t("Layer {n} ({type}): output [{index}] = {value}", { n: stage, type: rec.type, index: rec.index.join(", "), value: short(rec.output) }) }),
    el("p", { class: "equation", testid: "arith-equation", text: rec.equation }),
    el("p", { class: "hint", text: t("Rule: {formula}", { formula: rec.formula }) }),
  ];
  if (rec.window) parts.push(...windowTables(rec));
  if (rec.sources) parts.push(sources(rec));
  parts.push(facts(rec), ...(rec.notes || []).map((n) => el("p", { class: "hint", text: n })));
  const [prev, next] = [neighbour(index, grid, -1), neighbour(index, grid, 1)];
  if (rec.window && (prev || next)) {
    const input = await values(`/api/runs/${answer.run_id}/stages/${stage - 1}/values.npy`);
    const [H, W] = input.shape.slice(-2);
    if (H * W <= SMALL_INPUT) parts.push(inputPlane(input, rec, index[0], rec.window.channels[0]));
    parts.push(el("div", { class: "row" },
      el("button", { type: "button", testid: "arith-prev", disabled: !prev, text: t("◀ previous output"), onclick: () => move(prev) }),
      el("button", { type: "button", testid: "arith-next", disabled: !next, text: t("next output ▶"), onclick: () => move(next) }),
      el("span", { class: "hint", text: t("{type}: output cell by output cell", { type: layer.type }) })));
  }
  if (box.token === token) box.replaceChildren(...parts);
}
