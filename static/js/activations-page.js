// Entry point of /activations: the explorer alone.

import { api } from "./api.js";
import { initActivations } from "./activations.js";

api.layers().then(initActivations, (err) => {
  document.getElementById("act-notes").textContent = `Cannot load the layer catalogue: ${err.message}`;
});
