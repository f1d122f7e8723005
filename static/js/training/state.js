// The dashboard's one state object and the only functions that change it. Views subscribe to the
// keys they draw; the event stream hands its events over once per animation frame (appendEvents).

import { createStore } from "../store.js";

export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

const INITIAL = {
  classes: [], // CIFAR-10 class names, in label order
  dataset: null, // GET /api/datasets/cifar10: { source, classes, splits }, what jobs train on
  draft: null, // the start form's values: a job config (POST /api/jobs body)
  formErrors: [], // refusals of POST /api/jobs: { field: "lr", "layers", …, position: 0-based layer or null, message }
  starting: false,
  tokenAsked: false, // the server answered 401: the form shows the API token field
  jobs: {}, // job id → the job as GET /api/jobs answers it, status kept current by the stream
  order: [], // job ids, newest first
  series: {}, // job id → columns of its `step` events: { step: [], epoch: [], loss: [], time: [], imagesPerSecond: [] }
  epochs: {}, // job id → [{ epoch, train_loss, test_loss, test_accuracy, time, … }] from `epoch` events
  health: {}, // job id → columns of its `layer_health` events: { step: [], lr: [], layers: [{ index, type }], grad, weight, ratio: [per layer [per event]] }
  activity: {}, // job id → its `activations` events: [{ epoch, images, stages: [{ index, type, dead_fraction, min, max, counts }] }]
  shown: [], // job ids overlaid on the charts (the runs list's checkboxes)
  focus: null, // the job whose progress, probe and filters are shown
  view: { smoothing: 0.6, log: false, ignoreOutliers: false },
  probeEpoch: null, // the checkpoint chosen on the scrubber (null: the latest)
  checkpointRuns: {}, // `${jobId}/${epoch}` → { run } (the run API on the job's probe with those weights) or { error }
  notice: null, // a sentence about the page itself (a lost stream, a failed request)
};

export const checkpointKey = (jobId, epoch) => `${jobId}/${epoch}`;

/** The checkpoint epochs of a job (one per `epoch` event, 0 being the initial weights), in order. */
export const checkpointEpochs = (state, id) => (state.epochs[id] ?? []).map((r) => r.epoch);

/** The epoch the scrubber points at: the one chosen, else the latest; null before any checkpoint. */
export function chosenEpoch(state) {
  const epochs = checkpointEpochs(state, state.focus);
  if (!epochs.length) return null;
  return epochs.includes(state.probeEpoch) ? state.probeEpoch : epochs.at(-1);
}

export const createTrainingStore = () => createStore(INITIAL);

const without = (list, id) => list.filter((x) => x !== id);

const EMPTY_SERIES = { step: [], epoch: [], loss: [], time: [], imagesPerSecond: [] };

/** Step events appended to a job's columns (what uPlot draws). */
function withSteps(series = EMPTY_SERIES, steps) {
  return {
    step: [...series.step, ...steps.map((d) => d.step)],
    epoch: [...series.epoch, ...steps.map((d) => d.epoch)],
    loss: [...series.loss, ...steps.map((d) => d.loss)],
    time: [...series.time, ...steps.map((d) => d.time)],
    imagesPerSecond: [...series.imagesPerSecond, ...steps.map((d) => d.images_per_s)],
  };
}

/** `layer_health` events appended to a job's columns: one row per layer, one column per event. */
function withHealth(health, events) {
  const layers = health?.layers ?? events[0].layers.map(({ index, type }) => ({ index, type }));
  const column = (key) => layers.map((_, i) => [...(health?.[key][i] ?? []), ...events.map((e) => e.layers[i]?.[key === "grad" ? "grad_norm" : key === "weight" ? "weight_norm" : "update_ratio"] ?? null)]);
  return {
    step: [...(health?.step ?? []), ...events.map((e) => e.step)],
    lr: [...(health?.lr ?? []), ...events.map((e) => e.lr)],
    layers,
    grad: column("grad"),
    weight: column("weight"),
    ratio: column("ratio"),
  };
}

/** `events` of one type, grouped by job: { jobId: [data, …] }. */
function byJob(events, type) {
  const out = {};
  for (const e of events) if (e.type === type) (out[e.jobId] ??= []).push(e.data);
  return out;
}

export function trainingActions(store) {
  const update = (changes) => store.update(changes);
  const patchJob = (id, changes) => update((s) => ({ jobs: { ...s.jobs, [id]: { ...s.jobs[id], ...changes } } }));
  return {
    setDataset: (dataset) => update({ dataset, classes: dataset.classes }),
    setDraft: (draft) => update({ draft, formErrors: [] }),
    setStarting: (starting) => update({ starting }),
    askToken: () => update({ tokenAsked: true }),
    refuse: (formErrors) => update({ formErrors }),
    notify: (notice) => update({ notice }),
    /** The server's list (newest first); the newest is shown and focused when nothing is yet. */
    setJobs: (list) => update((s) => {
      const jobs = Object.fromEntries(list.map((j) => [j.job_id, { ...s.jobs[j.job_id], ...j }]));
      const order = list.map((j) => j.job_id);
      const focus = s.focus in jobs ? s.focus : order[0] ?? null;
      const shown = s.shown.filter((id) => id in jobs);
      return { jobs, order, focus, shown: shown.length || !focus ? shown : [focus] };
    }),
    /** A job this page just started: first in the list, shown beside the others, focused. */
    addJob: (job) => update((s) => ({
      jobs: { ...s.jobs, [job.job_id]: job },
      order: [job.job_id, ...without(s.order, job.job_id)],
      shown: [...without(s.shown, job.job_id), job.job_id],
      focus: job.job_id,
      probeEpoch: null,
      formErrors: [],
    })),
    /** A `status` event: the status, and what the worker said with it (error, total_steps, …). */
    setStatus: (id, data) => patchJob(id, data),
    /** `events`: [{ jobId, type, data }] received since the last animation frame. */
    appendEvents: (events) => update((s) => {
      const changes = {};
      const steps = Object.entries(byJob(events, "step"));
      const ends = Object.entries(byJob(events, "epoch"));
      if (steps.length) changes.series = { ...s.series, ...Object.fromEntries(steps.map(([id, d]) => [id, withSteps(s.series[id], d)])) };
      if (ends.length) changes.epochs = { ...s.epochs, ...Object.fromEntries(ends.map(([id, d]) => [id, [...(s.epochs[id] ?? []), ...d]])) };
      const health = Object.entries(byJob(events, "layer_health"));
      const acts = Object.entries(byJob(events, "activations"));
      if (health.length) changes.health = { ...s.health, ...Object.fromEntries(health.map(([id, d]) => [id, withHealth(s.health[id], d)])) };
      if (acts.length) changes.activity = { ...s.activity, ...Object.fromEntries(acts.map(([id, d]) => [id, [...(s.activity[id] ?? []), ...d]])) };
      return changes;
    }),
    /** Drops what a stream delivered before (it is about to deliver the whole history again). */
    resetHistory: (id) => update((s) => {
      const [series, epochs, health, activity] = [{ ...s.series }, { ...s.epochs }, { ...s.health }, { ...s.activity }];
      for (const kept of [series, epochs, health, activity]) delete kept[id];
      return { series, epochs, health, activity };
    }),
    toggleShown: (id, on) => update((s) => ({ shown: on ? [...without(s.shown, id), id] : without(s.shown, id) })),
    focus: (id) => update({ focus: id, probeEpoch: null }),
    setView: (changes) => update((s) => ({ view: { ...s.view, ...changes } })),
    chooseEpoch: (probeEpoch) => update({ probeEpoch }),
    /** `outcome`: { run } or { error } for the checkpoint `key` (see checkpointKey). */
    addCheckpointRun: (key, outcome) => update((s) => ({ checkpointRuns: { ...s.checkpointRuns, [key]: outcome } })),
  };
}
