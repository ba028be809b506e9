"""`goldset score`: the programmatic checks, each one as a user would declare it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_llm import write_examples

from goldset import results
from goldset.cli import run as cli

EXAMPLES = [
    {"id": "e1", "input": "2+2?", "reference": "4"},
    {"id": "e2", "input": "capital of France?", "reference": "Paris"},
    {"id": "e3", "input": "json please", "reference": "x"},
    {"id": "e4", "input": "no reference"},
]
OUTPUTS = {
    "e1": "The answer is 4.0",
    "e2": "  paris ",
    "e3": '```json\n{"name": "Ada", "age": 36}\n```',
    "e4": "I'm sorry, as an AI I cannot",
}

CHECKS = """
version: 1
variants:
  v: {model: openai/fake-model}
checks:
  - {name: exact_raw, type: exact}
  - {name: exact_norm, type: exact, normalize: [case, whitespace, punctuation]}
  - {name: has_four, type: contains, value: "4"}
  - {name: no_refusal, type: not_contains, value: ["as an ai", "i cannot"], normalize: [case]}
  - {name: sentence, type: regex, pattern: "^the answer", flags: [ignorecase]}
  - {name: is_json, type: json}
  - name: person
    type: json_schema
    schema: {type: object, required: [name, age], properties: {age: {type: integer, minimum: 0}}}
  - {name: close, type: numeric, tolerance: 0.01}
  - {name: custom, type: python, function: "mychecks:length_ratio"}
"""


def project(tmp_path: Path, config: str = CHECKS) -> Path:
    root = tmp_path
    (root / ".git").mkdir()
    (root / "goldset.yaml").write_text(config)
    write_examples(root, EXAMPLES)
    (root / "mychecks.py").write_text(
        "def length_ratio(output, example):\n"
        "    ref = example.get('reference')\n"
        "    return None if ref is None else round(len(output) / len(ref), 3)\n"
    )
    from goldset import config as config_mod
    from goldset import golden

    cfg = config_mod.load(root)
    ex = golden.read_set(cfg)
    recs = [
        {
            "example_id": i,
            "example_hash": ex[i]["content_hash"],
            "output": OUTPUTS[i],
            "scores": {"judge_said": 1},
            "cost": 0.001,
            "latency_ms": 5,
            "tokens": {"prompt": 1, "completion": 1},
            "error": None,
            "cached": False,
        }
        for i in OUTPUTS
    ]
    results.write(root / "evals" / "results", "v", recs, {"variant": "v"})
    return root


def scores(root: Path) -> dict[str, dict]:
    text = (root / "evals" / "results" / "v.jsonl").read_text()
    return {r["example_id"]: r["scores"] for r in map(json.loads, text.splitlines())}


def test_every_check_type(tmp_path: Path, capsys) -> None:
    root = project(tmp_path)
    capsys.readouterr()
    assert cli(["score", "-C", str(root), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    s = scores(root)
    assert s["e1"]["exact_raw"] is False and s["e2"]["exact_raw"] is False
    assert s["e2"]["exact_norm"] is True  # "  paris " ~ "Paris" after case and whitespace
    assert s["e1"]["has_four"] is True and s["e2"]["has_four"] is False
    assert s["e4"]["no_refusal"] is False and s["e1"]["no_refusal"] is True
    assert s["e1"]["sentence"] is True and s["e2"]["sentence"] is False
    assert s["e3"]["is_json"] is True and s["e1"]["is_json"] is False  # a fenced block counts
    assert s["e3"]["person"] is True and s["e2"]["person"] is False
    assert s["e1"]["close"] is True  # 4.0 within 0.01 of the reference 4
    assert "close" not in s["e2"]  # the reference is not a number: the check does not apply
    assert s["e1"]["custom"] == pytest.approx(17.0)
    assert "custom" not in s["e4"]  # the callable said None: not applicable
    assert "exact_raw" not in s["e4"]  # no reference to compare with
    assert all(v["judge_said"] == 1 for v in s.values()), "other scores are kept"
    summary = report["variants"][0]["checks"]
    assert summary["has_four"] == {"n": 4, "mean": 0.25, "se": pytest.approx(0.25)}
    # the file stays readable by the results reader
    results.parse((root / "evals" / "results" / "v.jsonl").read_bytes(), "v.jsonl")


def test_numeric_relative_tolerance(tmp_path: Path) -> None:
    from goldset.llm_config import Check
    from goldset.scoring import run_check

    check = Check("n", "numeric", {"relative": 0.05})
    ex = {"reference": "1,000"}
    assert run_check(tmp_path, check, ex, "about 1040 units") is True
    assert run_check(tmp_path, check, ex, "about 1060 units") is False
    assert run_check(tmp_path, check, ex, "no number here") is False


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (
            "{name: r, type: regex, pattern: '(unclosed'}",
            "checks[0].pattern: invalid regular expression",
        ),
        ("{name: x, type: fuzzy}", "checks[0].type: expected one of"),
        ("{name: c, type: contains}", "checks[0].value: required for contains"),
        (
            "{name: p, type: python, function: nocolon}",
            "checks[0].function: expected module:function",
        ),
        ("{name: e, type: exact, normalize: [stem]}", "checks[0].normalize: 'stem'"),
        ("{name: s, type: json_schema}", "checks[0]: set exactly one of schema or schema_file"),
        (
            "{name: n, type: numeric, tolerance: -1}",
            "checks[0].tolerance: expected a non-negative number",
        ),
    ],
)
def test_bad_checks_name_the_field(tmp_path: Path, capsys, check: str, message: str) -> None:
    root = project(tmp_path, "version: 1\nvariants:\n  v: {model: m}\nchecks:\n  - " + check + "\n")
    assert cli(["score", "-C", str(root)]) == 2
    assert message in capsys.readouterr().err


def test_a_failing_callable_names_the_example(tmp_path: Path, capsys) -> None:
    root = project(
        tmp_path,
        "version: 1\nchecks:\n  - {name: boom, type: python, function: 'boomchecks:boom'}\n",
    )
    (root / "boomchecks.py").write_text("def boom(output, example):\n    raise ValueError('bad')\n")
    assert cli(["score", "-C", str(root)]) == 2
    err = capsys.readouterr().err
    assert "checks.boom" in err and "ValueError: bad" in err and "'e1'" in err
