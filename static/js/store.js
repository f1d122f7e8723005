// A store: one state object that views render from, replaced (never edited) through `update`, which
// notifies every subscriber with the keys that changed. Pages keep their actions (the few functions
// allowed to call `update`) beside their state shape, as lab-state.js does for the lab. A page:
//
//   const store = createStore({ jobs: [], selected: null });
//   const actions = { select: (id) => store.update({ selected: id }) };
//   export function mountJobList(store, actions, root) {            // a view: called from the entry module
//     const render = (state) => root.replaceChildren(...state.jobs.map((j) => el("li", { text: j.id })));
//     store.subscribe(render, ["jobs"]);                               // re-render when `jobs` changes
//     render(store.state);
//   }

/** Freezes `value` and everything in it (plain objects and arrays), so only `update` changes the state. */
export function deepFreeze(value) {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function createStore(initial) {
  let state = deepFreeze({ ...initial });
  const subscribers = new Set();
  return {
    /** The current state (frozen: a view that tries to write into it gets a TypeError). */
    get state() {
      return state;
    },
    /**
     * `view(state, changedKeys)` is called after every update; `keys` limits it to updates of those
     * keys. Returns the function that unsubscribes.
     */
    subscribe(view, keys = null) {
      const entry = { view, keys: keys && new Set(keys) };
      subscribers.add(entry);
      return () => subscribers.delete(entry);
    },
    /**
     * Merges `changes` (or `changes(state)`) into a new state, frozen, and notifies; a key given the
     * very value it had is not a change. New values are frozen in place: pass copies, not what you keep.
     */
    update(changes) {
      const next = typeof changes === "function" ? changes(state) : changes;
      const changed = Object.keys(next).filter((k) => next[k] !== state[k]);
      if (!changed.length) return;
      for (const k of changed) deepFreeze(next[k]);
      state = Object.freeze({ ...state, ...next });
      for (const { view, keys } of [...subscribers]) {
        if (!keys || changed.some((k) => keys.has(k))) view(state, changed);
      }
    },
  };
}
