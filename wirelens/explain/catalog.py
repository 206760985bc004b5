"""The zh and en explanation catalogs: one TOML file per language, keyed by concept.

A text is a template with ``{placeholders}`` filled from a ``Message``'s live values.
Loading reads package data once; nothing else here touches a file.
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from typing import Any

from wirelens.explain.text import Message

LANGUAGES = ("zh", "en")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, key + "."))
        else:
            out[key] = str(value)
    return out


@cache
def load(lang: str) -> dict[str, str]:
    """Every key of one language's catalog, flattened to dotted names.

    The catalog is ``catalog/<lang>.toml`` plus any ``catalog/<lang>.<part>.toml`` (one part
    per capability, e.g. ``en.html.toml``); a key defined twice is an error.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    # The package's own folder, not importlib.resources: that takes longer to load than
    # the whole catalog, and explain-pcap loads it on every run.
    folder = os.path.join(os.path.dirname(__file__), "catalog")
    names = sorted(
        name for name in os.listdir(folder)
        if name == f"{lang}.toml" or (name.startswith(f"{lang}.") and name.endswith(".toml"))
    )
    merged: dict[str, str] = {}
    for name in names:
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            part = _flatten(tomllib.loads(fh.read()))
        twice = merged.keys() & part.keys()
        if twice:
            raise ValueError(f"catalog {name} defines again: {', '.join(sorted(twice))}")
        merged.update(part)
    return merged


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Lenient(dict[str, Any]):
    """A missing placeholder shows as {name} instead of failing the whole explanation."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(message: Message, lang: str) -> str:
    texts = load(lang)
    template = texts.get(message.key)
    if template is None:
        return f"[{message.key}]"
    # A value that is itself a Message (a side's name, a role) is said in the same language.
    params = {k: render(v, lang) if isinstance(v, Message) else v
              for k, v in message.params.items()}
    return string.Formatter().vformat(template, (), _Lenient(params))


class Catalog:
    """One language, bound: ``cat(msg)`` or ``cat.text("ui.client")``."""

    def __init__(self, lang: str) -> None:
        load(lang)
        self.lang = lang

    def __call__(self, message: Message) -> str:
        return render(message, self.lang)

    def text(self, key: str, **params: Any) -> str:
        return render(Message(key, params), self.lang)

    def has(self, key: str) -> bool:
        return key in load(self.lang)
