// The loss chart's controls: smoothing weight (TensorBoard's slider, 0.6 by default), log scale,
// and "ignore outliers in scaling".

import { byId } from "../dom.js";

export function viewControls(store, actions) {
  const smoothing = byId("smoothing");
  const log = byId("log-scale");
  const outliers = byId("ignore-outliers");
  smoothing.addEventListener("input", () => actions.setView({ smoothing: Number(smoothing.value) }));
  log.addEventListener("change", () => actions.setView({ log: log.checked }));
  outliers.addEventListener("change", () => actions.setView({ ignoreOutliers: outliers.checked }));
  const draw = ({ view }) => {
    smoothing.value = String(view.smoothing);
    byId("smoothing-value").textContent = view.smoothing.toFixed(3);
    log.checked = view.log;
    outliers.checked = view.ignoreOutliers;
  };
  store.subscribe(draw, ["view"]);
  draw(store.state);
}
