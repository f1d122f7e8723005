// Server-Sent Events of the jobs followed (GET /api/jobs/{id}/events): a stream first replays the
// job's history, then each event as it happens. Events are handed to the store once per animation
// frame, so a burst (a history, a fast loop) costs one redraw, and a step reaches the chart within a frame.

import { TERMINAL } from "./state.js";
import { t } from "../i18n.js";

export function createStreams(actions) {
  const sources = new Map(); // job id → its EventSource
  const complete = new Set(); // jobs whose whole history arrived and that will not change any more
  let pending = [];
  let frame = 0;

  const flush = () => {
    frame = 0;
    const batch = pending;
    pending = [];
    if (batch.length) actions.appendEvents(batch);
  };
  const queue = (event) => {
    pending.push(event);
    frame ||= requestAnimationFrame(flush);
  };

  const counted = () => { document.body.dataset.liveStreams = String(sources.size); }; // for tests: waiting on a fact

  function close(id) {
    sources.get(id)?.close();
    sources.delete(id);
    counted();
  }

  function open(id) {
    actions.resetHistory(id); // the stream replays everything, from its first event
    const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
    for (const type of ["step", "epoch", "layer_health", "activations"]) {
      source.addEventListener(type, (ev) => queue({ jobId: id, type, data: JSON.parse(ev.data) }));
    }
    source.addEventListener("status", (ev) => {
      const data = JSON.parse(ev.data);
      flush(); // what came before the status belongs to it
      actions.setStatus(id, data);
      if (TERMINAL.has(data.status)) {
        complete.add(id);
        close(id); // else EventSource would reconnect when the server ends the stream
      }
    });
    source.addEventListener("error", () => {
      // EventSource reconnects by itself (with Last-Event-ID) unless the server refused the stream.
      if (source.readyState === EventSource.CLOSED) {
        close(id);
        actions.notify(t("Lost the live stream of run {id}; reload the page to follow it again.", { id }));
      }
    });
    sources.set(id, source);
    counted();
  }

  return {
    /** Streams exactly the jobs in `ids` that are not complete yet (call after any change of what is shown). */
    follow(ids) {
      const wanted = new Set(ids.filter((id) => !complete.has(id)));
      for (const id of [...sources.keys()]) if (!wanted.has(id)) close(id);
      for (const id of wanted) if (!sources.has(id)) open(id);
    },
  };
}
