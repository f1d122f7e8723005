// The page's language for scripts: t("Run") gives the text in the page's language, t("{n} layers", { n })
// fills placeholders. The catalogue (msgid → text, from app/i18n/locales/*/messages.po) is fetched once
// from GET /api/i18n/{lang} before any module that imports this one runs (top-level await); if it
// cannot be had the English msgids are shown. Listens to nothing (the switch is lang-switch.js).

/** The page's language (BCP 47, as in <html lang>, chosen by the server): "en" or "zh-CN". */
export const lang = document.documentElement.lang || "en";

async function loadCatalogue() {
  if (lang === "en") return {}; // the msgids are English
  try {
    const response = await fetch(`/api/i18n/${encodeURIComponent(lang)}`);
    const parsed = response.ok ? await response.json() : {};
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {}; // English rather than a broken page
  }
}

const catalogue = await loadCatalogue();

/** `msgid` in the page's language, with `{name}` placeholders filled from `params`. */
export function t(msgid, params) {
  const text = Object.hasOwn(catalogue, msgid) ? catalogue[msgid] : msgid;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}
