// The first layer's filters at every checkpoint of the followed run, side by side, so what training
// changed in them is visible (GET /api/jobs/{id}/filters.png?epoch=n). A click chooses that checkpoint.

import { byId, el } from "../dom.js";
import { checkpointEpochs, chosenEpoch } from "./state.js";
import { t } from "../i18n.js";

export function filtersView(store, actions) {
  const box = byId("filters");
  const draw = (state) => {
    const epochs = checkpointEpochs(state, state.focus);
    if (!epochs.length) {
      box.replaceChildren(el("p", { class: "hint", text: t("Filters appear at each checkpoint (epoch 0 is the untrained network).") }));
      return;
    }
    const chosen = chosenEpoch(state);
    box.replaceChildren(...epochs.map((epoch) => {
      const src = `/api/jobs/${encodeURIComponent(state.focus)}/filters.png?epoch=${epoch}`;
      const picture = el("img", { src, alt: t("First-layer filters after epoch {n}", { n: epoch }), class: "map", "data-testid": "filter-image" });
      return el("button", { type: "button", class: epoch === chosen ? "filter chosen" : "filter", "aria-pressed": String(epoch === chosen),
        title: t("Show this checkpoint's probe"), onclick: () => actions.chooseEpoch(epoch) },
      picture, el("span", { text: epoch === 0 ? t("epoch 0 (untrained)") : t("epoch {n}", { n: epoch }) }));
    }));
  };
  store.subscribe(draw, ["focus", "epochs", "probeEpoch"]);
  draw(store.state);
}
