"""The one accessor for shipped data: schemas, templates, hook shims, demo data.

In a wheel they live in ``goldset/_data/<kind>``; in a source checkout (and an
editable install) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_KINDS = ("schemas", "templates", "hooks", "data")


def root(kind: str) -> Path:
    """Folder holding the shipped ``kind`` (one of schemas, templates, hooks, data)."""
    if kind not in _KINDS:
        raise ValueError(f"unknown resource kind {kind!r}")
    for candidate in (_PKG / "_data" / kind, _PKG.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"goldset's {kind}/ folder is missing from this installation")


def path(kind: str, name: str) -> Path:
    """Path of one shipped file, e.g. ``path("schemas", "example.schema.json")``."""
    p = root(kind) / name
    if not p.exists():
        raise FileNotFoundError(f"goldset ships no {kind}/{name}")
    return p


def read_text(kind: str, name: str) -> str:
    return path(kind, name).read_text(encoding="utf-8")
