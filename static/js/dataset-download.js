// The CIFAR-10 download's progress bar, on every page: GET /api/datasets/cifar10 says whether the
// server is downloading the official archive (LAYERLAB_CIFAR10_DOWNLOAD=1) and how far it got.
// Polled once a second while it runs; hidden when there is none.

import { api } from "./api.js";
import { byId } from "./dom.js";
import { t } from "./i18n.js";

const POLL_MS = 1000;
const MB = 1024 * 1024;

function draw({ download, splits }) {
  const box = byId("dataset-download");
  box.hidden = !download || download.state === "done" && box.hidden;
  if (!download) return false;
  const bar = byId("dataset-download-bar");
  const text = byId("dataset-download-text");
  box.dataset.state = download.state;
  if (download.state === "downloading") {
    if (download.total) { bar.max = download.total; bar.value = download.bytes; } else bar.removeAttribute("value");
    const got = (download.bytes / MB).toFixed(1);
    text.textContent = download.total
      ? t("{got} MB of {total} MB; the built-in sample is used meanwhile.", { got, total: (download.total / MB).toFixed(0) })
      : t("{got} MB; the built-in sample is used meanwhile.", { got });
  } else if (download.state === "unpacking") {
    bar.removeAttribute("value");
    text.textContent = t("Checking and unpacking…");
  } else if (download.state === "done") {
    bar.max = 1; bar.value = 1;
    text.textContent = t("Done: {n} images. Reload the page to browse them.", { n: splits.train + splits.test });
  } else {
    bar.hidden = true;
    text.textContent = t("Failed ({error}); the built-in sample stays in use.", { error: download.error });
  }
  return download.state === "downloading" || download.state === "unpacking";
}

async function follow() {
  try {
    if (draw(await api.cifar())) setTimeout(follow, POLL_MS);
  } catch (err) {
    // the page's own requests report an unreachable server; the bar just stops
  }
}

follow();
