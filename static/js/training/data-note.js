// Which CIFAR-10 a job trains on, in words, from GET /api/datasets/cifar10 (state.dataset): the
// bundled sample says how to train on all 50,000 images instead.

import { byId } from "../dom.js";
import { t } from "../i18n.js";
import { thousands } from "../numbers.js";

const count = thousands;

/** The sentence for a dataset answer { source, splits }. */
export function dataSentence({ source, splits }) {
  const sizes = t("{train} training and {test} test images", { train: count(splits.train), test: count(splits.test) });
  if (source === "bundled") {
    return t("Trains on the bundled {train}-image sample of CIFAR-10 (tested on its {test} test images): enough to watch a curve move, not to learn much. Set LAYERLAB_CIFAR10_DIR to an ImageFolder tree or a torchvision CIFAR-10 root and restart the server to train on all 50,000.",
      { train: count(splits.train), test: count(splits.test) });
  }
  if (source === "folder") return t("Trains on CIFAR-10 from an ImageFolder tree (LAYERLAB_CIFAR10_DIR): {sizes}.", { sizes });
  return t("Trains on CIFAR-10 from torchvision's files (LAYERLAB_CIFAR10_DIR): {sizes}.", { sizes });
}

export function dataNoteView(store) {
  const box = byId("train-data");
  const draw = ({ dataset }) => {
    box.textContent = dataset ? dataSentence(dataset) : t("Which CIFAR-10 this server trains on is not known (GET /api/datasets/cifar10 did not answer).");
  };
  store.subscribe(draw, ["dataset"]);
  draw(store.state);
}
