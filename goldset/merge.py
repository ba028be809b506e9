"""The JSONL merge driver: merge golden files by example id, not by line.

Different ids added on both sides are all kept, identical edits once, a record
deleted on one side and untouched on the other is deleted; only a record that
both sides changed differently (or one changed and the other deleted) is a
conflict, marked with git's usual markers around that one record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goldset import golden, jsonl
from goldset.errors import InputError


@dataclass
class MergeResult:
    data: bytes
    conflicts: list[str]


class Unmergeable(ValueError):
    pass


def _parse(data: bytes, side: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        for lineno, ex, _ in jsonl.iter_objects(data, side):
            if not isinstance(ex.get("id"), str):
                raise Unmergeable(f"{side}:{lineno}: not an example with an id")
            if ex["id"] in out:
                raise Unmergeable(f"{side}:{lineno}: duplicate id {ex['id']!r}")
            out[ex["id"]] = ex
    except InputError as exc:
        raise Unmergeable(str(exc)) from None
    return out


def merge(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    o, a, b = _parse(base, "base"), _parse(ours, "ours"), _parse(theirs, "theirs")
    order = list(a) + [k for k in b if k not in a]
    lines: list[bytes] = []
    conflicts: list[str] = []
    for ex_id in order:
        in_o, in_a, in_b = ex_id in o, ex_id in a, ex_id in b
        va, vb, vo = a.get(ex_id), b.get(ex_id), o.get(ex_id)
        if in_a and in_b:
            if va == vb or vb == vo:
                pick = va
            elif va == vo:
                pick = vb
            else:
                conflicts.append(ex_id)
                lines.append(_conflict(va, vb))
                continue
        elif in_a:  # absent in theirs: added by us, or deleted by them
            if not in_o:
                pick = va
            elif va == vo:
                continue  # they deleted it, we did not touch it
            else:
                conflicts.append(ex_id)
                lines.append(_conflict(va, None))
                continue
        else:  # only in theirs
            if not in_o:
                pick = vb
            elif vb == vo:
                continue  # we deleted it, they did not touch it
            else:
                conflicts.append(ex_id)
                lines.append(_conflict(None, vb))
                continue
        lines.append(golden.canonical_bytes(pick) + b"\n")
    return MergeResult(b"".join(lines), conflicts)


def _conflict(ours: Any, theirs: Any) -> bytes:
    a = golden.canonical_bytes(ours) + b"\n" if ours is not None else b""
    b = golden.canonical_bytes(theirs) + b"\n" if theirs is not None else b""
    return b"<<<<<<< ours\n" + a + b"=======\n" + b + b">>>>>>> theirs\n"
