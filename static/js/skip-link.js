// The skip link (first Tab stop of every page): focuses its target without touching location.hash,
// which the lab keeps its state in (a plain #run link would replace the shared view).

const link = document.querySelector("a.skip-link");
link?.addEventListener("click", (ev) => {
  const target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  ev.preventDefault();
  target.scrollIntoView({ block: "center" });
  target.focus();
});
