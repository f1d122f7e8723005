// Click an output value → highlight the input values that feed it (its receptive field, one layer back).

const pair = (v, fallback) => {
  const x = v === undefined || v === null ? fallback : v;
  return Array.isArray(x) ? x : [x, x];
};

/** Input (row, col) positions read by output (r, c) of `layer`, or null when not a sliding window. */
export function windowOf(layer, r, c) {
  const elementwise = !("kernel_size" in layer) && !["Linear", "Flatten", "Upsample", "MaxUnpool2d", "Softmax", "LogSoftmax"].includes(layer.type) && !layer.type.startsWith("Adaptive");
  if (elementwise) return [[r, c]];
  if (!("kernel_size" in layer) || layer.type === "MaxUnpool2d" || layer.type === "ConvTranspose2d") return null;
  const isPool = layer.type.includes("Pool");
  const k = pair(layer.kernel_size);
  const s = pair(layer.stride, isPool ? layer.kernel_size : 1);
  const d = pair(layer.dilation, 1);
  let p = layer.padding;
  if (p === "valid") p = 0;
  if (p === "same") p = [Math.floor((d[0] * (k[0] - 1)) / 2), Math.floor((d[1] * (k[1] - 1)) / 2)];
  p = pair(p, 0);
  const cells = [];
  for (let i = 0; i < k[0]; i++) {
    for (let j = 0; j < k[1]; j++) cells.push([r * s[0] - p[0] + i * d[0], c * s[1] - p[1] + j * d[1]]);
  }
  return cells;
}

/** Wires clicks on the value tables of the stages in `box`; `getLayers()` gives the pipeline that ran. */
export function enableReceptiveField(box, getLayers) {
  box.addEventListener("click", (ev) => {
    const td = ev.target.closest("table.matrix td");
    if (!td) return;
    const stage = td.closest("[data-testid=stage]");
    const k = Number(stage.dataset.index);
    box.querySelectorAll(".rf, .rf-src").forEach((n) => n.classList.remove("rf", "rf-src"));
    if (k === 0) return;
    const layers = getLayers();
    const r = td.parentElement.rowIndex;
    const c = td.cellIndex;
    const cells = windowOf(layers[k - 1], r, c);
    td.classList.add("rf-src");
    if (!cells) return;
    const prev = box.querySelector(`[data-testid=stage][data-index='${k - 1}']`);
    if (!prev) return;
    const slice = td.closest("table").dataset.slice;
    const sameChannel = !["Conv2d", "Linear"].includes(layers[k - 1].type);
    for (const table of prev.querySelectorAll("details:first-of-type table.matrix")) {
      if (sameChannel && table.dataset.slice !== slice) continue;
      for (const [i, j] of cells) {
        const cell = table.rows[i] && table.rows[i].cells[j];
        if (cell) cell.classList.add("rf");
      }
    }
  });
}
