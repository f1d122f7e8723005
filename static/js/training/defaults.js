// The start form's first values: example 14 of EXAMPLES.md, the classic CIFAR-10 network trained
// with SGD(lr=0.01). POST /api/jobs has the same defaults (app/jobs/config.py); a browser test
// checks that this form and an empty request start the same job.

export const EXAMPLE_14 = Object.freeze({
  layers: [
    { type: "Conv2d", out_channels: 32, kernel_size: 5, padding: 2 },
    { type: "MaxPool2d", kernel_size: 2 },
    { type: "Conv2d", out_channels: 32, kernel_size: 5, padding: 2 },
    { type: "MaxPool2d", kernel_size: 2 },
    { type: "Conv2d", out_channels: 64, kernel_size: 5, padding: 2 },
    { type: "MaxPool2d", kernel_size: 2 },
    { type: "Flatten" },
    { type: "Linear", in_features: 1024, out_features: 64 },
    { type: "Linear", in_features: 64, out_features: 10 },
  ],
  optimizer: "sgd",
  lr: 0.01,
  momentum: 0,
  weight_decay: 0,
  batch_size: 64,
  epochs: 1,
  max_steps: null,
  seed: 0,
  schedule: "constant",
  augment: [],
  health_every: 10,
  probe: { source: "cifar10", split: "test", index: 0 },
});
