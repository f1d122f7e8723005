// The CIFAR-10 download's progress bar, on every page: GET /api/datasets/cifar10 says whether the
// server is downloading the official archive (LAYERLAB_CIFAR10_DOWNLOAD=1) and how far it got.
// Polled once a second while it runs; hidden when there is none.

import { api } from "./api.js";
import { byId } from "./dom.js";

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
    const of = download.total ? ` of ${(download.total / MB).toFixed(0)} MB` : "";
    text.textContent = `${(download.bytes / MB).toFixed(1)} MB${of}; the built-in sample is used meanwhile.`;
  } else if (download.state === "unpacking") {
    bar.removeAttribute("value");
    text.textContent = "Checking and unpacking…";
  } else if (download.state === "done") {
    bar.max = 1; bar.value = 1;
    text.textContent = `Done: ${splits.train + splits.test} images. Reload the page to browse them.`;
  } else {
    bar.hidden = true;
    text.textContent = `Failed (${download.error}); the built-in sample stays in use.`;
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
