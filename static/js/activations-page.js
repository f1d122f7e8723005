// Entry point of /activations: the explorer alone, on a store of its own.

import { api } from "./api.js";
import { byId } from "./dom.js";
import { createStore } from "./store.js";
import { ACTIVATIONS, activationActions, mountActivations } from "./activations.js";
import { t } from "./i18n.js";

const store = createStore({ catalogue: {}, activations: ACTIVATIONS });
const actions = activationActions(store);
mountActivations(store, actions);
api.catalogue().then(
  (catalogue) => store.update({ catalogue }),
  (err) => { byId("act-notes").textContent = t("Cannot load the layer catalogue: {error}", { error: err.message }); },
);
