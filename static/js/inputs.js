// Input choice: an uploaded image, CIFAR-10 (one image or a batch) or a small tensor typed in a grid.
// The pane renders state.input and changes it through actions.setInput; which tab is open and how
// many thumbnails are shown belong to this view alone.

import { api } from "./api.js";
import { busy, dropZone, el, byId as $ } from "./dom.js";
import { t } from "./i18n.js";
import { classWord } from "./class-words.js";

function describeInput(input) {
  if (input.source === "upload") {
    const id = input.upload_id.slice(0, 8);
    return input.resize ? t("Uploaded image {id}… resized to {size}", { id, size: input.resize.join("×") }) : t("Uploaded image {id}…", { id });
  }
  if (input.source === "cifar10") return t("CIFAR-10 {split} image #{index}", { split: t(input.split), index: input.index });
  if (input.source === "cifar10_batch") {
    return t("CIFAR-10 {split} batch: {count} images from #{start}", { split: t(input.split), count: input.count, start: input.start });
  }
  const rows = Array.isArray(input.data) ? input.data.length : 0;
  const data = JSON.stringify(input.data).slice(0, 60);
  return input.shape
    ? t("Tensor {data} reshaped to ({shape}) ({rows} rows)", { data, shape: input.shape.join(", "), rows })
    : t("Tensor {data} ({rows} rows)", { data, rows });
}

const parseShape = (text) => text.split(/[,\s×x]+/).filter(Boolean).map(Number);

export function mountInputs(store, actions) {
  const cifar = { shown: 0, sizes: null }; // thumbnails drawn; split sizes once loaded
  let shownInput = null; // the input the panes show (an edit made here is not redrawn over the user's typing)

  function selectTab(name) {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $(`pane-${tab.dataset.tab}`).hidden = !on;
    }
    if (name === "cifar" && !cifar.sizes) loadCifar();
  }

  /** Commits an input made in this view: the panes already show it. */
  function commit(input) {
    shownInput = input;
    actions.setInput(input);
  }

  // ---- tensor grid -----------------------------------------------------------------------------
  const gridData = () => [...$("tensor-grid").querySelectorAll("tr")].map((tr) =>
    [...tr.querySelectorAll("input")].map((i) => Number(i.value) || 0));

  function commitTensor(data = gridData()) {
    const shapeText = $("tensor-shape").value.trim();
    commit(shapeText ? { source: "tensor", data, shape: parseShape(shapeText) } : { source: "tensor", data });
  }

  function drawGrid(data) {
    const table = el("table", { class: "grid" }, data.map((row, r) => el("tr", {}, row.map((v, c) =>
      el("td", {}, el("input", { type: "number", step: "any", value: String(v), "aria-label": t("row {r} column {c}", { r: r + 1, c: c + 1 }),
        onchange: () => commitTensor() }))))));
    $("tensor-grid").replaceChildren(table);
    $("grid-rows").value = data.length;
    $("grid-cols").value = data[0] ? data[0].length : 1;
  }

  function resizeGrid() {
    const old = gridData();
    const rows = Math.max(1, Math.min(16, Number($("grid-rows").value) || 1));
    const cols = Math.max(1, Math.min(16, Number($("grid-cols").value) || 1));
    if (old.length === rows && old[0] && old[0].length === cols) return; // a second change event: keep focus
    const data = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => (old[r] && old[r][c]) || 0));
    drawGrid(data);
    commitTensor(data);
  }

  /** A tensor input in the grid (2-D data only; other ranks go to the JSON box). */
  function showTensor(input) {
    const d = input.data;
    const is2d = Array.isArray(d) && d.length && d.every((r) => Array.isArray(r) && r.every((v) => typeof v === "number"));
    if (is2d && d.length <= 16 && d[0].length <= 16) drawGrid(d);
    $("tensor-json").value = JSON.stringify(d);
    $("tensor-shape").value = input.shape ? input.shape.join(",") : "";
  }

  // ---- CIFAR-10 --------------------------------------------------------------------------------
  async function loadCifar() {
    try {
      const info = await api.cifar();
      cifar.sizes = info.splits;
      $("cifar-info").textContent = t("Source: {source}; classes: {classes}; {test} test and {train} train images. Click one; with a batch over 1, the batch starts there.",
        { source: info.source, classes: info.classes.map(classWord).join(", "), test: info.splits.test, train: info.splits.train });
      $("cifar-class").append(...info.classes.map((c) => el("option", { value: c, text: classWord(c) })));
      cifar.shown = 0;
      $("cifar-grid").replaceChildren();
      moreCifar();
    } catch (err) {
      $("cifar-info").textContent = t("CIFAR-10 is not available here: {error}", { error: err.message });
    }
  }

  const thumb = (split, i) => el("button", { type: "button", class: "thumb", "data-index": i, "aria-label": t("Use CIFAR-10 {split} image {index}", { split: t(split), index: i }),
    onclick: () => pickCifar(i) }, el("img", { src: `/api/datasets/cifar10/${split}/${i}.png`, alt: `CIFAR-10 ${split} #${i}`, width: 32, height: 32, loading: "lazy" }));

  /** Thumbnails of one class, from the by-class endpoint (one request, whole split). */
  async function cifarByClass(name) {
    const split = $("cifar-split").value;
    $("cifar-grid").replaceChildren();
    if (!name) { cifar.shown = 0; moreCifar(); return; }
    const page = await busy(t("Finding {name} images…", { name }), () => api.cifarClass(split, name, 0, 40));
    $("cifar-grid").replaceChildren(...page.items.map((it) => thumb(split, it.index)));
  }

  function moreCifar() {
    if ($("cifar-class").value) return;
    const split = $("cifar-split").value;
    const end = Math.min(cifar.shown + 40, (cifar.sizes && cifar.sizes[split]) || cifar.shown + 40);
    const thumbs = Array.from({ length: end - cifar.shown }, (_, j) => thumb(split, cifar.shown + j));
    cifar.shown = end;
    $("cifar-grid").append(...thumbs);
  }

  function pickCifar(index) {
    const split = $("cifar-split").value;
    const count = Math.max(1, Number($("cifar-count").value) || 1);
    commit(count === 1 ? { source: "cifar10", split, index } : { source: "cifar10_batch", split, start: index, count });
    document.querySelectorAll(".thumb").forEach((thumb) => thumb.classList.toggle("picked", Number(thumb.dataset.index) === index));
  }

  // ---- uploads ---------------------------------------------------------------------------------
  async function uploadFile(file) {
    const preview = $("upload-preview");
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    try {
      const up = await busy(t("Uploading…"), () => api.upload(file));
      $("upload-info").textContent = `${file.name}: ${up.width}×${up.height} ${up.mode}`;
      setUploadInput(up.upload_id);
    } catch (err) {
      $("upload-info").textContent = t("Upload failed: {error}", { error: err.message });
    }
  }

  function setUploadInput(uploadId) {
    const [h, w] = [Number($("upload-h").value), Number($("upload-w").value)];
    const input = { source: "upload", upload_id: uploadId, grayscale: $("upload-grey").checked };
    commit(h > 0 && w > 0 ? { ...input, resize: [h, w] } : input);
  }

  // ---- rendering -------------------------------------------------------------------------------
  /** The summary line, with the class name of a CIFAR-10 image once the server says it. */
  function summary(input) {
    $("input-summary").textContent = t("Input: {input}", { input: describeInput(input) });
    if (input.source !== "cifar10") return;
    api.cifarItem(input.split, input.index).then((it) => {
      if (store.state.input === input) $("input-summary").textContent += ` — ${classWord(it.class_name)}`;
    }, () => {});
  }

  /** Puts the pane matching the input on screen (an input from elsewhere: an example, a link). */
  function showPane(input) {
    if (input.source === "tensor") { showTensor(input); selectTab("tensor"); }
    else if (input.source === "upload") selectTab("upload");
    else {
      selectTab("cifar");
      $("cifar-split").value = input.split || "test";
      $("cifar-count").value = input.count || 1;
    }
  }

  function render({ input }) {
    if (input !== shownInput) showPane(input);
    shownInput = input;
    summary(input);
  }

  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
    tab.addEventListener("keydown", (ev) => {
      const tabs = [...document.querySelectorAll("[role=tab]")];
      const i = tabs.indexOf(tab);
      const j = ev.key === "ArrowRight" ? (i + 1) % tabs.length : ev.key === "ArrowLeft" ? (i + tabs.length - 1) % tabs.length : -1;
      if (j >= 0) { selectTab(tabs[j].dataset.tab); tabs[j].focus(); }
    });
  }
  $("upload-input").addEventListener("change", (ev) => ev.target.files[0] && uploadFile(ev.target.files[0]));
  dropZone($("drop"), (files) => files[0] && uploadFile(files[0]));
  for (const id of ["upload-h", "upload-w", "upload-grey"]) {
    $(id).addEventListener("change", () => store.state.input.source === "upload" && setUploadInput(store.state.input.upload_id));
  }
  $("cifar-more").addEventListener("click", moreCifar);
  $("cifar-class").addEventListener("change", () => cifarByClass($("cifar-class").value));
  $("cifar-split").addEventListener("change", () => cifarByClass($("cifar-class").value));
  $("grid-rows").addEventListener("change", resizeGrid);
  $("grid-cols").addEventListener("change", resizeGrid);
  $("tensor-shape").addEventListener("change", () => commitTensor());
  $("grid-random").addEventListener("click", () => {
    const data = gridData().map((r) => r.map(() => Math.floor(Math.random() * 5)));
    drawGrid(data);
    commitTensor(data);
  });
  $("tensor-json-apply").addEventListener("click", () => {
    let data;
    try {
      data = JSON.parse($("tensor-json").value);
    } catch (err) {
      $("input-summary").textContent = t("That is not a nested list of numbers (JSON).");
      return;
    }
    const s = $("tensor-shape").value.trim();
    actions.setInput(s ? { source: "tensor", data, shape: parseShape(s) } : { source: "tensor", data }); // redrawn: the grid shows it
  });
  store.subscribe(render, ["input"]);
  render(store.state);
}
