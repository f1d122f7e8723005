// One line per activation on what it does to a signal: range, centring, saturation, dead zone.

import { t } from "./i18n.js";

export const NOTES = {
  ReLU: t("Range [0, ∞). Not zero-centred. No saturation for x > 0; dead zone for x < 0 (output and gradient 0)."),
  ReLU6: t("Range [0, 6]. Like ReLU but saturates at 6; dead zone below 0 and flat gradient above 6."),
  Sigmoid: t("Range (0, 1). Not zero-centred (σ(0) = 0.5). Saturates at both ends; gradient at most 0.25."),
  Tanh: t("Range (−1, 1). Zero-centred. Saturates at both ends; gradient at most 1 at x = 0."),
  LeakyReLU: t("Range (−∞, ∞). Nearly zero-centred. No dead zone: slope negative_slope for x < 0."),
  PReLU: t("Like LeakyReLU, but the negative slope is a learned weight starting at init."),
  RReLU: t("In train mode the negative slope is drawn at random in [lower, upper]; in eval it is their mean."),
  ELU: t("Range (−alpha, ∞). Smooth; saturates to −alpha for large negative x; mean activations near 0."),
  SELU: t("Range (−1.758, ∞). Self-normalising scale and alpha; saturates for negative x."),
  CELU: t("Range (−alpha, ∞). ELU made continuously differentiable for any alpha."),
  GELU: t("Range ≈ [−0.17, ∞). Smooth ReLU weighted by the Gaussian CDF; small negative dip, no hard dead zone."),
  SiLU: t("Range ≈ [−0.28, ∞). x·σ(x): smooth, non-monotonic dip below 0, unbounded above."),
  Mish: t("Range ≈ [−0.31, ∞). x·tanh(softplus(x)): smooth like SiLU."),
  Softplus: t("Range (0, ∞). Smooth ReLU: log(1 + e^{βx})/β; linear above threshold."),
  Hardtanh: t("Range [min_val, max_val]. Linear in between, hard saturation (zero gradient) outside."),
  Hardswish: t("Range ≈ [−0.375, ∞). Piecewise approximation of SiLU; 0 below −3, identity above 3."),
  Softmax: t("Turns a vector into probabilities (sum 1): here the whole x axis is one vector."),
  LogSoftmax: t("log of Softmax over the whole x axis: all values ≤ 0."),
};

export const SLIDERS = {
  negative_slope: [0, 1, 0.01], alpha: [0, 3, 0.05], lower: [0, 1, 0.01], upper: [0, 1, 0.01],
  beta: [0.1, 5, 0.1], threshold: [1, 30, 1], min_val: [-3, 0, 0.1], max_val: [0, 3, 0.1], init: [-1, 1, 0.05],
};
