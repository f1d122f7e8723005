// The one DOM helper of every page: element creation, lookups by id and test id, ids for labels.
// Views build their markup with `el` and find the page's fixed elements with `byId`; nothing here
// keeps state or listens to anything by itself.

/**
 * A new element: `attrs` are attributes, except `text` (textContent), `testid` (data-testid),
 * `style` (an object of CSS properties) and `on<event>` (a listener). null, undefined and false
 * attributes are left out; true gives an empty attribute. Children may be nodes, strings or arrays.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "testid") node.dataset.testid = v;
    else if (k === "style") Object.assign(node.style, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/** An element of the page template by id; throws when the template lacks it (a renamed id fails loudly). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no element #${id}`);
  return node;
}

/** Elements under `root` with data-testid `id` (all of them, as an array). */
export const allByTestId = (root, id) => [...root.querySelectorAll(`[data-testid="${id}"]`)];

/** An id for pairing a <label> with its field, unique on the page. */
export const uniqueId = (prefix = "f") => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

/** Makes `zone` take files dropped on it: `take([...files])`; it has the class `over` while files are dragged over it. */
export function dropZone(zone, take) {
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    take([...ev.dataTransfer.files]);
  });
}

/** Shows or hides `node` (the hidden attribute), optionally setting its text. */
export function show(node, visible, text) {
  node.hidden = !visible;
  if (text !== undefined) node.textContent = text;
}

/** Runs `work` with the page's progress indicator (#busy) shown; returns its result. */
export async function busy(text, work) {
  const box = byId("busy");
  byId("busy-text").textContent = text;
  box.hidden = false;
  document.body.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    box.hidden = true;
    document.body.removeAttribute("aria-busy");
  }
}
