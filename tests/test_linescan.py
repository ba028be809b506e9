"""The native line scanner (goldset/_linescan.c) answers exactly what the Python
batch path computes for nested key order and content hashes: never "clean"
where Python says no, and "clean" wherever Python says yes (keys written with
escapes aside, which it leaves to Python). Random and truncated bytes never
crash it. Python's definitions here are the batch path's own fallbacks."""

from __future__ import annotations

import os
import random
import shutil
import sys

import orjson
import pytest

from goldset import golden, validate

scanner = validate.native_scanner()
needs_scanner = pytest.mark.skipif(scanner is None, reason="native scanner not built")


def test_the_scanner_is_built_where_a_compiler_exists() -> None:
    # A silent build failure would quietly halve validate's speed: say so here.
    if os.name == "nt" or not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler")
    if os.environ.get("GOLDSET_NO_NATIVE"):
        pytest.skip("GOLDSET_NO_NATIVE is set")
    assert scanner is not None, f"goldset/_linescan was not built for {sys.executable}"


def _python_says_clean(line: bytes) -> bool:
    """The batch path's Python columns for what the scanner replaces."""
    ex = orjson.loads(line)
    vals = list(ex.values())
    nested_sorted = orjson.dumps(vals) == orjson.dumps(vals, option=orjson.OPT_SORT_KEYS)
    keys = tuple(ex)
    # (The id pattern is a column of its own, not the scanner's.)
    layout = (
        len(keys) >= 3
        and keys[0] == "id"
        and keys[-2:] == ("provenance", "content_hash")
        and isinstance(ex["id"], str)
    )
    return (
        nested_sorted
        and layout
        and ex["content_hash"] == golden.content_hash_of_line(ex, line, orjson.dumps)
    )


KEYS = ["a", "b", "z", "aa", "ab", "é", "ü", "\U0001f600", "provenance", 'x"y', "p\\q", ""]
TEXT = [
    "plain",
    'quote " inside',
    "back \\ slash",
    '"provenance":',
    ',"provenance":{',
    "é🙂",
    "\n\t",
]


def _value(rng: random.Random, depth: int = 0) -> object:
    r = rng.random()
    if depth < 3 and r < 0.25:
        keys = rng.sample(KEYS, rng.randint(0, 4))
        if rng.random() < 0.7:
            keys.sort()
        return {k: _value(rng, depth + 1) for k in keys}
    if depth < 3 and r < 0.4:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice([rng.choice(TEXT), rng.randint(-5, 10**6), 1.5, True, False, None])


def _line(rng: random.Random) -> bytes:
    ex: dict[str, object] = {"id": rng.choice(["ex-1", "a", "x.y:z-9", "bad id", 'q"x'])}
    for key in sorted(rng.sample(["input", "reference", "slice", "tags", "extra"], 3)):
        ex[key] = _value(rng)
    if rng.random() < 0.9:
        ex["provenance"] = _value(rng) if rng.random() < 0.3 else {"why": rng.choice(TEXT)}
    right = golden.content_hash({k: v for k, v in ex.items() if k not in golden.UNHASHED})
    ex["content_hash"] = right if rng.random() < 0.8 else rng.choice(["0" * 16, right[::-1], "x"])
    return orjson.dumps(ex)


@needs_scanner
def test_agrees_with_the_python_columns_on_random_lines() -> None:
    assert scanner is not None
    rng = random.Random(7)
    lines = [_line(rng) for _ in range(6000)]
    native = scanner(lines)
    python = [_python_says_clean(x) for x in lines]
    wrongly_clean = [x for x, n, p in zip(lines, native, python, strict=True) if n and not p]
    assert not wrongly_clean[:3]
    # Every line Python finds clean is clean here too, unless a nested key needs escapes.
    missed = [
        x for x, n, p in zip(lines, native, python, strict=True) if p and not n and b"\\" not in x
    ]
    assert not missed[:3]
    assert 500 < sum(python) < 5500, "the corpus should hold clean and unclean lines"


@needs_scanner
def test_real_golden_lines_are_clean() -> None:
    assert scanner is not None
    rows = []
    for i in range(200):
        ex = {
            "id": f"ex-{i}",
            "input": {"question": f"q{i}", "context": ["a", {"b": 1, "a": 2}]},
            "slice": {"category": "x", "lang": "en"},
            "provenance": {"added_by": "a", "why": "w"},
        }
        ex["content_hash"] = golden.content_hash(ex)
        rows.append(golden.canonical_bytes(ex))
    assert all(scanner(rows))
    # One byte of the body changed: no longer clean.
    assert scanner([rows[0].replace(b'"q0"', b'"q9"')]) == [False]
    # A nested key order flipped: the scan itself says no (the hash would too).
    from goldset import _linescan  # type: ignore[attr-defined]

    flipped = rows[0].replace(b'{"category":"x","lang":"en"}', b'{"lang":"en","category":"x"}')
    assert flipped != rows[0]
    assert _linescan.scan(rows[0]) == rows[0].index(b',"provenance":')
    assert _linescan.scan(flipped) == -1


@needs_scanner
def test_garbage_and_truncated_lines_never_crash() -> None:
    assert scanner is not None
    rng = random.Random(3)
    good = [_line(rng) for _ in range(200)]
    cuts = [line[: rng.randint(0, len(line))] for line in good]
    noise = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 80))) for _ in range(2000)]
    deep = [b'{"id":"a","x":' + b"[" * 5000 + b"]" * 5000 + b',"provenance":{},"content_hash":"0"}']
    tricky = [b"", b"{", b'{"', b'{"id":"', b'{"id":"a",', b'"\\', b"\\", b'{"id":"a\\']
    answers = scanner(cuts + noise + deep + tricky)
    assert len(answers) == len(cuts) + len(noise) + len(deep) + len(tricky)
    assert not any(answers[len(cuts) :])
    with pytest.raises(TypeError):
        scanner(["not bytes"])  # type: ignore[list-item]
