// Input choice: an uploaded image, CIFAR-10 (one image or a batch) or a small tensor typed in a grid.

import { api, busy } from "./api.js";
import { state, saveToUrl } from "./state.js";
import { el } from "./layer-form.js";

const $ = (id) => document.getElementById(id);
let cifarShown = 0;
let cifarLoaded = false;
let cifarSizes = {};

export function describeInput(input) {
  if (input.source === "upload") return `Uploaded image ${input.upload_id.slice(0, 8)}…${input.resize ? ` resized to ${input.resize.join("×")}` : ""}`;
  if (input.source === "cifar10") return `CIFAR-10 ${input.split} image #${input.index}`;
  if (input.source === "cifar10_batch") return `CIFAR-10 ${input.split} batch: ${input.count} images from #${input.start}`;
  const rows = Array.isArray(input.data) ? input.data.length : 0;
  return `Tensor ${JSON.stringify(input.data).slice(0, 60)}${input.shape ? ` reshaped to (${input.shape.join(", ")})` : ""} (${rows} rows)`;
}

function summary() {
  $("input-summary").textContent = `Input: ${describeInput(state.input)}`;
  saveToUrl();
}

export function selectTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`pane-${tab.dataset.tab}`).hidden = !on;
  }
  if (name === "cifar" && !cifarLoaded) loadCifar();
}

// ---- tensor grid -------------------------------------------------------------------------------
function gridData() {
  return [...$("tensor-grid").querySelectorAll("tr")].map((tr) =>
    [...tr.querySelectorAll("input")].map((i) => Number(i.value) || 0));
}

function commitTensor() {
  const data = gridData();
  const shapeText = $("tensor-shape").value.trim();
  state.input = { source: "tensor", data };
  if (shapeText) state.input.shape = shapeText.split(/[,\s×x]+/).filter(Boolean).map(Number);
  summary();
}

export function drawGrid(data) {
  const table = el("table", { class: "grid" });
  data.forEach((row, r) => {
    const tr = el("tr");
    row.forEach((v, c) => {
      const input = el("input", { type: "number", step: "any", value: String(v), "aria-label": `row ${r + 1} column ${c + 1}` });
      input.addEventListener("change", commitTensor);
      tr.append(el("td", {}, input));
    });
    table.append(tr);
  });
  $("tensor-grid").replaceChildren(table);
  $("grid-rows").value = data.length;
  $("grid-cols").value = data[0] ? data[0].length : 1;
}

function resizeGrid() {
  const old = gridData();
  const rows = Math.max(1, Math.min(16, Number($("grid-rows").value) || 1));
  const cols = Math.max(1, Math.min(16, Number($("grid-cols").value) || 1));
  if (old.length === rows && old[0] && old[0].length === cols) return;  // a second change event: keep focus
  const data = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => (old[r] && old[r][c]) || 0));
  drawGrid(data);
  commitTensor();
}

/** Shows a tensor input in the grid (2-D data only; other ranks go to the JSON box). */
export function showTensor(input) {
  const d = input.data;
  const is2d = Array.isArray(d) && d.length && d.every((r) => Array.isArray(r) && r.every((v) => typeof v === "number"));
  if (is2d && d.length <= 16 && d[0].length <= 16) drawGrid(d);
  $("tensor-json").value = JSON.stringify(d);
  $("tensor-shape").value = input.shape ? input.shape.join(",") : "";
}

// ---- CIFAR-10 ----------------------------------------------------------------------------------
async function loadCifar() {
  try {
    const info = await api.cifar();
    cifarLoaded = true;
    cifarSizes = info.splits;
    $("cifar-info").textContent = `Source: ${info.source}; classes: ${info.classes.join(", ")}; ${info.splits.test} test and ${info.splits.train} train images. Click one; with a batch over 1, the batch starts there.`;
    $("cifar-class").append(...info.classes.map((c) => el("option", { value: c, text: c })));
    cifarShown = 0;
    $("cifar-grid").replaceChildren();
    moreCifar();
  } catch (err) {
    $("cifar-info").textContent = `CIFAR-10 is not available here: ${err.message}`;
  }
}

function thumb(split, i) {
  const img = el("img", { src: `/api/datasets/cifar10/${split}/${i}.png`, alt: `CIFAR-10 ${split} #${i}`, width: 32, height: 32, loading: "lazy" });
  const b = el("button", { type: "button", class: "thumb", "data-index": i, "aria-label": `Use CIFAR-10 ${split} image ${i}` }, img);
  b.addEventListener("click", () => pickCifar(i));
  return b;
}

/** Thumbnails of one class, from the by-class endpoint (one request, whole split). */
async function cifarByClass(name) {
  const split = $("cifar-split").value;
  $("cifar-grid").replaceChildren();
  if (!name) { cifarShown = 0; moreCifar(); return; }
  const page = await busy(`Finding ${name} images…`, () => api.cifarClass(split, name, 0, 40));
  $("cifar-grid").replaceChildren(...page.items.map((it) => thumb(split, it.index)));
}

function moreCifar() {
  if ($("cifar-class").value) return;
  const split = $("cifar-split").value;
  const frag = document.createDocumentFragment();
  const end = Math.min(cifarShown + 40, cifarSizes[split] || cifarShown + 40);
  for (let i = cifarShown; i < end; i++) {
    frag.append(thumb(split, i));
  }
  cifarShown = end;
  $("cifar-grid").append(frag);
}

function pickCifar(index) {
  const split = $("cifar-split").value;
  const count = Math.max(1, Number($("cifar-count").value) || 1);
  state.input = count === 1 ? { source: "cifar10", split, index } : { source: "cifar10_batch", split, start: index, count };
  document.querySelectorAll(".thumb").forEach((t) => t.classList.toggle("picked", Number(t.dataset.index) === index));
  summary();
  api.cifarItem(split, index).then((it) => {
    $("input-summary").textContent += ` — ${it.class_name}`;
  }, () => {});
}

// ---- uploads -----------------------------------------------------------------------------------
export async function uploadFile(file) {
  const preview = $("upload-preview");
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  try {
    const up = await busy("Uploading…", () => api.upload(file));
    $("upload-info").textContent = `${file.name}: ${up.width}×${up.height} ${up.mode}`;
    setUploadInput(up.upload_id);
    return up;
  } catch (err) {
    $("upload-info").textContent = `Upload failed: ${err.message}`;
    throw err;
  }
}

function setUploadInput(uploadId) {
  const h = Number($("upload-h").value);
  const w = Number($("upload-w").value);
  state.input = { source: "upload", upload_id: uploadId, grayscale: $("upload-grey").checked };
  if (h > 0 && w > 0) state.input.resize = [h, w];
  summary();
}

export function initInputs() {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
    tab.addEventListener("keydown", (ev) => {
      const tabs = [...document.querySelectorAll("[role=tab]")];
      const i = tabs.indexOf(tab);
      const j = ev.key === "ArrowRight" ? (i + 1) % tabs.length : ev.key === "ArrowLeft" ? (i + tabs.length - 1) % tabs.length : -1;
      if (j >= 0) { selectTab(tabs[j].dataset.tab); tabs[j].focus(); }
    });
  }
  $("upload-input").addEventListener("change", (ev) => ev.target.files[0] && uploadFile(ev.target.files[0]).catch(() => {}));
  const drop = $("drop");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    const file = ev.dataTransfer.files[0];
    if (file) uploadFile(file).catch(() => {});
  });
  for (const id of ["upload-h", "upload-w", "upload-grey"]) {
    $(id).addEventListener("change", () => state.input.source === "upload" && setUploadInput(state.input.upload_id));
  }
  $("cifar-more").addEventListener("click", moreCifar);
  $("cifar-class").addEventListener("change", () => cifarByClass($("cifar-class").value));
  $("cifar-split").addEventListener("change", () => cifarByClass($("cifar-class").value));
  $("grid-rows").addEventListener("change", resizeGrid);
  $("grid-cols").addEventListener("change", resizeGrid);
  $("tensor-shape").addEventListener("change", commitTensor);
  $("grid-random").addEventListener("click", () => {
    drawGrid(gridData().map((r) => r.map(() => Math.floor(Math.random() * 5))));
    commitTensor();
  });
  $("tensor-json-apply").addEventListener("click", () => {
    try {
      const data = JSON.parse($("tensor-json").value);
      state.input = { source: "tensor", data };
      const s = $("tensor-shape").value.trim();
      if (s) state.input.shape = s.split(/[,\s×x]+/).map(Number);
      showTensor(state.input);
      summary();
    } catch (err) {
      $("input-summary").textContent = "That is not a nested list of numbers (JSON).";
    }
  });
}

/** Puts the pane matching `state.input` on screen. */
export function showInput() {
  const src = state.input.source;
  if (src === "tensor") { showTensor(state.input); selectTab("tensor"); }
  else if (src === "upload") selectTab("upload");
  else {
    selectTab("cifar");
    $("cifar-split").value = state.input.split || "test";
    $("cifar-count").value = state.input.count || 1;
  }
  summary();
}
