"""The scripts that translate with t() never hide it behind a local of the same name (a `const t` in a
function turns every t("…") there into "t is not a function" — caught here, not in a learner's browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "static" / "js"
IMPORTS_T = re.compile(r"import \{[^}]*\bt\b[^}]*\} from \"(?:\.\.?/)+i18n\.js\"")
SHADOWS = re.compile(
    r"\b(?:const|let|var)\s+t\b"  # const t = …
    r"|\(\s*t\s*[,)]"  # (t) => …, (t, i) => …, function f(t)
    r"|,\s*t\s*\)\s*=>"  # (x, t) => …
    r"|(?<![\w.$])t\s*=>"  # t => …
    r"|[\[{,]\s*t\s*[\]},]\s*(?:=|of\b)"  # [a, t] = …, { t } = …
    r"|\bfor\s*\(\s*(?:const|let|var)\s+t\b"
)


def translating_scripts() -> list[Path]:
    return sorted(p for p in SCRIPTS.rglob("*.js") if IMPORTS_T.search(p.read_text()))


def test_most_scripts_translate() -> None:
    assert len(translating_scripts()) >= 30


@pytest.mark.parametrize("script", translating_scripts(), ids=lambda p: str(p.relative_to(SCRIPTS)))
def test_t_is_not_shadowed(script: Path) -> None:
    code = re.sub(r"//.*|\"(?:\\.|[^\"\\])*\"|`(?:\\.|[^`\\])*`", '""', script.read_text())  # comments and strings out
    found = [code[max(0, m.start() - 30) : m.end() + 10] for m in SHADOWS.finditer(code)]
    assert not found, f"{script.name} declares its own t: {found}"
