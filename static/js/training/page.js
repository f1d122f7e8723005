// Entry point of /training: one store, the views that draw it, the event streams and the loads of
// each checkpoint's probe run. uPlot is loaded here, and its absence only turns charts into tables.

import { api, ApiError, request } from "../api.js";
import { loadChartLibrary } from "../activations.js";
import { byId } from "../dom.js";
import { accuracyView } from "./accuracy.js";
import { classesView } from "./classes.js";
import { filtersView } from "./filters.js";
import { formErrorsOf, formView } from "./form.js";
import { jobView } from "./job-view.js";
import { layerHealthView } from "./layer-health.js";
import { lossChartView } from "./loss-chart.js";
import { lossSummaryView } from "./loss-summary.js";
import { probeView } from "./probe.js";
import { runsListView } from "./runs-list.js";
import { checkpointKey, chosenEpoch, createTrainingStore, trainingActions } from "./state.js";
import { createStreams } from "./stream.js";
import { viewControls } from "./view-controls.js";
import { dataNoteView } from "./data-note.js";
import { startFromView } from "./start-from.js";
import { t } from "../i18n.js";

/** Starting and cancelling carry the API token when the page has one (LAYERLAB_API_TOKEN on the server). */
const auth = (token) => (token ? { authorization: `Bearer ${token}` } : {});
const jobs = {
  list: () => request("GET", "/api/jobs"),
  start: (config, token) => request("POST", "/api/jobs", config, false, auth(token)),
  cancel: (id, token) => request("POST", `/api/jobs/${encodeURIComponent(id)}/cancel`, undefined, false, auth(token)),
};

/**
 * The lab's "Train this pipeline" opens /training?layers=<JSON>, a lesson /training?job=<JSON> (fields of
 * POST /api/jobs over the defaults: a short first run); otherwise example 14. `job` is example 14's
 * training job from GET /api/examples: every default of POST /api/jobs.
 */
function firstDraft(job) {
  const query = new URLSearchParams(location.search);
  const read = (name) => {
    try {
      return JSON.parse(query.get(name));
    } catch (err) {
      return null; // not JSON: the defaults it is (the form shows them)
    }
  };
  const asked = read("job");
  const draft = asked && typeof asked === "object" && !Array.isArray(asked) ? { ...job, ...asked } : job;
  const layers = read("layers");
  return Array.isArray(layers) && layers.length ? { ...draft, layers } : draft;
}

/**
 * Runs the followed job's probe through the chosen checkpoint (the request the epoch event names:
 * POST /api/pipeline/run with weights_from), one at a time; a scrub that moved on while a run was
 * in flight is caught up when its answer lands.
 */
function checkpointLoader(actions) {
  let busy = false;
  return (state) => {
    const epoch = chosenEpoch(state);
    const key = checkpointKey(state.focus, epoch);
    const record = (state.epochs[state.focus] ?? []).find((r) => r.epoch === epoch);
    if (busy || !record || key in state.checkpointRuns) return;
    busy = true;
    api.run(record.probe.run)
      .then((run) => ({ run }), (err) => ({ error: t("The probe could not run on epoch {n}'s weights: {error}", { n: epoch, error: err.message }) }))
      .then((outcome) => {
        busy = false;
        actions.addCheckpointRun(key, outcome);
      });
  };
}

async function start() {
  const store = createTrainingStore();
  const actions = trainingActions(store);
  const uPlot = await loadChartLibrary().catch(() => null);
  const streams = createStreams(actions);
  const refresh = () => jobs.list().then((r) => actions.setJobs(r.jobs), (err) => actions.notify(t("Cannot list the runs: {error}", { error: err.message })));

  const token = byId("f-token");
  /** A 401 asks for the token (the server has LAYERLAB_API_TOKEN set) and says so. */
  const explain = (err) => {
    if (!(err instanceof ApiError && err.status === 401)) return err.message;
    actions.askToken();
    return `${err.message} ${t("Enter the server's API token above and try again.")}`;
  };
  const startJob = async (config) => {
    actions.setStarting(true);
    try {
      const { job_id: id, status } = await jobs.start(config, token.value.trim());
      actions.addJob({ job_id: id, status, config });
    } catch (err) {
      actions.refuse(formErrorsOf(err instanceof ApiError && err.status === 422 ? err.detail : null, explain(err)));
    } finally {
      actions.setStarting(false);
    }
  };
  const cancel = (id) => jobs.cancel(id, token.value.trim()).catch((err) => actions.notify(t("Cannot cancel run {id}: {error}", { id, error: explain(err) })));

  formView(store, actions, { start: startJob });
  runsListView(store, actions);
  jobView(store, actions, { cancel });
  viewControls(store, actions);
  lossChartView(store, uPlot);
  lossSummaryView(store);
  layerHealthView(store, uPlot);
  probeView(store, actions);
  accuracyView(store, uPlot);
  classesView(store);
  filtersView(store, actions);
  store.subscribe((s) => streams.follow([...new Set([...s.shown, s.focus].filter(Boolean))]), ["shown", "focus"]);
  store.subscribe(checkpointLoader(actions), ["focus", "epochs", "probeEpoch", "checkpointRuns"]);

  dataNoteView(store);
  actions.setDraft(firstDraft((await api.examples()).training.job));
  const models = api.models().catch(() => []); // "start from": none when the server lists none
  await Promise.all([api.cifar().then((info) => actions.setDataset(info), () => null), refresh(),
    models.then((list) => startFromView(store, actions, list))]);
  addEventListener("focus", refresh); // runs started elsewhere (another tab, the API) show on coming back
  document.body.dataset.ready = "true";
}

start();
