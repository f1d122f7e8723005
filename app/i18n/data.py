"""Text the server sends as data, in the request's language: the worked examples' titles and statements
(``GET /api/examples``), the layer catalogue's descriptions (``GET /api/layers``), the shipped networks'
names, descriptions and datasets and a checkpoint's name (``GET /api/models``).

The English text is written once, where the data is (app/examples.py, the layer registry, the shipped
``<id>.json`` files); its Chinese is in the one catalogue, ``messages.po``, like the pages' strings.
:func:`data_msgids` lists every such English text, so tests/i18n finds a missing or unused translation
of data as it does of a page. English stays every endpoint's default answer (the contract); torch's
own names (layer types, parameter names, torch's messages) are never translated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.catalogue import layer_catalogue
from ..examples import TRAINING_TITLE, WORKED
from ..models.home import CHECKPOINT_NAME
from ..models.store import SHIPPED_DIR
from .catalogues import SOURCE, Locale

# A check's "expect" is words (not numbers) for these kinds: a statement about the stage's statistics.
STATEMENT_KINDS = frozenset({"sigmoid-range", "unchanged", "brighter", "same-mean"})


@dataclass(frozen=True)
class Words:
    """One language's translations of data text: ``words(text)`` is the text in it (English when missing)."""

    locale: Locale = SOURCE
    messages: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, text: str) -> str:
        return self.messages.get(text, text) if text else text


def translated_examples(worked: Iterable[dict[str, Any]], words: Words) -> list[dict[str, Any]]:
    """The worked examples with their titles and statements in `words`' language (inputs, layers, numbers untouched)."""
    if words.locale == SOURCE:
        return list(worked)
    out = []
    for example in worked:
        copy = {**example, "title": words(example["title"])}
        if "checks" in example:
            copy["checks"] = [{**c, "expect": words(c["expect"])} if c["kind"] in STATEMENT_KINDS else c for c in example["checks"]]
        out.append(copy)
    return out


def translated_layers(entries: Iterable[dict[str, Any]], words: Words) -> list[dict[str, Any]]:
    """The layer catalogue with each type's and parameter's description in `words`' language."""
    if words.locale == SOURCE:
        return list(entries)
    return [{**e, "doc": words(e["doc"]), "params": [{**p, "doc": words(p["doc"])} for p in e["params"]]} for e in entries]


def shipped_texts() -> list[str]:
    """The shipped networks' names and descriptions, as their ``<id>.json`` files write them."""
    texts = []
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        meta = json.loads(path.read_text())
        texts += [meta["name"], meta.get("description", ""), meta.get("trained", {}).get("dataset", "")]
    return [t for t in texts if t]


def data_msgids() -> dict[str, str]:
    """Every English text of data the API translates → where it comes from (for tests/i18n)."""
    found: dict[str, str] = {}
    for example in WORKED:
        found.setdefault(example["title"], f"app/examples.py ({example['id']})")
        for check in example.get("checks", []):
            if check["kind"] in STATEMENT_KINDS:
                found.setdefault(check["expect"], f"app/examples.py ({example['id']})")
    found.setdefault(TRAINING_TITLE, "app/examples.py (14)")
    for entry in layer_catalogue():
        found.setdefault(entry["doc"], f"GET /api/layers ({entry['type']})")
        for param in entry["params"]:
            if param["doc"]:
                found.setdefault(param["doc"], f"GET /api/layers ({entry['type']}.{param['name']})")
    for text in shipped_texts():
        found.setdefault(text, "app/models/shipped")
    found.setdefault(CHECKPOINT_NAME, "app/models/home.py")
    return found
