// The lab's "Train this pipeline": once a run shows that the pipeline ends in 10 outputs per sample
// (one score per CIFAR-10 class), it opens /training with these layers in the start form (and, with
// a network's weights picked, `model=<id>`: training starts from them).


import { t } from "./i18n.js";
const CLASSES = 10;

/** The layers to train, or why not: the run shown must be of the cards as they are, and end in (N, 10). */
function trainable(state) {
  const shown = state.run?.a;
  if (!shown) return { why: t("Run the pipeline first: training needs it to end in 10 outputs per image.") };
  if (shown.layers !== state.layers) return { why: t("The cards changed since the run: run again to train them.") };
  const out = shown.answer.layers.at(-1)?.output_shape ?? shown.answer.input.shape;
  if (out.length !== 2 || out[1] !== CLASSES) {
    return { why: t("Training needs 10 outputs per image (one per CIFAR-10 class); this pipeline ends in {shape}.", { shape: out.join("×") }) };
  }
  return { layers: shown.layers };
}

export function mountTrainLink(store, button) {
  const render = (state) => {
    const { layers, why } = trainable(state);
    button.disabled = !layers;
    button.title = why ?? t("Open the training dashboard with this pipeline");
  };
  button.addEventListener("click", () => {
    const { layers } = trainable(store.state);
    if (!layers) return;
    const model = store.state.weights_from?.model_id; // the network's weights to train on from
    location.assign(`/training?${new URLSearchParams({ layers: JSON.stringify(layers), ...(model ? { model } : {}) })}`);
  });
  store.subscribe(render, ["run", "layers"]);
  render(store.state);
}
