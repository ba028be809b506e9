"""The labels store: validation, import from other tools, export, bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_review_support import ago, example, make_repo, read_labels, write_jsonl

from goldset import config
from goldset import labels as L
from goldset.cli import run


def _repo(tmp_path: Path, **kw: Any) -> Path:
    exs = [example("ex-1", "billing"), example("ex-2", "math"), example("ex-3", "math")]
    outs = {v: {e["id"]: f"{v} says {e['id']}" for e in exs} for v in ("gpt", "claude")}
    return make_repo(tmp_path / "r", exs, results=outs, **kw)


def _goldset(root: Path, *args: str) -> tuple[int, str, str]:
    """Run goldset through its real error boundary, with captured output."""
    # -C is an option of the (sub)command, so it goes after the command names.
    head = list(args[:2]) if args[0] == "labels" else list(args[:1])
    argv = [*head, "-C", str(root), *args[len(head) :]]
    with CliRunner().isolation() as (out, err, _):
        code = run(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        return code, out.getvalue().decode(), err.getvalue().decode()


def _snapshot(root: Path) -> dict[str, bytes]:
    folder = root / "evals" / "labels"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.exists() else {}


# ------------------------------------------------------------------ names


@pytest.mark.parametrize(
    ("ident", "name"),
    [
        ("Ada Lovelace <ada@example.com>", "ada-lovelace"),
        ("José Núñez <jn@example.com>", "jose-nunez"),
        ("<grace@example.com>", "grace"),
        ("../../etc/passwd", "etc-passwd"),
        ("bob", "bob"),
    ],
)
def test_safe_name(ident: str, name: str) -> None:
    assert L.safe_name(ident) == name


def test_a_name_with_nothing_usable_still_gets_its_own_file() -> None:
    a, b = L.safe_name("山田"), L.safe_name("李")
    assert a != b and a.startswith("annotator-")


# ----------------------------------------------------------- bad label files


def test_a_labels_file_naming_unknown_ids_is_refused_with_file_and_line(tmp_path: Path) -> None:
    good = example("ex-1", "billing")
    root = _repo(
        tmp_path,
        labels={
            "bob": [
                {
                    "example_id": "ex-1",
                    "example_hash": good["content_hash"],
                    "criterion": "faithful",
                    "value": True,
                    "at": ago(1),
                },
                {
                    "example_id": "ghost-7",
                    "example_hash": good["content_hash"],
                    "criterion": "faithful",
                    "value": True,
                    "at": ago(1),
                },
            ]
        },
    )
    before = _snapshot(root)
    for args in (["review", "--summary"], ["review", "--list"], ["labels", "export"]):
        code, out, err = _goldset(root, *args)
        assert code == 2, (args, out, err)
        assert "evals/labels/bob.jsonl:2" in err and "'ghost-7' is not in the golden set" in err
    assert _snapshot(root) == before


def test_a_label_for_a_criterion_the_rubric_does_not_define(tmp_path: Path) -> None:
    ex = example("ex-1", "billing")
    root = _repo(
        tmp_path,
        labels={
            "bob": [
                {
                    "example_id": "ex-1",
                    "example_hash": ex["content_hash"],
                    "criterion": "politeness",
                    "value": False,
                }
            ]
        },
    )
    before = _snapshot(root)
    code, _, err = _goldset(root, "review", "--summary")
    assert code == 2
    assert "bob.jsonl:1" in err and "'politeness' is not a rubric criterion" in err
    assert "faithful, concise" in err
    assert _snapshot(root) == before


def test_schema_errors_name_the_field() -> None:
    assert L.schema_errors({"example_id": "x", "example_hash": "0" * 16, "criterion": "c"}) == [
        "$.value: missing"
    ]
    msgs = L.schema_errors(
        {"example_id": "x", "example_hash": "0" * 16, "criterion": "c", "value": "yes"}
    )
    assert msgs == ["$.value: 'yes' is not of type 'boolean'"]
    msgs = L.schema_errors(
        {"example_id": "x", "example_hash": "0" * 16, "a": "m", "b": "n", "winner": "left"}
    )
    assert any(m.startswith("$.winner:") for m in msgs)
    assert (
        "mixes a pointwise"
        in L.schema_errors(
            {
                "example_id": "x",
                "example_hash": "0" * 16,
                "criterion": "c",
                "value": True,
                "winner": "a",
            }
        )[0]
    )


def test_the_formats_md_examples_validate_against_the_schemas() -> None:
    # The records docs/formats.md shows, verbatim.
    label_p = {
        "example_id": "mtb-081",
        "example_hash": "0123456789abcdef",
        "annotator": "ada",
        "criterion": "faithful",
        "value": True,
        "at": "2026-11-29T16:00:00Z",
        "note": "optional",
    }
    label_pair = {
        "example_id": "mtb-081",
        "example_hash": "0123456789abcdef",
        "annotator": "ada",
        "a": "gpt-4",
        "b": "claude-v1",
        "winner": "a",
        "turn": 1,
        "shown": ["b", "a"],
        "at": "2026-11-29T16:00:00Z",
    }
    judg = {
        "example_id": "mtb-081",
        "judge": "gpt-4",
        "a": "gpt-4",
        "b": "claude-v1",
        "winner": "tie",
        "consistent": False,
        "orders": [{"first": "a", "winner": "a"}, {"first": "b", "winner": "b"}],
        "len_a": 812,
        "len_b": 640,
    }
    assert L.schema_errors(label_p) == []
    assert L.schema_errors(label_pair) == []
    assert L.schema_errors(judg, "judgment") == []
    assert L.schema_errors({**label_pair, "shown": ["a", "a"]}) != []
    assert L.schema_errors({**judg, "winner": "A"}, "judgment") != []


# ------------------------------------------------------------------ import


def test_csv_import_with_a_column_mapping_and_reimport_adds_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    src = tmp_path / "ratings.csv"
    src.write_text(
        "item,rater,model,question,verdict,comment\n"
        "ex-1,Bob Smith,gpt,faithful,yes,\n"
        "ex-2,Bob Smith,gpt,concise,FAIL,too long\n"
        "ex-3,carol,claude,faithful,pass,\n"
    )
    args = ["labels", "import", str(src), "--format", "csv"]
    maps = ["example_id=item", "annotator=rater", "variant=model", "criterion=question"]
    maps += ["value=verdict", "note=comment"]
    flags = [x for m in maps for x in ("--map", m)]
    code, out, err = _goldset(root, *args, *flags)
    assert code == 0, err
    assert "imported 3 label(s)" in out
    bob = read_labels(root, "bob-smith")
    assert [(r["example_id"], r["criterion"], r["value"]) for r in bob] == [
        ("ex-1", "faithful", True),
        ("ex-2", "concise", False),
    ]
    assert bob[1]["note"] == "too long" and bob[0]["variant"] == "gpt"
    ex1 = example("ex-1", "billing")
    assert bob[0]["example_hash"] == ex1["content_hash"]  # filled from the current example
    assert read_labels(root, "carol")[0]["variant"] == "claude"
    before = _snapshot(root)
    code, out, _ = _goldset(root, *args, *flags, "--output-format", "json")
    assert code == 0 and json.loads(out)["added"] == 0
    assert json.loads(out)["skipped_duplicates"] == 3
    assert _snapshot(root) == before


def test_wide_csv_one_column_per_criterion(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    src = tmp_path / "sheet.csv"
    src.write_text("example_id,faithful,concise\nex-1,1,0\nex-2,,pass\n")
    code, _, err = _goldset(
        root, "labels", "import", str(src), "--format", "csv", "--annotator", "Dana"
    )
    assert code == 0, err
    got = [(r["example_id"], r["criterion"], r["value"]) for r in read_labels(root, "dana")]
    assert got == [
        ("ex-1", "faithful", True),
        ("ex-1", "concise", False),
        ("ex-2", "concise", True),
    ]


def test_csv_import_with_missing_columns_names_them_and_writes_nothing(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    src = tmp_path / "bad.csv"
    src.write_text("item,rater,verdict\nex-1,bob,pass\n")
    code, _, err = _goldset(root, "labels", "import", str(src), "--format", "csv")
    assert code == 2
    assert "missing column(s) 'example_id'" in err and "the header has: item, rater, verdict" in err
    assert "--map" in err
    code, _, err = _goldset(
        root,
        "labels",
        "import",
        str(src),
        "--format",
        "csv",
        "--map",
        "example_id=item",
        "--map",
        "annotator=rater",
    )
    assert code == 2 and "no rating columns" in err
    pair = tmp_path / "pair.csv"
    pair.write_text("example_id,annotator,winner,a\nex-1,bob,a,gpt\n")
    code, _, err = _goldset(root, "labels", "import", str(pair), "--format", "csv")
    assert code == 2 and "missing column(s) 'b'" in err
    assert _snapshot(root) == {}


def test_one_bad_row_stops_the_whole_import(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    src = tmp_path / "mixed.csv"
    src.write_text(
        "example_id,annotator,criterion,value\n"
        "ex-1,bob,faithful,pass\n"
        "nope-9,bob,faithful,pass\n"
        "ex-2,bob,tone,pass\n"
        "ex-3,bob,concise,maybe\n"
    )
    code, _, err = _goldset(root, "labels", "import", str(src), "--format", "csv")
    assert code == 2
    assert "3 row(s) cannot be imported (nothing was written)" in err
    assert "mixed.csv:3: example_id: 'nope-9' is not in the golden set" in err
    assert (
        "mixed.csv:4: criterion: 'tone' is not a rubric criterion (known: faithful, concise)" in err
    )
    assert "mixed.csv:5: value: 'maybe' is not pass/fail" in err
    assert _snapshot(root) == {}


def test_unknown_map_field_is_a_usage_error(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    src = tmp_path / "x.csv"
    src.write_text("example_id,annotator,criterion,value\n")
    code, _, err = _goldset(
        root, "labels", "import", str(src), "--format", "csv", "--map", "colour=c"
    )
    assert code == 2 and "unknown field 'colour'" in err


def test_label_studio_json_export(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    # The shape of Label Studio's JSON export (labelstud.io/guide/task_format):
    # tasks with `data` and `annotations[].result[]` of `choices` results.
    tasks = [
        {
            "id": 1,
            "data": {"example_id": "ex-1", "variant": "gpt", "text": "..."},
            "annotations": [
                {
                    "id": 11,
                    "completed_by": {"id": 3, "email": "erin@example.com"},
                    "created_at": "2026-11-20T10:00:00.123456Z",
                    "was_cancelled": False,
                    "result": [
                        {
                            "from_name": "faithful",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["Pass"]},
                        },
                        {
                            "from_name": "concise",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["Fail"]},
                        },
                    ],
                },
                {"id": 12, "completed_by": 4, "was_cancelled": True, "result": []},
            ],
        },
        {
            "id": 2,
            "data": {"example_id": "ex-2", "a": "gpt", "b": "claude"},
            "annotations": [
                {
                    "id": 21,
                    "completed_by": 4,
                    "created_at": "2026-11-21T09:30:00Z",
                    "result": [
                        {
                            "from_name": "winner",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["B"]},
                        }
                    ],
                }
            ],
        },
    ]
    src = tmp_path / "project-1-export.json"
    src.write_text(json.dumps(tasks))
    code, _out, err = _goldset(root, "labels", "import", str(src), "--format", "label-studio")
    assert code == 0, err
    erin = read_labels(root, "erin")
    assert [(r["criterion"], r["value"], r["at"]) for r in erin] == [
        ("faithful", True, "2026-11-20T10:00:00Z"),
        ("concise", False, "2026-11-20T10:00:00Z"),
    ]
    (pair,) = read_labels(root, "label-studio-user-4")
    assert (pair["a"], pair["b"], pair["winner"]) == ("gpt", "claude", "b")


def test_label_studio_unknown_control_is_named(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    tasks = [
        {
            "id": 5,
            "data": {"example_id": "ex-1"},
            "annotations": [
                {
                    "id": 9,
                    "completed_by": 1,
                    "result": [
                        {"from_name": "tone", "type": "choices", "value": {"choices": ["meh"]}}
                    ],
                }
            ],
        }
    ]
    src = tmp_path / "ls.json"
    src.write_text(json.dumps(tasks))
    code, _, err = _goldset(root, "labels", "import", str(src), "--format", "label-studio")
    assert code == 2 and "task 5 annotation 9: from_name 'tone' is not a rubric criterion" in err
    code, _, err = _goldset(
        root, "labels", "import", str(src), "--format", "label-studio", "--map", "faithful=tone"
    )
    assert code == 2 and "'meh' is not pass/fail" in err


def test_argilla_records_nested_and_flat(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    u1, u2 = "7f1c2d3e-0000-4000-8000-000000000001", "9a8b7c6d-0000-4000-8000-000000000002"
    nested = [
        {
            "id": "rec-1",
            "fields": {"prompt": "...", "response": "..."},
            "metadata": {"example_id": "ex-1", "variant": "gpt"},
            "suggestions": {},
            "responses": {
                "faithful": [{"value": "yes", "user_id": u1}, {"value": "no", "user_id": u2}],
                "concise": [{"value": "no", "user_id": u1, "status": "draft"}],
            },
            "vectors": {},
            "_server_id": None,
        }
    ]
    src = tmp_path / "records.json"
    src.write_text(json.dumps(nested))
    code, _, err = _goldset(root, "labels", "import", str(src), "--format", "argilla")
    assert code == 0, err
    assert [(r["criterion"], r["value"]) for r in read_labels(root, "argilla-7f1c2d3e")] == [
        ("faithful", True)
    ]  # the draft answer is not a rating yet
    assert [(r["criterion"], r["value"]) for r in read_labels(root, "argilla-9a8b7c6d")] == [
        ("faithful", False)
    ]
    flat = [
        {
            "id": "ex-2",
            "prompt": "...",
            "concise.responses": [True],
            "concise.responses.users": [u1],
            "concise.responses.status": ["submitted"],
        }
    ]
    src2 = tmp_path / "flat.jsonl"
    write_jsonl(src2, flat)
    code, _, err = _goldset(
        root, "labels", "import", str(src2), "--format", "argilla", "--annotator", "fay"
    )
    assert code == 0, err
    (r,) = read_labels(root, "fay")
    assert (r["example_id"], r["criterion"], r["value"]) == ("ex-2", "concise", True)


# ------------------------------------------------------------------ export


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    src = tmp_path / "in.jsonl"
    ex1 = example("ex-1", "billing")
    write_jsonl(
        src,
        [
            {
                "example_id": "ex-1",
                "annotator": "gil",
                "variant": "gpt",
                "criterion": "faithful",
                "value": False,
                "note": "made up a date, with a comma",
            },
            {
                "example_id": "ex-1",
                "annotator": "gil",
                "a": "gpt",
                "b": "claude",
                "winner": "tie",
                "shown": ["b", "a"],
                "turn": 1,
            },
        ],
    )
    code, _, err = _goldset(root, "labels", "import", str(src), "--format", "jsonl")
    assert code == 0, err
    stored = read_labels(root, "gil")
    assert stored[0]["example_hash"] == ex1["content_hash"]
    code, csv_out, err = _goldset(root, "labels", "export", "--format", "csv")
    assert code == 0, err
    header = csv_out.splitlines()[0]
    assert header.startswith("example_id,example_hash,annotator,variant,criterion,value")
    assert ",fail," in csv_out and '"made up a date, with a comma"' in csv_out
    out = tmp_path / "out.csv"
    out.write_text(csv_out)
    before = _snapshot(root)
    code, res, _ = _goldset(
        root, "labels", "import", str(out), "--format", "csv", "--output-format", "json"
    )
    assert code == 0 and json.loads(res) == {
        "added": 0,
        "by_annotator": {},
        "skipped_duplicates": 2,
        "files": [],
    }
    assert _snapshot(root) == before
    code, jl, _ = _goldset(root, "labels", "export", "--format", "jsonl")
    assert [json.loads(line) for line in jl.splitlines()] == stored


def test_append_refuses_an_unsafe_annotator_name(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    cfg = config.load(root)
    with pytest.raises(Exception, match="not a safe file name"):
        L.append(cfg, "../evil", [{"example_id": "ex-1"}])
