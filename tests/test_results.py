"""Results records: parsing, the shipped JSON Schemas, and `goldset results import`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from gitrepo import CONFIG, example, golden_text, invoke

from goldset import resources, results
from goldset.errors import InputError


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # find_root stops here; no git command is run
    (tmp_path / "goldset.yaml").write_text(CONFIG)
    exs = [example(f"q{i}", f"question {i}", "math" if i % 2 else "writing") for i in range(1, 5)]
    (tmp_path / "evals/golden").mkdir(parents=True)
    (tmp_path / "evals/golden/set.jsonl").write_text(golden_text(exs))
    return tmp_path


def run(project: Path, *args: str) -> tuple[int, str, str]:
    return invoke(project, *args)


def goldset_main(project: Path, *args: str) -> tuple[int, str]:
    """Through the real entry point and its error boundary, in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "goldset", *args], cwd=project, capture_output=True, text=True
    )
    return proc.returncode, proc.stderr


def test_import_csv_with_column_mapping(project: Path) -> None:
    src = project / "run.csv"
    src.write_text(
        "qid,is_correct,f1,answer,usd\nq1,true,0.5,four,0.001\nq2,false,0.25,five,0.002\n"
    )
    code, out, _ = run(
        project,
        "results",
        "import",
        str(src),
        "--variant",
        "gpt-x",
        "--map",
        "example_id=qid",
        "--map",
        "scores.exact=is_correct",
        "--map",
        "scores.f1=f1",
        "--map",
        "output=answer",
        "--map",
        "cost=usd",
        "--model",
        "gpt-x-2026",
        "--created-at",
        "2026-11-29T12:00:00Z",
    )
    assert code == 0, out
    assert "imported 2 results" in out
    lines = (project / "evals/results/gpt-x.jsonl").read_text().splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["example_id"] for r in recs] == ["q1", "q2"]
    assert recs[0]["scores"] == {"exact": True, "f1": 0.5}
    assert recs[1]["scores"]["exact"] is False
    assert recs[0]["output"] == "four" and recs[0]["cost"] == 0.001
    # example_hash is filled from the golden set so a later edit makes the result stale
    golden_line = json.loads((project / "evals/golden/set.jsonl").read_text().splitlines()[0])
    assert recs[0]["example_hash"] == golden_line["content_hash"]
    manifest = json.loads((project / "evals/results/gpt-x.manifest.json").read_text())
    assert manifest["variant"] == "gpt-x" and manifest["model"] == "gpt-x-2026"
    assert manifest["created_at"] == "2026-11-29T12:00:00Z"
    assert manifest["golden_hash"]
    # What goldset writes is valid against the schemas it ships.
    for name, docs in (("result.schema.json", recs), ("manifest.schema.json", [manifest])):
        schema = json.loads(resources.read_text("schemas", name))
        for doc in docs:
            jsonschema.validate(doc, schema)


def test_import_jsonl_in_goldset_shape_needs_no_mapping(project: Path) -> None:
    src = project / "run.jsonl"
    src.write_text(
        '{"example_id":"q3","output":"x","scores":{"ok":1},"latency_ms":120,"tokens":{"prompt":3}}\n'
    )
    code, out, _ = run(
        project, "results", "import", str(src), "--variant", "v1", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["records"] == 1 and data["metrics"] == ["ok"]
    rec = json.loads((project / "evals/results/v1.jsonl").read_text())
    assert rec["latency_ms"] == 120 and rec["tokens"] == {"prompt": 3}


def test_import_nested_jsonl_keys(project: Path) -> None:
    src = project / "run.jsonl"
    src.write_text('{"meta":{"qid":"q1"},"eval":{"correct":true}}\n')
    code, _, _ = run(
        project,
        "results",
        "import",
        str(src),
        "--variant",
        "v2",
        "--map",
        "example_id=meta.qid",
        "--map",
        "scores.correct=eval.correct",
    )
    assert code == 0
    rec = json.loads((project / "evals/results/v2.jsonl").read_text())
    assert rec["example_id"] == "q1" and rec["scores"] == {"correct": True}


@pytest.mark.parametrize(
    ("content", "where", "words"),
    [
        # a score that is neither boolean nor number: line 3, column 2 (the is_correct cell)
        ("qid,is_correct\nq1,true\nq2,maybe\n", "run.csv:3:2:", "neither a boolean"),
        # an id the golden set does not have
        ("qid,is_correct\nq1,true\nq9,true\n", "run.csv:3:1:", "not in the golden set"),
        # the same example twice
        ("qid,is_correct\nq1,true\nq1,false\n", "run.csv:3:1:", "appears twice"),
        # a row with a missing cell
        ("qid,is_correct\nq1\n", "run.csv:2:", "expected 2 cells"),
    ],
)
def test_bad_csv_rows_name_file_line_column(
    project: Path, content: str, where: str, words: str
) -> None:
    src = project / "run.csv"
    src.write_text(content)
    code, err = goldset_main(
        project,
        "results",
        "import",
        "run.csv",
        "--variant",
        "v",
        "--map",
        "example_id=qid",
        "--map",
        "scores.exact=is_correct",
    )
    assert code == 2
    assert where in err and words in err
    assert not (project / "evals/results/v.jsonl").exists(), "nothing is written on a bad row"


def test_bad_jsonl_row_names_column(project: Path) -> None:
    src = project / "run.jsonl"
    src.write_text(
        '{"example_id":"q1","scores":{"a":true}}\n{"example_id":"q2","scores":{"a":"high"}}\n'
    )
    code, err = goldset_main(project, "results", "import", "run.jsonl", "--variant", "v")
    assert code == 2
    # column 21 is where "scores" begins... the value's key "a" is found inside it
    assert "run.jsonl:2:" in err and "neither a boolean" in err


def test_import_keeps_previous_file_when_a_row_is_bad(project: Path) -> None:
    good = project / "good.csv"
    good.write_text("example_id,scores.exact\nq1,true\n")
    assert run(project, "results", "import", str(good), "--variant", "v")[0] == 0
    before = (project / "evals/results/v.jsonl").read_bytes()
    bad = project / "bad.csv"
    bad.write_text("example_id,scores.exact\nq1,false\nq2,oops\n")
    code, _ = goldset_main(project, "results", "import", "bad.csv", "--variant", "v")
    assert code == 2
    assert (project / "evals/results/v.jsonl").read_bytes() == before


def test_unknown_map_target_is_a_usage_error(project: Path) -> None:
    (project / "r.csv").write_text("a\n1\n")
    code, err = goldset_main(
        project, "results", "import", "r.csv", "--variant", "v", "--map", "score=a"
    )
    assert code == 2 and "unknown target 'score'" in err


def test_parse_rejects_bad_records_with_line_and_field() -> None:
    data = b'{"example_id":"a","scores":{"x":true}}\n{"example_id":"b","cost":-1}\n'
    with pytest.raises(InputError, match=r"r\.jsonl:2:\d+: \$\.cost"):
        results.parse(data, "r.jsonl")
    with pytest.raises(InputError, match="appears twice"):
        results.parse(b'{"example_id":"a"}\n{"example_id":"a"}\n', "r.jsonl")
    with pytest.raises(InputError, match=r"r\.jsonl:1:\d+: invalid JSON"):
        results.parse(b'{"example_id":"a",}\n', "r.jsonl")


def test_schema_and_parser_agree_on_examples() -> None:
    schema = json.loads(resources.read_text("schemas", "result.schema.json"))
    good = [
        {"example_id": "a"},
        {"example_id": "a", "scores": {"x": True, "y": 0.5}, "cost": 0, "tokens": {"p": 1}},
    ]
    bad = [
        {"scores": {}},
        {"example_id": "a", "scores": {"x": "yes"}},
        {"example_id": "a", "cost": -0.5},
        {"example_id": "a", "tokens": {"p": 1.5}},
        {"example_id": "a", "error": 3},
    ]
    for rec in good:
        jsonschema.validate(rec, schema)
        results.check_record(rec, "x")
    for rec in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(rec, schema)
        with pytest.raises(InputError):
            results.check_record(rec, "x")


def test_from_files_pairs_manifests_with_results() -> None:
    files = {
        "evals/results/a.jsonl": b'{"example_id":"q1","scores":{"s":1}}\n',
        "evals/results/a.manifest.json": b'{"variant":"a","model":"m"}',
        "evals/results/b.manifest.json": b'{"variant":"b"}',
    }
    out = results.from_files(files)
    assert list(out) == ["a"]
    assert out["a"].manifest == {"variant": "a", "model": "m"}
    assert out["a"].metric_names() == ["s"]
