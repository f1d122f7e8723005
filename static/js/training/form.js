// The start form: the layers (from the lab's "Train this pipeline", or example 14), the optimiser
// and the probe image. Refusals of POST /api/jobs are shown on the layer or the field they name.

import { byId, el } from "../dom.js";
import { t } from "../i18n.js";

const NUMBERS = ["lr", "momentum", "weight_decay", "batch_size", "epochs", "max_steps", "seed", "health_every"];

/** "Conv2d(out_channels=32, kernel_size=5, padding=2)": a layer as torch's constructor reads. */
export function layerText(layer) {
  const args = Object.entries(layer).filter(([k]) => k !== "type").map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${layer.type}(${args.join(", ")})`;
}

/** FastAPI's 422 detail → { field, position, message } on the form. */
export function formErrorsOf(detail, fallback) {
  if (!Array.isArray(detail)) return [{ field: null, position: null, message: fallback }];
  return detail.map((d) => {
    const [, field = null, position = null] = d.loc ?? [];
    return { field, position: field === "layers" && Number.isInteger(position) ? position : null, message: d.msg };
  });
}

export function formView(store, actions, { start }) {
  const form = byId("train-form");
  const json = byId("train-layers-json");
  const probe = byId("f-probe");
  const showProbe = () => (byId("f-probe-img").src = `/api/datasets/cifar10/test/${Math.max(0, Number(probe.value) || 0)}.png`);
  probe.addEventListener("change", showProbe);
  json.addEventListener("change", () => {
    try {
      const layers = JSON.parse(json.value);
      if (!Array.isArray(layers) || !layers.every((l) => l && typeof l.type === "string")) throw new Error(t("each layer needs a \"type\""));
      actions.setDraft({ ...store.state.draft, layers });
    } catch (err) {
      actions.refuse([{ field: "layers", position: null, message: t("The layers must be a JSON list of {\"type\": …} objects: {error}.", { error: err.message }) }]);
    }
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const config = { ...store.state.draft, optimizer: byId("f-optimizer").value, schedule: byId("f-schedule").value,
      augment: [...form.querySelectorAll("input[name=augment]:checked")].map((box) => box.value) };
    for (const name of NUMBERS) {
      const text = byId(`f-${name}`).value.trim();
      config[name] = text === "" && name === "max_steps" ? null : Number(text);
    }
    config.probe = { source: "cifar10", split: "test", index: Number(probe.value) };
    start(config);
  });

  const fill = ({ draft }) => {
    if (!draft) return;
    byId("f-optimizer").value = draft.optimizer;
    byId("f-schedule").value = draft.schedule ?? "constant";
    for (const box of form.querySelectorAll("input[name=augment]")) box.checked = (draft.augment ?? []).includes(box.value);
    for (const name of NUMBERS) byId(`f-${name}`).value = draft[name] ?? "";
    probe.value = draft.probe.index ?? 0;
    json.value = JSON.stringify(draft.layers, null, 1);
    showProbe();
  };
  const draw = ({ draft, formErrors, starting, tokenAsked }) => {
    byId("token-row").hidden = !tokenAsked;
    const onLayer = (i) => formErrors.filter((e) => e.position === i).map((e) => e.message);
    byId("train-layers").replaceChildren(...(draft?.layers ?? []).map((layer, i) => {
      const errors = onLayer(i);
      return el("li", { class: errors.length ? "refused" : null, "data-testid": "train-layer" },
        el("code", { text: layerText(layer) }), errors.map((m) => el("div", { class: "field-msg", text: m })));
    }));
    for (const name of ["optimizer", "schedule", "augment", "weights_from", ...NUMBERS, "probe"]) {
      byId(`f-${name}`).setAttribute("aria-invalid", String(formErrors.some((e) => e.field === name)));
    }
    const box = byId("form-error");
    const general = formErrors.filter((e) => e.position === null);
    box.hidden = !general.length;
    box.replaceChildren(...general.map((e) => el("div", { text: e.field ? `${e.field}: ${e.message}` : e.message })));
    byId("train-start").disabled = starting || !draft;
  };
  store.subscribe(fill, ["draft"]);
  store.subscribe(draw, ["draft", "formErrors", "starting", "tokenAsked"]);
  fill(store.state);
  draw(store.state);
}
