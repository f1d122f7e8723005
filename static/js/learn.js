// /learn: the lesson list and one lesson's steps. The address is the state — /learn, /learn/<id>,
// /learn/<id>/<n> (or ?lesson=<id>&step=<n>) — so a step is shareable as a link; Next, Back and the
// step links push history entries and the browser's back button walks the steps back.

import { t } from "./i18n.js";
import { api } from "./api.js";
import { el, byId } from "./dom.js";
import { inLanguage, showStep } from "./learn-step.js";

/** { id, n } for a lesson's address, null for the list alone. */
export function placeOf(url) {
  const query = url.searchParams.get("lesson");
  if (query) return { id: query, n: Number(url.searchParams.get("step") ?? 1) || 1 };
  const m = url.pathname.match(/^\/learn\/([a-z0-9-]+)(?:\/(\d+))?\/?$/);
  return m ? { id: m[1], n: Number(m[2] ?? 1) || 1 } : null;
}

const stepPath = (id, n) => `/learn/${id}/${n}`;
const lessons = new Map(); // id → the lesson, as GET /api/lessons/{id} gave it
let list = null;

function link(href, text, current) {
  return el("a", { href, "data-learn": "", text, ...(current ? { "aria-current": "page" } : {}) });
}

function renderList(place) {
  byId("lesson-list").replaceChildren(...(list ?? []).map((x) => el("li", {},
    link(stepPath(x.id, 1), inLanguage(x.title), place?.id === x.id), el("p", { class: "hint", text: inLanguage(x.summary) }))));
}

function navLink(node, n, lesson) {
  const exists = n >= 1 && n <= lesson.steps.length;
  node.hidden = !exists;
  if (exists) node.href = stepPath(lesson.id, n);
  node.dataset.learn = "";
}

async function render() {
  const place = placeOf(new URL(location.href));
  list = list ?? await api.lessons().catch(() => []);
  renderList(place);
  const article = byId("lesson");
  if (!place) {
    article.hidden = true;
    return;
  }
  let lesson = lessons.get(place.id);
  if (!lesson) {
    try {
      lesson = await api.lesson(place.id);
      lessons.set(place.id, lesson);
    } catch (err) {
      article.hidden = false;
      byId("lesson-title").textContent = err.message;
      byId("lesson-step").hidden = true;
      return;
    }
  }
  const n = Math.min(Math.max(place.n, 1), lesson.steps.length);
  article.hidden = false;
  byId("lesson-step").hidden = false;
  byId("lesson-title").textContent = inLanguage(lesson.title);
  byId("lesson-summary").textContent = inLanguage(lesson.summary);
  byId("lesson-steps").replaceChildren(...lesson.steps.map((s, i) => el("li", {},
    el("a", { href: stepPath(lesson.id, i + 1), "data-learn": "", title: inLanguage(s.title),
      "aria-label": t("Step {n}: {title}", { n: i + 1, title: inLanguage(s.title) }), text: String(i + 1),
      ...(i + 1 === n ? { "aria-current": "step" } : {}) }))));
  navLink(byId("step-back"), n - 1, lesson);
  navLink(byId("step-next"), n + 1, lesson);
  const at = list.findIndex((x) => x.id === lesson.id);
  const following = at >= 0 ? list[at + 1] : undefined; // the last step's Next opens the next lesson
  byId("step-next").textContent = n === lesson.steps.length && following ? t("Next lesson →") : t("Next →");
  if (n === lesson.steps.length && following) Object.assign(byId("step-next"), { hidden: false, href: stepPath(following.id, 1) });
  document.title = `${inLanguage(lesson.title)} · ${n} · layerlab`;
  await showStep(lesson, n);
}

/** Goes to a lesson address: a new history entry, the step drawn, focus on its title (keyboard and screen readers follow). */
async function go(href) {
  history.pushState(null, "", href);
  await render();
  byId("step-title").focus();
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-learn]");
  if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  go(a.getAttribute("href"));
});
window.addEventListener("popstate", () => render());

// ?lesson=<id>&step=<n> is read as the same step; the address bar then shows the path form.
const start = placeOf(new URL(location.href));
if (start && new URL(location.href).searchParams.has("lesson")) history.replaceState(null, "", stepPath(start.id, start.n));
render();
