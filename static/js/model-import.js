// "Import a model": files dropped or chosen (.safetensors, .pt, .pth weights; an .onnx graph) and the
// pasted text of print(model), sent to POST /api/models; the answer's mapping (file key → lab layer,
// parameter, shape) and notes are shown before anything runs, a refusal in the server's own words.
// The dialog keeps its own few fields (files chosen, the answer): nothing here is lab state until
// "Open in the lab" picks the imported network.

import { ApiError } from "./api.js";
import { busy, dropZone, el, byId as $ } from "./dom.js";
import { t } from "./i18n.js";
import { thousands } from "./numbers.js";

const WEIGHTS = [".safetensors", ".pt", ".pth"];
const GRAPH = [".onnx"];

/** Which form field a file goes in by its name: "weights", "onnx", or null (not a model file). */
export function fieldOf(name) {
  const lower = name.toLowerCase();
  if (WEIGHTS.some((ext) => lower.endsWith(ext))) return "weights";
  if (GRAPH.some((ext) => lower.endsWith(ext))) return "onnx";
  return null;
}

/** A refusal of POST /api/models as sentences: each detail's message, with where it points when it says. */
export function refusalText(err) {
  if (!(err instanceof ApiError) || !Array.isArray(err.detail)) return [err.message];
  return err.detail.map((d) => {
    const where = (d.loc ?? []).filter((p) => p !== "body");
    return where.length ? `${where.join(" → ")}: ${d.msg}` : d.msg;
  });
}

function chosenText(file, field) {
  const what = field === "onnx" ? t("ONNX graph and its weights") : t("weights");
  return t("{file} ({what}, {kb} kB)", { file: file.name, what, kb: Math.ceil(file.size / 1024) });
}

const shapeText = (shape) => `(${shape.join(", ")})`;

function mappingTable(model) {
  const moduleOf = (row) => row.module ?? (model.layers[row.layer - 1] ? model.layers[row.layer - 1].type : "?");
  return el("table", { class: "mapping", testid: "import-mapping" },
    el("caption", { text: t("{n} tensor(s) of the file, each the parameter or buffer of one lab layer", { n: model.mapping.length }) }),
    el("thead", {}, el("tr", {}, [t("key in the file"), t("lab layer"), t("param"), t("shape")].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, model.mapping.map((row) => el("tr", { testid: "mapping-row" },
      el("td", { class: "mono", text: row.key }), el("td", { class: "mono", text: `${row.layer} · ${moduleOf(row)}` }),
      el("td", { class: "mono", text: row.param }), el("td", { class: "mono", text: shapeText(row.shape) })))));
}

/**
 * Mounts the dialog. `api` posts the form; `open(model)` opens an imported model in the lab;
 * `imported()` is told after each import (the Networks list reloads). Returns the function that shows it.
 */
export function mountImport({ api, open, imported }) {
  const dialog = $("import-dialog");
  let files = { weights: null, onnx: null };
  let answer = null;

  function showFiles() {
    const chosen = Object.entries(files).filter(([, f]) => f);
    $("import-files-chosen").replaceChildren(...chosen.map(([field, f]) =>
      el("li", { testid: "import-file-chosen", text: chosenText(f, field) })));
  }

  function setError(lines) {
    const box = $("import-error");
    box.hidden = !lines.length;
    box.replaceChildren(...lines.map((line) => el("p", { text: line })));
  }

  function take(list) {
    const refused = [];
    for (const f of list) {
      const field = fieldOf(f.name);
      if (field) files = { ...files, [field]: f };
      else refused.push(t("{file} is not a model file: choose .safetensors, .pt or .pth weights, or an .onnx graph.", { file: f.name }));
    }
    showFiles();
    setError(refused);
    showAnswer(null);
  }

  function showAnswer(model) {
    answer = model;
    const box = $("import-result");
    box.hidden = !model;
    if (!model) { box.replaceChildren(); return; }
    const facts = [model.name, t("{n} params", { n: thousands(model.params) }), t("{n} layers", { n: model.layers.length }),
      t("input {shape}", { shape: model.input_shape.join("×") }), t("from {source}", { source: model.source })].join(" · ");
    box.replaceChildren(...[
      el("p", { class: "summary", testid: "import-summary", text: t("Imported: {facts}", { facts }) }),
      model.notes?.length ? el("ul", { class: "notes", testid: "import-notes" }, model.notes.map((n) => el("li", { text: n }))) : null,
      model.mapping.length ? mappingTable(model) : el("p", { class: "hint", text: t("No weights given: the layers run from torch's initialisation under the seed.") }),
      el("button", { type: "button", class: "primary", testid: "import-open-lab", onclick: () => { dialog.close(); open(model); } }, t("Open in the lab ▶")),
    ].filter(Boolean));
  }

  async function submit() {
    const text = $("import-architecture").value.trim();
    if (!text && !files.onnx) { setError([t("Paste the text print(model) prints, or choose an .onnx file: the weights alone do not say the layers.")]); return; }
    const form = new FormData();
    if (text) form.append("architecture", text);
    if (files.onnx) form.append("onnx", files.onnx, files.onnx.name);
    if (files.weights) form.append("weights", files.weights, files.weights.name);
    const name = $("import-name").value.trim();
    if (name) form.append("name", name);
    const shape = $("import-shape").value.trim();
    if (shape) form.append("input_shape", JSON.stringify(shape.split(/[,\s×x]+/).filter(Boolean).map(Number)));
    setError([]);
    showAnswer(null);
    try {
      const model = await busy(t("Importing the network…"), () => api.importModel(form));
      showAnswer(model);
      imported(model);
    } catch (err) {
      setError(refusalText(err));
    }
  }

  dropZone($("import-drop"), take);
  $("import-file").addEventListener("change", (ev) => take([...ev.target.files]));
  $("import-clear").addEventListener("click", () => { files = { weights: null, onnx: null }; $("import-file").value = ""; showFiles(); showAnswer(null); setError([]); });
  $("import-submit").addEventListener("click", submit);
  $("import-close").addEventListener("click", () => dialog.close());
  return () => {
    if (!dialog.open) dialog.showModal();
    $("import-architecture").focus();
    return answer;
  };
}
