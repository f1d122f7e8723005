// Whole numbers with their thousands grouped (1,234,567), written without Intl: the first
// toLocaleString() in a page loads the browser's locale data, ~60 ms on the lab's first paint.

/** `n` rounded, with a comma every three digits; "?" for a number that is not finite. */
export function thousands(n) {
  if (!Number.isFinite(n)) return "?";
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
