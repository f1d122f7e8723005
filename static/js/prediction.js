// The prediction of a run whose last stage is one score per CIFAR-10 class: the softmax of those
// logits (computed here from the run's exact values) as bars, in plain DOM with the numbers as text.

import { api } from "./api.js";
import { el, byId } from "./dom.js";
import { t } from "./i18n.js";
import { classWord } from "./class-words.js";

const CLASSES = 10;

/** softmax(logits) in float64, shifted by the largest logit as torch.softmax is (no overflow). */
export function softmax(logits) {
  const top = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The logits of item `sample` when `answer` ends in (N, 10) with exact values on a 3×32×32 picture, else null. */
export function logitsOf(answer, sample = 0) {
  const last = answer.layers.at(-1);
  const [n, c, h, w] = answer.input.shape;
  const picture = answer.input.shape.length === 4 && c === 3 && h === 32 && w === 32;
  if (!last || !picture || last.output_shape.length !== 2 || last.output_shape[1] !== CLASSES || !last.values) return null;
  return last.values[Math.min(sample, n - 1)];
}

let classNames = null; // GET /api/datasets/cifar10's classes, asked for once

function bars(title, probabilities, names, truth) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  const rows = probabilities.map((p, i) => el("tr", { class: i === best ? "best" : null, testid: "prediction-class", "data-class": names[i], "data-probability": p.toFixed(6) },
    el("th", { scope: "row", text: `${names[i]}${i === truth ? ` ${t("(true class)")}` : ""}` }),
    el("td", { class: "bar-cell", "aria-hidden": "true" }, el("span", { class: "bar", style: { width: `${(100 * p).toFixed(2)}%` } })),
    el("td", { class: "n", text: `${(100 * p).toFixed(1)} %` })));
  const predicts = t("predicts {name}", { name: names[best] });
  const verdict = truth === null || best === truth ? `${predicts}${truth === null ? "" : " ✓"}` : `${predicts} ${t("✗ (true class: {name})", { name: names[truth] })}`;
  return el("figure", { class: "prediction", testid: "prediction-chart", "data-predicted": names[best] },
    el("figcaption", {}, el("strong", { text: title }), ` ${verdict}`),
    el("table", { class: "prob-bars", "aria-label": t("{title}: probability of each CIFAR-10 class (softmax of the last stage)", { title }) },
      el("tbody", {}, rows)));
}

/** The true class of the input shown, when it is one CIFAR-10 image (from the server), else null. */
async function truthOf(input, sample) {
  if (input.source === "cifar10") return (await api.cifarItem(input.split, input.index)).label;
  if (input.source === "cifar10_batch") return (await api.cifarItem(input.split, input.start + sample)).label;
  return null;
}

/** One sentence for the top of the page: what A predicts, with a link down to the stages. */
function sentence(input, names, probabilities, truth) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  const image = input.source === "cifar10"
    ? t("CIFAR-10 {split} image #{index}", { split: t(input.split), index: input.index }) + (truth === null ? "" : ` (${names[truth]})`)
    : t("this input");
  return [`${t("On {image} the network predicts {name} ({p} %).", { image, name: names[best], p: (100 * probabilities[best]).toFixed(1) })} `,
    el("a", { href: "#results", text: t("See its stages and all ten probabilities ↓") })];
}

/** Draws #prediction from state.run: A's bars, and B's beside them when comparing; A's verdict in #prediction-line. */
export function mountPrediction(store) {
  const box = byId("prediction");
  const line = byId("prediction-line");
  async function render(state) {
    const run = state.run;
    const sample = state.view.sample ?? 0;
    const parts = run ? [["A", run.a], ["B", run.b]].filter(([, part]) => part && logitsOf(part.answer, sample)) : [];
    if (!parts.length) { box.hidden = line.hidden = true; box.replaceChildren(); line.replaceChildren(); return; }
    try {
      classNames ??= api.cifar().then((info) => info.classes.map(classWord));
      const [names, truth] = await Promise.all([classNames, truthOf(run.input ?? {}, sample).catch(() => null)]);
      if (store.state.run !== run) return; // a newer run is being drawn
      const label = (name, part) => (run.b ? `${name} (${part.weights ? t("trained") : t("untrained")})` : part.weights ? t("Trained") : t("Untrained"));
      box.replaceChildren(el("h3", { text: t("Prediction") }),
        el("div", { class: "predictions" }, parts.map(([name, part]) => bars(label(name, part), softmax(logitsOf(part.answer, sample)), names, truth))));
      const first = logitsOf(run.a.answer, sample);
      line.replaceChildren(...(first ? sentence(run.input ?? {}, names, softmax(first), truth) : []));
      box.hidden = false;
      line.hidden = !first;
    } catch (err) {
      box.replaceChildren(el("p", { class: "hint", text: t("No class names to label the prediction: {error}", { error: err.message }) }));
      box.hidden = false;
    }
  }
  store.subscribe((state) => render(state), ["run", "view"]);
}
