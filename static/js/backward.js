// The Forward/Backward switch and the loss and target beside Run (state.direction, state.backward).
// Backward runs the pipeline with "backward" and the stages show ∂loss/∂ each stage's output; the
// request part is built here, the drawing is results.js and the detail view's.

import { byId } from "./dom.js";
import { t } from "./i18n.js";

const isCifar = (input) => input.source === "cifar10" || input.source === "cifar10_batch";

/**
 * The run request's "backward" for the lab's state; throws an Error in words when the target cannot be read.
 * An empty target means "label" for CIFAR-10 inputs and the first output value otherwise.
 */
export function backwardRequest(state) {
  const { loss, target } = state.backward;
  const text = target.trim();
  if (loss === "output" || (text === "" && !isCifar(state.input))) {
    const rank = state.run ? state.run.a.answer.output_shape.length : state.input.shape?.length ?? 4;
    const index = text === "" || loss !== "output" ? Array(rank).fill(0) : text.replace(/[[\]\s]/g, "").split(",").map(Number);
    if (index.some((i) => !Number.isInteger(i))) throw new Error(t("The output index is whole numbers separated by commas, like 0,3; got \"{text}\".", { text }));
    return { output: index };
  }
  if (text === "" || text === "label") return { loss: { type: loss }, target: "label" };
  try {
    return { loss: { type: loss }, target: JSON.parse(text) };
  } catch (err) {
    throw new Error(t("The target is \"label\", class indices like [3], or a tensor like [[0.1, 0.9]]; \"{text}\" is none of these.", { text }));
  }
}

/** Wires the switch and the pickers; `run` is called when Backward is chosen and the run shown has no gradients. */
export function mountBackward(store, actions, run) {
  const toggle = byId("stages").closest("section").querySelector("[data-testid=backward-toggle]");
  const [loss, target] = [byId("loss"), byId("target")];
  const render = (s) => {
    for (const b of toggle.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.direction === s.direction));
    loss.value = s.backward.loss;
    target.value = s.backward.target;
    target.placeholder = s.backward.loss === "output" ? "0,0" : isCifar(s.input) ? "label" : t("first output value");
    const answer = s.run && s.run.a.answer;
    const shown = s.direction === "backward" && answer && answer.loss !== null && answer.loss !== undefined;
    const value = byId("loss-value");
    value.hidden = !shown;
    if (shown) value.textContent = `${t("loss")} = ${answer.loss.toPrecision(5)}`;
  };
  toggle.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-direction]");
    if (!button) return;
    actions.setDirection(button.dataset.direction);
    const answer = store.state.run && store.state.run.a.answer;
    if (button.dataset.direction === "backward" && answer && !answer.input.grad) run();
  });
  loss.addEventListener("change", () => actions.setBackward({ loss: loss.value }));
  target.addEventListener("change", () => actions.setBackward({ target: target.value }));
  store.subscribe(render, ["direction", "backward", "input", "run"]);
  render(store.state);
}
