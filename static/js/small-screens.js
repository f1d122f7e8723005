// Small screens and keyboards, on every page. The skip link (first Tab stop) focuses its target
// without touching location.hash, which the lab keeps its state in (a plain #run link would replace
// the shared view). On a phone, long lists marked data-phone-closed (the lab's examples) start closed;
// scripts that build folds later (the pipeline's layer cards) ask onPhone().

/** True on a phone-sized screen: the width under which long lists start folded. */
export const onPhone = () => matchMedia("(max-width: 600px)").matches;

const link = document.querySelector("a.skip-link");
link?.addEventListener("click", (ev) => {
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  ev.preventDefault();
  target.scrollIntoView({ block: "center" });
  target.focus();
});

if (onPhone()) {
  for (const d of document.querySelectorAll("details[data-phone-closed]")) d.open = false;
}
