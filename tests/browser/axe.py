"""axe-core in the browser tests: inject node_modules/axe-core/axe.min.js (an npm dev dependency,
installed by `npm ci`) into a page and answer its violations.

The pages' Content-Security-Policy admits scripts from their own origin only, so the file is served
under the page's origin by a Playwright route (an inline <script> would be refused, and a CSP
bypass would hide the policy from every other check). No rule is switched off: a page is fixed
instead.
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"  # answered by the route below, never by the app

_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map(n => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ").slice(0, 160)) }));
}"""


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """Runs axe over the whole page as it is now; each violation as {id, impact, help, nodes}."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `npm ci` (scripts/bootstrap.sh's ensure_frontend)")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        page.add_script_tag(url=AXE_PATH)
        page.wait_for_function("typeof window.axe === 'object'")
    return page.evaluate(_RUN)


def describe(violations: list[dict]) -> str:
    """One line per violation and its first elements, for an assertion's message."""
    return "\n".join(f"{v['impact']} {v['id']} ({v['help']}): " + " | ".join(v["nodes"]) for v in violations)
