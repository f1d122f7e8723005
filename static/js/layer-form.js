// One layer card's fields: a form generated from the catalogue entry (GET /api/layers) with torch's
// defaults and inline validation from the parameter constraints. A field reports a committed value
// through `set(name, value)` (undefined: back to torch's default; a function: of the current value);
// the card turns it into a new layer.

import { el, uniqueId } from "./dom.js";
import { t } from "./i18n.js";

/** Text in a field → the JSON value torch takes, or throws a sentence. */
function parseValue(param, text) {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (param.type === "padding" && (trimmed === "same" || trimmed === "valid")) return trimmed;
  const parts = trimmed.split(/[,\s×x]+/).filter(Boolean);
  const isPair = ["int_or_pair", "float_or_pair", "padding", "output_size"].includes(param.type);
  if (parts.length > 1 && !isPair) throw new Error(t("one number"));
  if (parts.length > 2) throw new Error(t("one number or two (h, w)"));
  const intOnly = param.type !== "float" && param.type !== "float_or_pair";
  const nums = parts.map((p) => {
    if (param.type === "output_size" && p === "None") return null;
    const n = Number(p);
    if (!Number.isFinite(n)) throw new Error(t("“{value}” is not a number", { value: p }));
    if (intOnly && !Number.isInteger(n)) throw new Error(t("must be a whole number"));
    const c = param.constraints || {};
    if (c.ge !== undefined && n < c.ge) throw new Error(t("must be ≥ {n}", { n: c.ge }));
    if (c.gt !== undefined && n <= c.gt) throw new Error(t("must be > {n}", { n: c.gt }));
    if (c.le !== undefined && n > c.le) throw new Error(t("must be ≤ {n}", { n: c.le }));
    return n;
  });
  return nums.length === 1 ? nums[0] : nums;
}

function fmt(v) {
  if (v === undefined || v === null) return "";
  return Array.isArray(v) ? v.join(", ") : String(v);
}

function paramField(layer, param, set) {
  const id = uniqueId();
  const msg = el("span", { class: "field-msg", "aria-live": "polite" });
  const current = param.name in layer ? layer[param.name] : param.default;
  const label = el("label", { for: id, title: param.doc || "" }, param.name);
  let input;
  const commit = (value) => set(param.name, JSON.stringify(value) === JSON.stringify(param.default) ? undefined : value);
  if (param.type === "bool" && !param.nullable) {
    input = el("input", { id, type: "checkbox", "data-param": param.name });
    input.checked = Boolean(current);
    input.addEventListener("change", () => commit(input.checked));
  } else if (param.type === "choice" || param.type === "bool") {
    const options = param.type === "bool" ? ["None", "true", "false"] : param.constraints.choices;
    input = el("select", { id, "data-param": param.name }, options.map((o) => el("option", { value: o, text: o })));
    input.value = current === null ? "None" : String(current);
    input.addEventListener("change", () => {
      const v = input.value;
      commit(param.type === "bool" ? (v === "None" ? null : v === "true") : v);
    });
  } else {
    const placeholder = param.inferred ? t("inferred") : param.nullable ? "None" : param.required ? t("required") : "";
    input = el("input", { id, type: "text", inputmode: "decimal", size: 7, placeholder, "data-param": param.name });
    input.value = fmt(current);
    const check = () => {
      try {
        const v = parseValue(param, input.value);
        if (v === undefined && param.required) throw new Error("required");
        msg.textContent = "";
        input.removeAttribute("aria-invalid");
        commit(v === undefined ? (param.nullable || param.inferred ? undefined : param.default) : v);
      } catch (err) {
        msg.textContent = `${param.name} ${err.message}`;
        input.setAttribute("aria-invalid", "true");
      }
    };
    input.addEventListener("change", check);
    input.addEventListener("input", () => {
      try {
        parseValue(param, input.value);
        msg.textContent = "";
        input.removeAttribute("aria-invalid");
      } catch (err) {
        msg.textContent = `${param.name} ${err.message}`;
        input.setAttribute("aria-invalid", "true");
      }
    });
  }
  if (param.required && !(param.name in layer)) msg.textContent = t("{name} is required", { name: param.name });
  return el("div", { class: "field" }, label, input, msg);
}

function jsonField(layer, name, set) {
  const id = uniqueId();
  const msg = el("span", { class: "field-msg" });
  const value = layer[name];
  const area = el("textarea", { id, rows: 1, cols: 28, placeholder: t("torch init"), "data-param": `${name}-values` });
  area.value = Array.isArray(value) ? JSON.stringify(value) : "";
  area.addEventListener("change", () => {
    const typed = area.value.trim();
    if (!typed) {
      msg.textContent = "";
      set(name, (current) => (Array.isArray(current) ? undefined : current)); // a flag of the same name stays
      return;
    }
    try {
      const v = JSON.parse(typed);
      if (!Array.isArray(v)) throw new Error(t("expects a nested list"));
      msg.textContent = "";
      area.removeAttribute("aria-invalid");
      set(name, v);
    } catch (err) {
      msg.textContent = t("{name}: not a nested list of numbers", { name });
      area.setAttribute("aria-invalid", "true");
    }
  });
  return el("div", { class: "field wide" }, el("label", { for: id }, t("{name} values", { name })), area, msg);
}

/** The extra field of a layer that consumes pool indices: the 1-based position of the layer producing them. */
const consumesIndices = (info) => info.pool_indices === "consumes";

/** The fields of one layer (everything but the type select); `set(name, value)` commits one. */
export function layerFields(layer, info, set) {
  const fields = info.params.map((p) => paramField(layer, p, set));
  if (consumesIndices(info)) {
    const p = { name: "indices_from", type: "int", default: null, required: true, constraints: { ge: 1 },
      doc: info.extra_fields.indices_from };
    fields.push(paramField(layer, p, set));
    // forward's output_size: always [H, W] in the request; one number means H = W.
    const size = { name: "output_size", type: "int_or_pair", default: null, nullable: true, constraints: { ge: 1 },
      doc: info.extra_fields.output_size };
    const asPair = (name, v) => set(name, typeof v === "number" ? [v, v] : v);
    fields.push(paramField(layer, size, asPair));
  }
  for (const tensor of info.tensors || []) fields.push(jsonField(layer, tensor, set));
  return fields;
}

/** Missing required values, as sentences (checked before a run is sent). */
export function missingRequired(layer, info) {
  const out = info.params.filter((p) => p.required && !(p.name in layer)).map((p) => t("{name} is required", { name: p.name }));
  if (consumesIndices(info) && !("indices_from" in layer)) {
    out.push(t("indices_from is required (the position of the earlier layer that returns indices)"));
  }
  return out;
}
