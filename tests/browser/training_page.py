"""Steps on the training dashboard (/training) shared by the browser tests that train."""

from __future__ import annotations

import json
from urllib.parse import quote


def open_dashboard(page, layers: list | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto("/training" if layers is None else f"/training?layers={quote(json.dumps(layers))}")
    page.wait_for_selector("body[data-ready=true]")


def start(page, **fields) -> str:  # type: ignore[no-untyped-def]
    """Fills the start form's fields, starts, and answers the new job's id (not a run another test left listed)."""
    for name, value in fields.items():
        page.locator(f"#f-{name}").fill(str(value))
    before = [li.get_attribute("data-job") for li in page.get_by_test_id("runs-list").locator("li[data-job]").all()]
    page.get_by_test_id("train-start").click()
    page.wait_for_function("(before) => !before.includes(document.querySelector('[data-testid=runs-list] li.focused')?.dataset.job ?? before[0])",
                           arg=before or [""])
    return page.locator("[data-testid=runs-list] li.focused").get_attribute("data-job")
