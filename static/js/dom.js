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

const SVG = "http://www.w3.org/2000/svg";
// Icons drawn as inline SVG in the text colour: an emoji renders as an empty box where no emoji font is installed.
const ICONS = {
  magnifier: [["circle", { cx: 6.5, cy: 6.5, r: 4.5 }], ["line", { x1: 10, y1: 10, x2: 14.5, y2: 14.5 }]],
};

/** An inline SVG icon (16×16, currentColor). Decorative: the button or link it sits in carries the label. */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 16 16", width: 16, height: 16, fill: "none", stroke: "currentColor",
    "stroke-width": 2, "stroke-linecap": "round", "aria-hidden": "true", focusable: "false", class: `icon-${name}` })) {
    svg.setAttribute(k, v);
  }
  for (const [tag, attrs] of ICONS[name]) {
    const shape = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) shape.setAttribute(k, v);
    svg.append(shape);
  }
  return svg;
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
