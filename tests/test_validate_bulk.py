"""The bulk path of validate (files split across processes, orjson parsing,
numpy-sorted id hashes) finds exactly what the single-process path finds:
thresholds are lowered here so a small set takes the bulk path."""

from __future__ import annotations

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
