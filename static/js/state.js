// The whole lab state (input + pipeline + view) and its round trip through the URL hash.

export const state = {
  input: { source: "tensor", data: [[0, 4, 4, 3], [3, 3, 1, 1], [4, 2, 3, 4], [1, 3, 3, 0]], shape: [1, 1, 4, 4] },
  layers: [{ type: "MaxPool2d", kernel_size: 2, stride: 2 }],
  compare: null, // pipeline B's layers when comparing two pipelines on the same input, else null
  seed: 0,
  mode: "eval",
  // auto: pictures drawn as pictures (a batch as a grid, as TensorBoard's add_images), other maps coloured;
  // sample null: the whole batch of pictures, item 0's channels
  view: { colormap: "auto", normalize: "per_channel", sample: null },
  example: null,
};

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function saveToUrl() {
  const { input, layers, compare, seed, mode, view, example } = state;
  const hash = "#s=" + toBase64Url(JSON.stringify({ input, layers, compare, seed, mode, view, example }));
  history.replaceState(null, "", hash);
}

/** Loads the state from `#s=...`; returns true when the URL held one. */
export function loadFromUrl() {
  const m = location.hash.match(/^#s=([A-Za-z0-9_-]+)$/);
  if (!m) return false;
  try {
    Object.assign(state, { compare: null, example: null }, JSON.parse(fromBase64Url(m[1]))); // a link without B has no B
    return true;
  } catch (err) {
    return false;
  }
}

export function shapeText(shape, sep = "×") {
  return shape.join(sep);
}
