"""The bulk path of validate (files split across processes, orjson parsing,
numpy-sorted id hashes) finds exactly what the single-process path finds:
thresholds are lowered here so a small set takes the bulk path."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from goldset import config, golden, trees, validate


def _example(i: int, ex_id: str | None = None) -> dict:
    ex = {
        "id": ex_id or f"ex-{i:05d}",
        "input": f"question {i} about parcels",
        "slice": {"category": ["a", "b"][i % 2]},
        "stratum": ["real_traffic", "failure_mode", "edge_case"][i % 3],
        "provenance": {
            "added_by": "t",
            "added_at": "2026-01-01T00:00:00Z",
            "why": "bulk test rows",
        },
    }
    ex["content_hash"] = golden.content_hash(ex)
    return ex


@pytest.fixture
def project(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    from goldset import scaffold

    scaffold.init_project(tmp_path)
    rows = [_example(i) for i in range(3000)]
    rows[1500] = _example(1500, "ex-00007")  # a duplicate id, far from the first
    rows[2999] = _example(2999, "ex-00010")  # and another
    lines = [golden.canonical_bytes(r) + b"\n" for r in rows]
    lines[2000] = lines[2000].replace(b'"question 2000', b'"QUESTION 2000')  # stale hash
    (tmp_path / "evals/golden/golden.jsonl").write_bytes(b"".join(lines))
    labels = [
        {"example_id": "ex-00001", "annotator": "ada", "criterion": "ok", "value": True},
        {"example_id": "nope-1", "annotator": "ada", "criterion": "ok", "value": True},
    ]
    (tmp_path / "evals/labels/ada.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labels))
    return tmp_path


def _summary(report: validate.Report) -> list[tuple[str, int | None, str, str | None]]:
    return sorted((p.code, p.line, p.path, p.example_id) for p in report.problems)


def test_bulk_path_reports_what_the_single_path_reports(project: Path, monkeypatch) -> None:
    cfg = config.load(project)
    single = validate.run(cfg, trees.WorkTree(project), jobs=1, use_cache=False)
    monkeypatch.setattr(validate, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(validate._IdIndex, "SMALL", 10)
    bulk = validate.run(cfg, trees.WorkTree(project), jobs=2, use_cache=False)
    codes = {p.code for p in bulk.problems}
    assert {"dup-id", "hash-mismatch", "ref-unknown"} <= codes
    dups = sorted((p.line, p.example_id) for p in bulk.problems if p.code == "dup-id")
    assert dups == [(1501, "ex-00007"), (3000, "ex-00010")]
    assert [p.line for p in bulk.problems if p.code == "hash-mismatch"] == [2001]
    # Same findings either way (the bulk path cannot check reference staleness).
    assert _summary(single) == _summary(bulk)
    assert bulk.examples == single.examples == 3000
    assert bulk.strata == single.strata


@pytest.mark.parametrize(
    "ex",
    [
        {"id": 'a"b', "input": {"z": 1, "a": [1e-7, "x"]}, "zz": 2, "provenance": {"why": "w"}},
        {"input": "no id, no provenance"},
        {"id": "x", "provenance": {}},
        {"id": "n", "input": {"provenance": {"x": 1}}, "provenance": {"provenance": 2}},
        {"id": "m", "input": "a", "provenance": {"why": 'a "provenance": b'}},
    ],
)
def test_hash_of_a_canonical_line_equals_the_content_hash(ex: dict) -> None:
    import orjson

    from goldset import jsonl

    ex = dict(ex, content_hash=golden.content_hash(ex))
    raw = golden.canonical_bytes(ex)
    parsed = jsonl.loads(raw)
    for dumps in (jsonl.dumps, orjson.dumps):
        assert golden.content_hash_of_line(parsed, raw, dumps) == ex["content_hash"]


def test_byte_ranges_own_every_line_exactly_once(tmp_path: Path, monkeypatch) -> None:
    # Ranges cut at arbitrary byte offsets (inside lines, on newlines, at line starts) must
    # hand each line to exactly one worker, in order, however small the read blocks are.
    import random

    rng = random.Random(3)
    lines = [b"x" * rng.randint(0, 40) + str(i).encode() for i in range(300)]
    for tail in (b"\n", b""):  # with and without a final newline
        path = tmp_path / f"f{len(tail)}.jsonl"
        data = b"\n".join(lines) + tail
        path.write_bytes(data)
        for block in (1, 7, 64, 1 << 20):
            monkeypatch.setattr(validate, "RANGE_BLOCK", block)
            for _ in range(20):
                cuts = sorted({0, len(data), *rng.sample(range(1, len(data)), 6)})
                got: list[bytes] = []
                for a, b in itertools.pairwise(cuts):
                    for part in validate._range_blocks(path, a, b):
                        got.extend(part)
                assert got == lines, (block, cuts)


BAD_LINES = {
    "unsorted-nested": b'{"id":"bad-1","input":"q","slice":{"z":"1","a":"2"},"provenance":{"why":"w"},"content_hash":"0000000000000000"}',
    "not-json": b'{"id": "bad-2", oops',
    "not-object": b"[1, 2, 3]",
    "blank": b"",
    "crlf": None,  # a good line with \r appended
    "spaced": None,  # a good line re-serialised with spaces
    "schema": b'{"id":"bad-3","input":5,"provenance":{"why":"w"},"content_hash":"0000000000000000"}',
    "bad-id": None,  # a good line whose id has a space
    "no-provenance": None,  # canonical, but not the usual key layout
    "unknown-stratum": None,
}


@pytest.mark.parametrize("native", ["native", "pure-python"])
@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_batch_path_finds_what_the_line_path_finds(
    project: Path, monkeypatch, kind: str, native: str
) -> None:
    # One bad line of each kind at several places, batches small enough that clean and
    # broken lines share batches: the findings (codes, lines, ids) must not change, with
    # the native scanner and verdict or without them.
    if native == "pure-python":
        monkeypatch.setenv("GOLDSET_NO_NATIVE", "1")
    path = project / "evals/golden/golden.jsonl"
    lines = path.read_bytes().split(b"\n")[:-1]
    for at in (0, 63, 64, 700, 2998):
        good = lines[at]
        ex = json.loads(good)
        bad = BAD_LINES[kind]
        if kind == "crlf":
            bad = good + b"\r"
        elif kind == "spaced":
            bad = json.dumps(ex).encode()
        elif kind == "bad-id":
            bad = golden.canonical_bytes(dict(ex, id=f"bad id {at}"))
        elif kind == "no-provenance":
            ex.pop("provenance")
            ex["content_hash"] = golden.content_hash(ex)
            bad = golden.canonical_bytes(ex)
        elif kind == "unknown-stratum":
            ex["stratum"] = "made_up"
            ex["content_hash"] = golden.content_hash(ex)
            bad = golden.canonical_bytes(ex)
        lines[at] = bad
    path.write_bytes(b"\n".join(lines) + b"\n")
    cfg = config.load(project)
    single = validate.run(cfg, trees.WorkTree(project), jobs=1, use_cache=False)
    monkeypatch.setattr(validate, "PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(validate, "BATCH", 64)
    bulk = validate.run(cfg, trees.WorkTree(project), jobs=2, use_cache=False)
    assert _summary(bulk) == _summary(single)
    assert bulk.examples == single.examples
    assert bulk.strata == single.strata
    if kind not in ("no-provenance",):
        flagged = {p.line for p in single.problems if p.line is not None}
        assert {1, 64, 65, 701, 2999} <= flagged


def test_clean_lines_take_the_batch_path(project: Path, monkeypatch) -> None:
    # Only the broken lines (and the first batch, which may carry a BOM) go line by line.
    cfg = config.load(project)
    monkeypatch.setattr(validate, "BATCH", 64)
    monkeypatch.setattr(validate, "_WORKER_SETTINGS", validate.settings_for(cfg))
    slow: list[int] = []
    real = validate.check_lines_bulk

    def spy(lines, *args, **kwargs):  # type: ignore[no-untyped-def]
        lines = list(lines)
        slow.extend(n for n, _ in lines)
        return real(iter(lines), *args, **kwargs)

    monkeypatch.setattr(validate, "check_lines_bulk", spy)
    path = project / "evals/golden/golden.jsonl"
    res = validate._worker((str(path), "golden.jsonl", 0, path.stat().st_size))
    assert res.lines == 3000
    # The first batch, then the line with a stale hash (duplicate ids are found later,
    # across the whole set, and are clean lines on their own).
    assert sorted(slow) == [*range(1, 65), 2001]
    assert sorted(p.line for p in res.problems) == [2001]
