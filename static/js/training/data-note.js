// Which CIFAR-10 a job trains on, in words, from GET /api/datasets/cifar10 (state.dataset): the
// bundled sample says how to train on all 50,000 images instead.

import { byId } from "../dom.js";

const count = (n) => n.toLocaleString("en-US");

/** The sentence for a dataset answer { source, splits }. */
export function dataSentence({ source, splits }) {
  const sizes = `${count(splits.train)} training and ${count(splits.test)} test images`;
  if (source === "bundled") {
    return `Trains on the bundled ${count(splits.train)}-image sample of CIFAR-10 (tested on its ${count(splits.test)} test images): ` +
      "enough to watch a curve move, not to learn much. Set LAYERLAB_CIFAR10_DIR to an ImageFolder tree or a torchvision " +
      "CIFAR-10 root and restart the server to train on all 50,000.";
  }
  if (source === "folder") return `Trains on CIFAR-10 from an ImageFolder tree (LAYERLAB_CIFAR10_DIR): ${sizes}.`;
  return `Trains on CIFAR-10 from torchvision's files (LAYERLAB_CIFAR10_DIR): ${sizes}.`;
}

export function dataNoteView(store) {
  const box = byId("train-data");
  const draw = ({ dataset }) => {
    box.textContent = dataset ? dataSentence(dataset) : "Which CIFAR-10 this server trains on is not known (GET /api/datasets/cifar10 did not answer).";
  };
  store.subscribe(draw, ["dataset"]);
  draw(store.state);
}
