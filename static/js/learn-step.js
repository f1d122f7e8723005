// One step of a lesson on /learn: its text, its state run through POST /api/pipeline/run (the stages
// drawn by the lab's own results.js, so every number is torch's), the value it points at, and
// predict-then-reveal: the learner's answer is checked by POST /api/lessons/{id}/steps/{n}/check and
// only what gives the answer away stays hidden until the answer is right or asked for (the stages
// before it, the input first, are there to reason from).

import { t, lang } from "./i18n.js";
import { api } from "./api.js";
import { el, byId } from "./dom.js";
import { stageRow, prefetchMaps } from "./results.js";
import { labUrl } from "./lab-state.js";

const VIEW = { colormap: "auto", normalize: "per_channel", sample: null };

/** A lesson text ({"en", "zh-CN"}) in the page's language. */
export const inLanguage = (text) => (text ? text[lang] ?? text.en : "");

const shapeText = (v) => (Array.isArray(v) ? `(${v.join(", ")})` : String(Math.round(v * 1e4) / 1e4));

/** The lab's persisted state (lab-state.js) for a step's run: the same input, layers, seed and backward. */
function labState(run) {
  const saved = { input: run.input, layers: run.layers ?? [], seed: run.seed ?? 0, mode: run.mode ?? "eval",
    direction: run.backward ? "backward" : "forward" };
  const b = run.backward;
  if (b && "output" in b) saved.backward = { loss: "output", target: b.output.join(",") };
  else if (b) saved.backward = { loss: b.loss.type, target: b.target === "label" ? "" : JSON.stringify(b.target) };
  return saved;
}

/** The value cell at `index` of a stage's value tables (results.js lays out the last two dimensions as a table). */
function cellAt(stage, index) {
  const rank = index.length;
  const slice = rank > 2 ? index.slice(0, -2).join(",") : "";
  const table = [...stage.querySelectorAll("table.matrix")].find((x) => x.dataset.slice === slice);
  const [row, col] = rank === 1 ? [0, index[0]] : index.slice(-2);
  return table?.rows[row]?.cells[col] ?? null;
}

function markSelection(select) {
  const look = byId("step-look");
  look.hidden = !select;
  if (!select) return;
  look.textContent = select.index ? t("Look at stage {k}, value [{index}].", { k: select.stage, index: select.index.join(", ") })
    : t("Look at stage {k}.", { k: select.stage });
  for (const stage of document.querySelectorAll(`#step-run .stage[data-index="${select.stage}"]`)) {
    stage.classList.add("selected");
    const cell = select.index && cellAt(stage, select.index);
    if (cell) cell.classList.add("picked");
  }
}

/**
 * What a prediction hides until it is revealed: the forward stages from `from` on (a stage shows its
 * shape, values and parameter count, and the next one its input shape), the gradients, the loss.
 * The stages before it, the input first, stay: they are what the learner reasons from.
 */
export function concealed(predict, lastStage) {
  if (!predict) return { from: Infinity, grads: false, loss: false };
  switch (predict.answer) {
    case "grad":
    case "loss":
      return { from: Infinity, grads: true, loss: true };
    case "params":
      return { from: 1, grads: true, loss: false }; // every layer's card shows its parameter count
    default: // shape, value, indices: of one stage, the last when none is named
      return { from: predict.stage ?? lastStage, grads: true, loss: false };
  }
}

let revealed = true; // false while the step on screen waits for its prediction

function conceal(step, answer) {
  const hide = concealed(step.predict, answer.layers.length);
  const mark = (node) => node.setAttribute("data-concealed", "");
  for (const node of byId("stages").children) if (Number(node.dataset.index) >= hide.from) mark(node);
  if (hide.grads) ["grad-stages", "grad-label"].forEach((id) => mark(byId(id)));
  if (hide.loss) mark(byId("step-loss"));
  const count = byId("stages").querySelectorAll("[data-concealed]").length;
  const note = byId("step-concealed");
  note.hidden = count === 0;
  note.textContent = hide.from === 0 ? t("The stages are hidden until you answer.")
    : t("Stages from {k} on are hidden until you answer.", { k: hide.from });
}

function reveal() {
  revealed = true;
  for (const node of byId("step-run").querySelectorAll("[data-concealed]")) node.removeAttribute("data-concealed");
  byId("step-concealed").hidden = true;
}

function stagesOf(answer, backward) {
  const row = stageRow(answer, VIEW, false, backward);
  for (const node of row) node.querySelector('[data-testid="open-detail"]')?.remove(); // the detail view lives in the lab
  return row;
}

function draw(answer, step) {
  prefetchMaps(answer, VIEW);
  byId("stages").replaceChildren(...stagesOf(answer, false));
  const grads = byId("grad-stages");
  grads.hidden = !answer.input.grad;
  byId("grad-label").hidden = !answer.input.grad;
  grads.replaceChildren(...(answer.input.grad ? stagesOf(answer, true) : []));
  const loss = byId("step-loss");
  loss.hidden = answer.loss === null || answer.loss === undefined;
  if (!loss.hidden) loss.textContent = `loss = ${answer.loss.toPrecision(5)}`;
  markSelection(step.select);
  if (!revealed) conceal(step, answer);
}

function verdict(kind, head, result) {
  const box = byId("verdict");
  box.className = `verdict ${kind}`;
  const why = result && kind !== "wrong" ? [el("p", { text: inLanguage(result.explanation) })] : [];
  if (why.length && result.formula) why.push(el("p", { class: "formula", text: result.formula })); // the engine's, with its numbers
  box.replaceChildren(el("p", { class: "verdict-head", text: head }), ...why);
}

function setupPredict(lesson, n, step) {
  const form = byId("predict");
  const input = byId("predict-input");
  const showAnswer = byId("predict-show");
  const predict = step.predict;
  form.hidden = !predict;
  showAnswer.hidden = true;
  input.value = "";
  input.removeAttribute("aria-invalid");
  revealed = !predict;
  if (!predict) return;
  byId("predict-question").textContent = inLanguage(predict.question);
  byId("predict-help").textContent = predict.answer === "shape" ? t("A shape: whole numbers, e.g. 1, 6, 32, 32.")
    : t("A number, e.g. 1.5, -0.25 or 4/3.");
  let last = null;
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      last = await api.checkStep(lesson.id, n, input.value);
    } catch (err) {
      input.setAttribute("aria-invalid", "true");
      verdict("wrong", err.message);
      return;
    }
    input.setAttribute("aria-invalid", String(!last.correct));
    if (last.correct) {
      verdict("right", t("Right: torch gives {expected}.", { expected: shapeText(last.expected) }), last);
      showAnswer.hidden = true;
      reveal();
    } else {
      verdict("wrong", t("Not quite: you said {answer}. Try again, or show the answer.", { answer: shapeText(last.answer) }));
      showAnswer.hidden = false;
    }
  };
  showAnswer.onclick = () => {
    verdict("shown", t("torch gives {expected}.", { expected: shapeText(last.expected) }), last);
    showAnswer.hidden = true;
    reveal();
  };
}

let shown = 0; // the step on screen: a run that answers after the learner moved on is dropped

/** Shows step `n` (1-based) of `lesson` and runs its state through the API. */
export async function showStep(lesson, n) {
  const token = ++shown;
  const step = lesson.steps[n - 1];
  byId("step-count").textContent = t("Step {n} of {count}", { n, count: lesson.steps.length });
  byId("step-title").textContent = inLanguage(step.title);
  byId("step-text").textContent = inLanguage(step.text);
  byId("verdict").replaceChildren();
  byId("step-error").hidden = true;
  byId("step-look").hidden = true;
  const link = byId("step-link");
  link.hidden = !step.link;
  if (step.link) Object.assign(link, { href: step.link.href, textContent: inLanguage(step.link.label) });
  const lab = byId("open-in-lab");
  lab.hidden = !step.run;
  if (step.run) lab.href = labUrl(labState(step.run));
  for (const id of ["stages", "grad-stages"]) byId(id).replaceChildren();
  byId("step-loss").hidden = true;
  byId("grad-label").hidden = true;
  byId("step-concealed").hidden = true;
  setupPredict(lesson, n, step);
  if (!step.run) return;
  try {
    const answer = await api.run(step.run, VIEW);
    if (token === shown) draw(answer, step);
  } catch (err) {
    if (token !== shown) return;
    const error = byId("step-error");
    error.textContent = err.message;
    error.hidden = false;
  }
}
