// Thin client for the public REST contract (/api); turns failures into sentences a learner can read.


import { t } from "./i18n.js";
export class ApiError extends Error {
  constructor(status, message, detail) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

function describe(status, body) {
  const detail = body && body.detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg).join("; ");
  if (typeof detail === "string") return detail;
  if (status === 404) return t("Not found on this server (yet).");
  if (status === 413) return t("That file is too large for this server.");
  if (status === 415) return t("That file is not an image this server can read.");
  if (status === 429 || status === 503) return t("The server is busy; try again in a moment.");
  return t("The server answered {status}.", { status });
}

/** `onHeaders(response)`, when given, is called as soon as the headers of a 2xx answer arrive, before its body is read. */
export async function request(method, url, body, isForm = false, headers = {}, onHeaders = null) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (isForm) init.body = body;
    else {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, t("Cannot reach the server. Is it running?"), null);
  }
  if (res.ok && onHeaders) onHeaders(res);
  let data = null;
  try {
    data = await res.json();
  } catch (err) {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, describe(res.status, data), data && data.detail);
  return data;
}

/** The query of a stage map for the lab's view settings (colormap, normalize, sample). */
export function mapQuery({ colormap, normalize, sample }) {
  const q = new URLSearchParams({ colormap, normalize });
  if (sample !== null && sample !== undefined && sample !== "") q.set("sample", String(sample));
  return q;
}

let pageAnswers = null;

/**
 * GET `url`, answered from the page the first time when the page came with that answer (the lab
 * carries its first GETs in #page-answers, see app/api/routes/pages.py); every later call asks the server.
 */
function get(url) {
  if (pageAnswers === null) {
    const carried = document.getElementById("page-answers");
    pageAnswers = (carried && JSON.parse(carried.textContent)) || {};
  }
  if (Object.hasOwn(pageAnswers, url)) {
    const answer = pageAnswers[url];
    delete pageAnswers[url];
    return Promise.resolve(answer);
  }
  return request("GET", url);
}

export const api = {
  /** GET /api/layers as the page uses it: layer type → entry, in the registry's order. */
  catalogue: async () => Object.fromEntries((await get("/api/layers")).map((e) => [e.type, e])),
  /**
   * With `view`, the server starts drawing the run's maps for that view as soon as it has answered.
   * `onRunId(id)` is told the run's id from the answer's headers, before its body is read (the maps' URLs).
   */
  run: (payload, view, onRunId = null) => request("POST", `/api/pipeline/run${view ? `?draw_maps=true&${mapQuery(view)}` : ""}`, payload, false, {},
    onRunId && ((res) => { const id = res.headers.get("layerlab-run-id"); if (id) onRunId(id); })),
  curve: (type, params) => request("GET", `/api/activations/${type}/curve?${new URLSearchParams(params)}`),
  loss: (type, payload) => request("POST", `/api/losses/${type}`, payload),
  /** The worked examples (1–13) and example 14's training job, as app/examples.py writes them. */
  examples: () => get("/api/examples"),
  cifar: () => request("GET", "/api/datasets/cifar10"),
  cifarItem: (split, index) => request("GET", `/api/datasets/cifar10/${split}/${index}`),
  cifarClass: (split, name, offset, limit) =>
    request("GET", `/api/datasets/cifar10/${split}?${new URLSearchParams({ class_name: name, offset, limit })}`),
  /** GET /api/models: shipped networks first, then imported ones (newest first), then each job's latest checkpoint. */
  models: async () => (await get("/api/models")).models,
  model: (id) => request("GET", `/api/models/${encodeURIComponent(id)}`),
  /** POST /api/models with a FormData of `architecture` | `onnx` | `layers`, `weights`, `name`, `input_shape`. */
  importModel: (form) => request("POST", "/api/models", form, true),
  /** The guided lessons of /learn (app/lessons/*.json): the list, one lesson, and the check of a prediction. */
  lessons: async () => (await request("GET", "/api/lessons")).lessons,
  lesson: (id) => request("GET", `/api/lessons/${encodeURIComponent(id)}`),
  checkStep: (id, n, answer) => request("POST", `/api/lessons/${encodeURIComponent(id)}/steps/${n}/check`, { answer }),
  upload: (file) => {
    const form = new FormData();
    form.append("file", file);
    return request("POST", "/api/uploads", form, true);
  },
};
