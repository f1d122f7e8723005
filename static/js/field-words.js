// A receptive field in words, in the page's language (field-geometry.js computes the fields and stays
// free of wording and of the DOM).

import { t } from "./i18n.js";

export function describe(field) {
  if (field === undefined) return t("(not traced)");
  if (!field) return t("nothing (only padding or a bias)");
  if (field.whole) return t("the whole sample");
  const span = ([a, b]) => (a === b ? `${a}` : `${a}–${b}`);
  if (field.f) return t("sample {n}, features {f}", { n: field.n, f: span(field.f) });
  const [h, w] = [field.y[1] - field.y[0] + 1, field.x[1] - field.x[0] + 1];
  return t("{h}×{w} (sample {n}, channels {c}, rows {y}, cols {x})", { h, w, n: field.n, c: span(field.c), y: span(field.y), x: span(field.x) });
}
