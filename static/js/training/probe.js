// The probe beside the loss curve: a scrubber over the followed run's checkpoints, and the job's
// probe image drawn through the network with that checkpoint's weights (every stage's map, the
// run API with weights_from), with what the network predicted for it at that checkpoint.

import { byId, el } from "../dom.js";
import { checkpointEpochs, checkpointKey, chosenEpoch } from "./state.js";
import { t } from "../i18n.js";
import { classWord } from "../class-words.js";

const shape = (s) => s.slice(1).join("×"); // one image: the batch dimension is 1

/** "cat 61 % · dog 22 % · frog 7 %": the checkpoint's probabilities for the (first) probe image. */
function prediction(record, classes) {
  const p = record?.probe?.probabilities?.[0];
  if (!p || p.length !== classes.length) return "";
  const ranked = p.map((v, i) => [v, classWord(classes[i])]).sort((a, b) => b[0] - a[0]).slice(0, 3);
  return t("The network says: {ranked}", { ranked: ranked.map(([v, name]) => `${name} ${(100 * v).toFixed(0)} %`).join(" · ") });
}

function stageMap(src, caption) {
  return el("figure", { class: "probe-stage" },
    el("img", { src, alt: caption, class: "map", loading: "lazy", "data-testid": "probe-map" }),
    el("figcaption", { text: caption }));
}

export function probeView(store, actions) {
  const scrubber = byId("probe-scrubber");
  const maps = byId("probe-maps");
  scrubber.addEventListener("input", () => actions.chooseEpoch(checkpointEpochs(store.state, store.state.focus)[Number(scrubber.value)]));

  const draw = (state) => {
    const epochs = checkpointEpochs(state, state.focus);
    const epoch = chosenEpoch(state);
    scrubber.disabled = epochs.length < 1;
    scrubber.max = String(Math.max(0, epochs.length - 1));
    scrubber.value = String(Math.max(0, epochs.indexOf(epoch)));
    scrubber.setAttribute("aria-valuetext", epoch === null ? t("no checkpoint yet") : t("epoch {n}", { n: epoch }));
    byId("probe-epoch").textContent = epoch === null ? t("none yet") : epoch === 0 ? t("epoch 0 (untrained)") : t("epoch {n}", { n: epoch });
    const outcome = epoch === null ? null : state.checkpointRuns[checkpointKey(state.focus, epoch)];
    maps.dataset.epoch = outcome?.run ? String(epoch) : "";
    const record = (state.epochs[state.focus] ?? []).find((r) => r.epoch === epoch);
    byId("probe-prediction").textContent = prediction(record, state.classes);
    if (!outcome?.run) delete maps.dataset.run;
    if (epoch === null) maps.replaceChildren(el("p", { class: "hint", text: t("The probe appears after the first checkpoint.") }));
    else if (!outcome) maps.replaceChildren(el("p", { class: "hint", text: t("Running the probe through epoch {n}'s weights…", { n: epoch }) }));
    else if (outcome.error) maps.replaceChildren(el("p", { class: "error", text: outcome.error }));
    else if (maps.dataset.run !== outcome.run.run_id) {
      const { run } = outcome;
      maps.dataset.run = run.run_id;
      maps.replaceChildren(stageMap(run.input.image_url, `${t("input")} ${shape(run.input.shape)}`),
        ...run.layers.map((l) => stageMap(l.image_url, `${l.index} ${l.type} ${shape(l.output_shape)}`)));
    }
  };
  store.subscribe(draw, ["focus", "epochs", "probeEpoch", "checkpointRuns", "classes"]);
  draw(store.state);
}
