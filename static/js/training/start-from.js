// "Start from": train on from a network's weights (POST /api/jobs `weights_from`), any that
// GET /api/models lists: the shipped trained ones, the imported ones, each job's latest checkpoint.
// Picking one puts its layers in the draft; torch's initialisation drops the weights and keeps the
// layers. `/training?model=<id>` (the lab's "Train this pipeline" with a network picked) starts there.

import { byId, el } from "../dom.js";
import { t } from "../i18n.js";

const weightsOf = (m) => m.weights_from ?? { model_id: m.model_id };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const describe = (m) => `${m.name}${m.trained && Number.isFinite(m.trained.test_accuracy) ? ` (${t("{p} % test accuracy", { p: (100 * m.trained.test_accuracy).toFixed(1) })})` : ""}`;

/** The draft with `model`'s weights and layers, or (model null) without any weights_from. */
export function draftFrom(draft, model) {
  const { weights_from: _dropped, ...rest } = draft;
  return model ? { ...rest, layers: structuredClone(model.layers), weights_from: weightsOf(model) } : rest;
}

export function startFromView(store, actions, models) {
  const select = byId("f-weights_from");
  select.append(...models.map((m, i) => el("option", { value: String(i), text: describe(m) })));
  select.addEventListener("change", () => actions.setDraft(draftFrom(store.state.draft, models[Number(select.value)] ?? null)));
  const draw = ({ draft }) => {
    const i = draft?.weights_from ? models.findIndex((m) => same(weightsOf(m), draft.weights_from)) : -1;
    select.value = i >= 0 ? String(i) : "";
  };
  store.subscribe(draw, ["draft"]);
  const asked = models.find((m) => m.model_id && m.model_id === new URLSearchParams(location.search).get("model"));
  if (asked) actions.setDraft(draftFrom(store.state.draft, asked));
  draw(store.state);
}
