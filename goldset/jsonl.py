"""Strict JSONL: one JSON value per line, with precise, user-facing diagnostics.

orjson does the parsing (it refuses NaN/Infinity and invalid UTF-8, and caps
nesting). Duplicate keys are the one thing it accepts silently, so a line whose
compact re-serialisation differs from its bytes gets a second, slower look.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 200


class JsonLineError(ValueError):
    def __init__(self, message: str, column: int | None = None, code: str = "json") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.code = code


def split_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, line bytes without the ``\\n``)."""
    start = 0
    lineno = 0
    n = len(data)
    while start < n:
        lineno += 1
        end = data.find(b"\n", start)
        if end == -1:
            yield lineno, data[start:]
            return
        yield lineno, data[start:end]
        start = end + 1


def loads(raw: bytes) -> Any:
    """Parse one line strictly; raise JsonLineError with a column on failure."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _diagnose(raw, exc) from None
    return obj


def has_duplicate_keys(raw: bytes) -> str | None:
    """The first key that appears twice in one object of ``raw``, if any."""
    dup: list[str] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen and not dup:
                dup.append(k)
            seen.add(k)
        return dict(pairs)

    try:
        json.loads(raw.decode("utf-8"), object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return None
    return dup[0] if dup else None


def depth(obj: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth, stopping early past ``limit``."""
    stack = [(obj, 1)]
    deepest = 0
    while stack:
        cur, d = stack.pop()
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        if isinstance(cur, dict):
            stack.extend((v, d + 1) for v in cur.values())
        elif isinstance(cur, list):
            stack.extend((v, d + 1) for v in cur)
    return deepest


def _diagnose(raw: bytes, exc: orjson.JSONDecodeError) -> JsonLineError:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ue:
        return JsonLineError(
            f"invalid UTF-8 (byte 0x{raw[ue.start]:02x} at byte {ue.start + 1})",
            column=ue.start + 1,
            code="utf8",
        )
    msg = str(exc.msg) if hasattr(exc, "msg") else str(exc)
    if "recursion" in msg.lower():
        return JsonLineError("nested too deeply (more than 1024 levels)", code="depth")
    for literal in ("NaN", "Infinity", "-Infinity"):
        pos = _find_bare(text, literal)
        if pos is not None:
            return JsonLineError(
                f"{literal} is not valid JSON (use null or a string)",
                column=pos + 1,
                code="nan",
            )
    try:
        json.loads(text)
    except json.JSONDecodeError as je:
        return JsonLineError(f"invalid JSON: {je.msg}", column=je.colno)
    except RecursionError:
        return JsonLineError("nested too deeply", code="depth")
    return JsonLineError(f"invalid JSON: {msg}", column=(exc.pos + 1) if exc.pos else None)


def _find_bare(text: str, literal: str) -> int | None:
    """Position of ``literal`` outside any string, or None."""
    in_str = False
    esc = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif text.startswith(literal, i):
            return i
        i += 1
    return None


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes (UTF-8, no spaces), the form goldset writes."""
    return orjson.dumps(obj)
