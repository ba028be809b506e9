"""Strict JSONL: one JSON value per line, with precise, user-facing diagnostics.

The standard library's json is the reference: it defines what parses and the
compact form goldset writes. orjson is an accelerator for bulk work (big
files, diffs): it is imported only there, because its import alone (it pulls
in dataclasses, inspect, uuid, ...) costs more than the whole hook run on a
500-example set. Wherever orjson refuses something json accepts (integers
beyond 64 bits, lone surrogates), the json path decides, so every verdict is
the same whichever path ran.
"""

from __future__ import annotations

import json
import re

# Importing typing costs the hook path several milliseconds: types are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 200

# Floats in exponent form are the one place json's and orjson's compact output
# differ (1e-07 vs 1e-7); goldset's canonical form is orjson's.
_EXP_RE = re.compile(rb"\d[eE][+-]?\d")
# json accepts "\ud800" alone; UTF-8 cannot carry it, so such a line is refused.
_SURROGATE_RE = re.compile(rb"\\u[dD][89a-fA-F]")


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


def iter_objects(
    data: bytes, name: str, *, parse: Callable[[bytes], Any] | None = None
) -> Iterator[tuple[int, dict[str, Any], bytes]]:
    """(line number, object, line bytes) for each non-blank line of a JSONL file.

    A leading BOM, CRLF endings and blank lines are tolerated here (validate
    reports them as non-canonical); anything else wrong raises InputError
    naming ``name:line:column``.
    """
    from goldset.errors import InputError

    parse = parse or loads
    if data.startswith(BOM):
        data = data[len(BOM) :]
    for lineno, raw in split_lines(data):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            obj = parse(raw)
        except JsonLineError as exc:
            col = f":{exc.column}" if exc.column else ""
            raise InputError(f"{name}:{lineno}{col}: {exc.message}") from None
        if not isinstance(obj, dict):
            raise InputError(f"{name}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        yield lineno, obj, raw


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        raise ValueError(f"{text} is out of range for a double")
    return value


_INF = float("inf")
_decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_parse_float)  # type: ignore[arg-type]
# Built once: json.dumps with non-default options builds an encoder per call.
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_sorted_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
)


def loads(raw: bytes) -> Any:
    """Parse one line strictly; raise JsonLineError (with a column) on failure."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as ue:
        raise JsonLineError(
            f"invalid UTF-8 (byte 0x{raw[ue.start]:02x} at byte {ue.start + 1})",
            column=ue.start + 1,
            code="utf8",
        ) from None
    try:
        obj = _decoder.decode(text)
    except json.JSONDecodeError as je:
        raise JsonLineError(f"invalid JSON: {je.msg}", column=je.colno) from None
    except RecursionError:
        raise JsonLineError("nested too deeply to parse", code="depth") from None
    except ValueError as exc:
        literal = str(exc).split(" ")[0]
        if "out of range" in str(exc):
            pos = text.find(literal)
            raise JsonLineError(
                f"number {literal} is out of range (beyond a double); store it as a string",
                column=None if pos < 0 else pos + 1,
                code="number-range",
            ) from None
        pos = _find_bare(text, literal)
        raise JsonLineError(
            f"{literal} is not valid JSON (use null or a string)",
            column=None if pos is None else pos + 1,
            code="nan",
        ) from None
    if _SURROGATE_RE.search(raw) is not None:
        try:
            _encoder.encode(obj).encode()
        except UnicodeEncodeError:
            pos = _SURROGATE_RE.search(raw)
            raise JsonLineError(
                "a lone surrogate escape (\\ud800-\\udfff) is not valid Unicode",
                column=None if pos is None else pos.start() + 1,
                code="surrogate",
            ) from None
    return obj


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes (UTF-8, no spaces): the form goldset writes and compares.

    Raises JsonLineError for what JSON text cannot carry faithfully (a lone
    surrogate, NaN) or what goldset refuses (an integer beyond 64 bits).
    """
    return _dump(obj, sort=False)


def dumps_sorted(obj: Any) -> bytes:
    """Compact JSON with every object's keys sorted."""
    return _dump(obj, sort=True)


def _dump(obj: Any, *, sort: bool) -> bytes:
    try:
        out = (_sorted_encoder if sort else _encoder).encode(obj).encode()
    except UnicodeEncodeError:
        raise JsonLineError(
            "contains a lone surrogate (\\ud800-\\udfff): not valid Unicode", code="surrogate"
        ) from None
    except ValueError as exc:
        raise JsonLineError(str(exc), code="nan") from None
    if _EXP_RE.search(out) and _has_exp_float(obj):
        import orjson

        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS if sort else None)
        except TypeError:
            raise JsonLineError(
                "an integer beyond 64 bits: store it as a string", code="bigint"
            ) from None
    return out


def _has_exp_float(obj: Any) -> bool:
    """Whether ``obj`` holds a float whose repr uses an exponent (the regex above
    also matches hex digits and text, so confirm on the parsed value)."""
    stack = [obj]
    while stack:
        cur = stack.pop()
        if type(cur) is float:
            if "e" in repr(cur):
                return True
        elif isinstance(cur, dict):
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return False


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
