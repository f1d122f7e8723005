// The first weighted layer's filters at every checkpoint of the followed run, side by side, so what
// training changed in them is visible (drawn by the run API: GET /api/runs/{id}/weights/{k}.png).

import { byId, el } from "../dom.js";
import { checkpointEpochs, checkpointKey, chosenEpoch } from "./state.js";

export function filtersView(store, actions) {
  const box = byId("filters");
  const draw = (state) => {
    const epochs = checkpointEpochs(state, state.focus);
    if (!epochs.length) {
      box.replaceChildren(el("p", { class: "hint", text: "Filters appear at each checkpoint (epoch 0 is the untrained network)." }));
      return;
    }
    const chosen = chosenEpoch(state);
    box.replaceChildren(...epochs.map((epoch) => {
      const run = state.checkpointRuns[checkpointKey(state.focus, epoch)]?.run;
      const layer = run?.layers.find((l) => l.params > 0);
      const picture = layer
        ? el("img", { src: `/api/runs/${run.run_id}/weights/${layer.index}.png`, alt: `Layer ${layer.index} (${layer.type}) weights after epoch ${epoch}`, class: "map" })
        : el("span", { class: "noimg", text: "…" });
      return el("button", { type: "button", class: epoch === chosen ? "filter chosen" : "filter", "aria-pressed": String(epoch === chosen),
        title: "Show this checkpoint's probe", onclick: () => actions.chooseEpoch(epoch) },
      picture, el("span", { text: epoch === 0 ? "epoch 0 (untrained)" : `epoch ${epoch}` }));
    }));
  };
  store.subscribe(draw, ["focus", "epochs", "probeEpoch", "checkpointRuns"]);
  draw(store.state);
}
