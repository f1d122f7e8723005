// The header's language switch (data-testid lang-switch), on every page. It is a plain link to the
// page with ?lang=…, which the server remembers in the layerlab_lang cookie; with scripts the cookie is
// set here and the page reloads keeping its own query and hash (the lab's state lives in the hash).

const COOKIE = "layerlab_lang";
const YEAR_S = 365 * 24 * 3600;

function choose(ev) {
  ev.preventDefault();
  const chosen = ev.currentTarget.getAttribute("hreflang");
  document.cookie = `${COOKIE}=${encodeURIComponent(chosen)}; path=/; max-age=${YEAR_S}; samesite=lax`;
  const url = new URL(location.href);
  url.searchParams.delete("lang"); // a ?lang= left in the address would outrank the new cookie
  history.replaceState(history.state, "", url);
  location.reload();
}

for (const link of document.querySelectorAll('[data-testid="lang-switch"]')) link.addEventListener("click", choose);
