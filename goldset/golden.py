"""The golden set: canonical form, content hashes, ids, and reading the set.

An example is a JSON object (see docs/formats.md). Its canonical line is
compact JSON with the top-level keys in a fixed order and nested keys sorted,
so a diff or a merge touches exactly the examples that changed.
"""

from __future__ import annotations

import re

try:  # the builtin module skips OpenSSL's ~2 ms import on the hook path
    from _sha256 import sha256 as _sha256
except ImportError:  # pragma: no cover - builds without it
    from hashlib import sha256 as _sha256
from pathlib import Path

from goldset import jsonl
from goldset.errors import InputError

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

HEAD_KEYS = ("id", "input", "reference", "slice", "stratum", "tags")
TAIL_KEYS = ("provenance", "content_hash")
_FIXED = frozenset(HEAD_KEYS + TAIL_KEYS)
UNHASHED = frozenset({"id", "provenance", "content_hash"})
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def _sorted_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_deep(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_deep(v) for v in value]
    return value


def key_order(keys: Iterable[str]) -> list[str]:
    present = set(keys)
    head = [k for k in HEAD_KEYS if k in present]
    tail = [k for k in TAIL_KEYS if k in present]
    middle = sorted(present - _FIXED)
    return head + middle + tail


def canonical_obj(example: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _sorted_deep(example[k]) for k in key_order(example)}


def canonical_bytes(example: Mapping[str, Any]) -> bytes:
    """The canonical line for ``example`` (without the trailing newline)."""
    return jsonl.dumps(canonical_obj(example))


def is_canonical(example: dict[str, Any], raw: bytes) -> bool:
    """Whether ``raw`` is exactly the canonical line of the parsed ``example``.

    The line must equal its own compact re-serialisation (so no spaces, no
    duplicate keys, the same escapes), the top-level keys must be in canonical
    order, and nested keys sorted. Raises JsonLineError for unrepresentable values.
    """
    if jsonl.dumps(example) != raw:
        return False
    return _orders_canonical(example)


def is_canonical_fast(example: dict[str, Any], raw: bytes, dumps: Any, sort_opt: int) -> bool:
    """is_canonical with orjson's ``dumps`` for bulk validation; same verdicts
    (anything orjson cannot serialise goes to the reference path)."""
    try:
        if dumps(example) != raw:
            return False
        for v in example.values():
            if type(v) is dict:
                if len(v) > 1 and dumps(v) != dumps(v, option=sort_opt):
                    return False
            elif (
                type(v) is list
                and v
                and type(v[0]) is not str
                and dumps(v) != dumps(v, option=sort_opt)
            ):
                return False
    except TypeError:
        return is_canonical(example, raw)
    keys = tuple(example)
    if keys in _GOOD_ORDERS:
        return True
    if list(keys) != key_order(keys):
        return False
    if len(_GOOD_ORDERS) < 1024:
        _GOOD_ORDERS.add(keys)
    return True


# Key sequences already seen in canonical order: a set has a handful of shapes.
_GOOD_ORDERS: set[tuple[str, ...]] = set()


def _orders_canonical(example: dict[str, Any]) -> bool:
    keys = list(example)
    if keys != key_order(keys):
        return False
    return all(_keys_sorted(v) for v in example.values())


def _keys_sorted(value: Any) -> bool:
    if isinstance(value, dict):
        keys = list(value)
        return keys == sorted(keys) and all(_keys_sorted(v) for v in value.values())
    if isinstance(value, list):
        return all(_keys_sorted(v) for v in value)
    return True


def content_hash(example: Mapping[str, Any]) -> str:
    """First 16 hex digits of SHA-256 over the canonical JSON of the example
    without ``id``, ``provenance`` and ``content_hash``."""
    body = {k: v for k, v in example.items() if k not in UNHASHED}
    return _sha256(canonical_bytes(body)).hexdigest()[:16]


def content_hash_of_line(example: dict[str, Any], raw: bytes, dumps: Any) -> str:
    """content_hash of an example whose line ``raw`` is known canonical.

    In a canonical line the hashed body is a contiguous slice (``id`` first,
    ``provenance`` and ``content_hash`` last), so hashing needs no re-serialisation.
    """
    start = 7 + len(dumps(example["id"])) if "id" in example else 1
    end = len(raw) - 1
    if "content_hash" in example:
        end -= 16 + len(dumps(example["content_hash"]))
    if "provenance" in example:
        # Only a key can hold the bytes "provenance": (a quote inside a string is
        # escaped), so when they occur once they are the top-level key.
        if raw.count(b'"provenance":') == 1:
            end = raw.rfind(b',"provenance":', 0, end + 1)
        else:
            end -= 14 + len(dumps(example["provenance"]))
    body = b"{" + raw[start:end] + b"}" if end > start else b"{}"
    return _sha256(body).hexdigest()[:16]


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def make_id(example: Mapping[str, Any], taken: set[str], prefix: str = "") -> str:
    """A readable, stable id: a slug of the input's first words plus a short hash."""
    text = example.get("input")
    if not isinstance(text, str):
        text = jsonl.dumps(text).decode() if text is not None else ""
    words = _SLUG_RE.sub("-", text.lower()).strip("-").split("-")
    slug = "-".join(w for w in words[:5] if w)[:40].strip("-") or "ex"
    if prefix:
        slug = f"{prefix}-{slug}"
    digest = content_hash(example)
    for width in (4, 6, 8, 12, 16):
        cand = f"{slug}-{digest[:width]}"
        if cand not in taken:
            return cand
    i = 2
    while f"{slug}-{digest}-{i}" in taken:
        i += 1
    return f"{slug}-{digest}-{i}"


class GoldenSet:
    """The examples of a golden set and where each one lives.

    ``examples``: id -> example; ``where``: id -> (file, line); ``files``: file -> ids in order.
    """

    __slots__ = ("examples", "files", "where")

    def __init__(self) -> None:
        self.examples: dict[str, dict[str, Any]] = {}
        self.where: dict[str, tuple[str, int]] = {}
        self.files: dict[str, list[str]] = {}

    def slice_of(self, example_id: str) -> dict[str, str]:
        s = self.examples.get(example_id, {}).get("slice")
        return dict(s) if isinstance(s, dict) else {}


def parse_file(data: bytes, name: str, into: GoldenSet | None = None) -> GoldenSet:
    """Parse one golden JSONL file's bytes; raise InputError naming file:line on bad input."""
    gs = into if into is not None else GoldenSet()
    ids = gs.files.setdefault(name, [])
    for lineno, obj, _ in jsonl.iter_objects(data, name):
        ex_id = obj.get("id")
        if not isinstance(ex_id, str):
            raise InputError(f"{name}:{lineno}: $.id: missing or not a string")
        if ex_id in gs.where:
            first = gs.where[ex_id]
            raise InputError(
                f"{name}:{lineno}: $.id: duplicate id {ex_id!r} (first at {first[0]}:{first[1]})"
            )
        gs.examples[ex_id] = obj
        gs.where[ex_id] = (name, lineno)
        ids.append(ex_id)
    return gs


def golden_files(folder: Path) -> list[Path]:
    """The golden JSONL files under ``folder``, in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.jsonl") if p.is_file())


def load(cfg: Any) -> GoldenSet:
    """Read the working tree's golden set (``cfg`` is a goldset.config.Config)."""
    from goldset.trees import WorkTree

    gs = GoldenSet()
    tree = WorkTree(cfg.root)
    tree.check_inside(cfg.rel("golden"))
    for p in golden_files(cfg.path("golden")):
        rel = p.relative_to(cfg.root).as_posix()
        parse_file(tree.read(rel) or b"", rel, gs)
    return gs


def read_set(cfg: Any) -> dict[str, dict[str, Any]]:
    """id -> example for the working tree's golden set."""
    return load(cfg).examples


def set_hash(examples: Mapping[str, Mapping[str, Any]]) -> str:
    """A hash of the whole set (ids and content hashes), for run manifests."""
    import hashlib

    h = hashlib.sha256()
    for ex_id in sorted(examples):
        h.update(ex_id.encode())
        h.update(b"\0")
        h.update(content_hash(examples[ex_id]).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]
