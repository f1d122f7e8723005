// Per class, at the checkpoint on the scrubber: each class's test accuracy and the confusion matrix
// (rows: the true class, columns: what the network predicted), shaded by each row's share.

import { byId, el } from "../dom.js";
import { chosenEpoch } from "./state.js";
import { t } from "../i18n.js";
import { classWord } from "../class-words.js";

function matrix(record, names) {
  const classes = names.map(classWord);
  const head = el("tr", {}, el("th", { text: t("true ↓ · predicted →") }),
    classes.map((c) => el("th", { scope: "col", class: "rot", text: c })), el("th", { text: t("accuracy") }));
  const rows = record.confusion.map((counts, row) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    const acc = record.class_accuracy[row];
    return el("tr", {},
      el("th", { scope: "row", text: classes[row] }),
      counts.map((n, p) => el("td", {
        class: p === row ? "n diag" : "n",
        style: { "--share": `${Math.round((100 * n) / total)}%` },
        title: t("{n} {truth} image(s) predicted {predicted}", { n, truth: classes[row], predicted: classes[p] }),
        text: String(n),
      })),
      el("td", { class: "n acc", text: acc === null ? "–" : `${(100 * acc).toFixed(1)} %` }));
  });
  return el("table", { class: "confusion", "data-testid": "confusion" },
    el("caption", { text: record.epoch === 0 ? t("Test split after epoch 0 (untrained: about one in ten by chance)") : t("Test split after epoch {n}", { n: record.epoch }) }),
    el("thead", {}, head), el("tbody", {}, rows));
}

export function classesView(store) {
  const box = byId("class-accuracy");
  const draw = (state) => {
    const epoch = chosenEpoch(state);
    const record = (state.epochs[state.focus] ?? []).find((r) => r.epoch === epoch);
    if (!record?.confusion || !state.classes.length) {
      box.replaceChildren(el("p", { class: "hint", text: t("Each class's accuracy shows after the first checkpoint.") }));
      return;
    }
    box.replaceChildren(matrix(record, state.classes));
  };
  store.subscribe(draw, ["focus", "epochs", "probeEpoch", "classes"]);
  draw(store.state);
}
