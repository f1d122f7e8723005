// Per class, at the checkpoint on the scrubber: each class's test accuracy and the confusion matrix
// (rows: the true class, columns: what the network predicted), shaded by each row's share.

import { byId, el } from "../dom.js";
import { chosenEpoch } from "./state.js";

function matrix(record, classes) {
  const head = el("tr", {}, el("th", { text: "true ↓ · predicted →" }),
    classes.map((c) => el("th", { scope: "col", class: "rot", text: c })), el("th", { text: "accuracy" }));
  const rows = record.confusion.map((counts, t) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    const acc = record.class_accuracy[t];
    return el("tr", {},
      el("th", { scope: "row", text: classes[t] }),
      counts.map((n, p) => el("td", {
        class: p === t ? "n diag" : "n",
        style: { "--share": `${Math.round((100 * n) / total)}%` },
        title: `${n} ${classes[t]} image(s) predicted ${classes[p]}`,
        text: String(n),
      })),
      el("td", { class: "n acc", text: acc === null ? "–" : `${(100 * acc).toFixed(1)} %` }));
  });
  return el("table", { class: "confusion", "data-testid": "confusion" },
    el("caption", { text: `Test split after epoch ${record.epoch}${record.epoch === 0 ? " (untrained: about one in ten by chance)" : ""}` }),
    el("thead", {}, head), el("tbody", {}, rows));
}

export function classesView(store) {
  const box = byId("class-accuracy");
  const draw = (state) => {
    const epoch = chosenEpoch(state);
    const record = (state.epochs[state.focus] ?? []).find((r) => r.epoch === epoch);
    if (!record?.confusion || !state.classes.length) {
      box.replaceChildren(el("p", { class: "hint", text: "Each class's accuracy shows after the first checkpoint." }));
      return;
    }
    box.replaceChildren(matrix(record, state.classes));
  };
  store.subscribe(draw, ["focus", "epochs", "probeEpoch", "classes"]);
  draw(store.state);
}
