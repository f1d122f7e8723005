"""Every page string in both languages: Babel's extractors read templates/ and static/js (babel.cfg), and
app/i18n/data.py lists the text the API sends as data (examples, layer descriptions, shipped networks);
every msgid they find must have a Chinese translation in the zh_CN catalogue, which holds nothing else."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from app.i18n.catalogues import Locale, read_catalog
from app.i18n.data import data_msgids

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "t": None}


def used_msgids() -> dict[str, list[str]]:
    """msgid → where it is used (file:line), as Babel's extractors find them."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    for msgid, where in data_msgids().items():
        found.setdefault(msgid, []).append(where)
    return found


def test_extractors_find_the_pages_strings() -> None:
    used = used_msgids()
    assert "Working…" in used  # a template's (base.html)
    assert "Done: {n} images. Reload the page to browse them." in used  # a script's, with a placeholder (t(…, { n }))
    assert "Conv by hand, stride 1" in used  # data: a worked example's title (GET /api/examples)
    assert "Keeps the largest value of each window." in used  # data: a layer's description (GET /api/layers)
    assert "Example 14, trained on CIFAR-10" in used  # data: a shipped network's name (GET /api/models)


def test_every_page_string_has_a_chinese_translation() -> None:
    catalog = read_catalog(Locale.ZH_CN)
    missing = {m: w for m, w in used_msgids().items() if not (entry := catalog.get(m)) or not entry.string or entry.fuzzy}
    assert not missing, "add these to app/i18n/locales/zh_CN/LC_MESSAGES/messages.po (msgid, then msgstr):\n" + "\n".join(
        f"  {m!r}  ({', '.join(w[:2])})" for m, w in sorted(missing.items())
    )


def test_the_catalogue_holds_only_strings_the_pages_use() -> None:
    used = used_msgids()
    unused = sorted(m.id for m in read_catalog(Locale.ZH_CN) if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in used)
    assert not unused, f"remove from messages.po (no template or script uses them): {unused}"


def test_placeholders_survive_translation() -> None:
    import re

    for m in read_catalog(Locale.ZH_CN):
        if m.id and isinstance(m.id, str) and m.string:
            for pattern in (r"\{\w+\}", r"%\(\w+\)s"):
                assert sorted(re.findall(pattern, m.id)) == sorted(re.findall(pattern, m.string)), m.id
