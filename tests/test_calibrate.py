"""`goldset calibrate`: judge-vs-human kappa per criterion, trust marks, staleness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_llm import FakeLLM, make_project

from goldset import calibration, config, golden, results
from goldset.cli import run as cli

CONFIG = """
version: 1
agreement: {judge_threshold: 0.5}
variants:
  v: {model: openai/fake-model}
rubric:
  criteria:
    - {name: correct, question: Is it correct?}
    - {name: safe, question: Is it safe?}
judges:
  strict:
    model: openai/judge-model
    params: {api_base: "{api_base}", api_key_env: FAKE_KEY}
"""
N = 12
# The fake judge fails an output containing FAIL on every criterion.
FAILS = {0, 1, 2, 3, 4}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    monkeypatch.delenv("GOLDSET_CACHE_DIR", raising=False)


def build(
    tmp_path: Path, server: FakeLLM, human: dict[str, list[bool]], variant_in_label: bool = True
) -> Path:
    root = make_project(
        tmp_path, server, CONFIG, [{"id": f"e{i:02d}", "input": f"q{i}"} for i in range(N)]
    )
    cfg = config.load(root)
    ex = golden.read_set(cfg)
    recs = [
        {
            "example_id": f"e{i:02d}",
            "example_hash": ex[f"e{i:02d}"]["content_hash"],
            "output": "FAIL: wrong" if i in FAILS else f"fine answer {i}",
            "error": None,
            "cached": False,
        }
        for i in range(N)
    ]
    results.write(root / "evals" / "results", "v", recs, {"variant": "v"})
    assert cli(["judge", "-C", str(root)]) == 0
    lines = []
    for crit, values in human.items():
        for i, v in enumerate(values):
            rec = {
                "example_id": f"e{i:02d}",
                "example_hash": ex[f"e{i:02d}"]["content_hash"],
                "annotator": "ada",
                "criterion": crit,
                "value": v,
                "at": "2026-11-29T16:00:00Z",
            }
            if variant_in_label:
                rec["variant"] = "v"
            lines.append(json.dumps(rec))
    (root / "evals" / "labels").mkdir(parents=True, exist_ok=True)
    (root / "evals" / "labels" / "ada.jsonl").write_text("\n".join(lines) + "\n")
    return root


def judge_values() -> list[bool]:
    return [i not in FAILS for i in range(N)]


def flip(values: list[bool], idx: set[int]) -> list[bool]:
    return [(not v) if i in idx else v for i, v in enumerate(values)]


def calibrate_json(capsys, root: Path) -> tuple[int, dict]:
    capsys.readouterr()
    code = cli(["calibrate", "-C", str(root), "--format", "json", "--n-boot", "200"])
    return code, json.loads(capsys.readouterr().out)


def test_kappa_per_criterion_and_trust(tmp_path: Path, capsys) -> None:
    from sklearn.metrics import cohen_kappa_score

    j = judge_values()
    human = {"correct": flip(j, {5}), "safe": flip(j, {0, 1, 5, 6, 7})}
    with FakeLLM() as server:
        root = build(tmp_path, server, human)
    code, got = calibrate_json(capsys, root)
    doc = got["judges"][0]
    assert code == 1 and doc["status"] == "untrusted" and doc["trusted"] is False
    # expected kappas computed independently with scikit-learn, tolerance 1e-9
    for crit in ("correct", "safe"):
        want = cohen_kappa_score(j, human[crit])
        assert doc["criteria"][crit]["kappa"] == pytest.approx(want, abs=1e-9)
        assert doc["criteria"][crit]["n"] == N
        lo, hi = doc["criteria"][crit]["ci"]
        assert lo <= doc["criteria"][crit]["kappa"] <= hi
    assert doc["criteria"]["correct"]["trusted"] is True
    assert doc["criteria"]["safe"]["trusted"] is False
    assert any(r.startswith("safe: kappa") for r in doc["reasons"])
    stored = json.loads((root / "evals" / "judgments" / "strict.calibration.json").read_text())
    assert stored["judge_hash"] and stored["status"] == "untrusted"
    assert calibration.status(config.load(root), "strict")["trusted"] is False


def test_trusted_then_stale_when_the_prompt_changes(tmp_path: Path, capsys) -> None:
    j = judge_values()
    with FakeLLM() as server:
        root = build(
            tmp_path, server, {"correct": j, "safe": flip(j, {11})}, variant_in_label=False
        )
        code, got = calibrate_json(capsys, root)
        assert code == 0 and got["judges"][0]["status"] == "trusted"
        cfg = config.load(root)
        assert calibration.status(cfg, "strict") == {
            **calibration.status(cfg, "strict"),
            "status": "trusted",
            "trusted": True,
        }
        text = (root / "goldset.yaml").read_text()
        (root / "goldset.yaml").write_text(
            text.replace(
                "model: openai/judge-model",
                "model: openai/judge-model\n    prompt: 'Grade: {{ output }} {{ answer_shape }}'",
            )
        )
        st = calibration.status(config.load(root), "strict")
        assert st["status"] == "stale" and st["trusted"] is False
        # a rubric edit makes it stale too
        (root / "goldset.yaml").write_text(text.replace("Is it safe?", "Is it safe for children?"))
        assert calibration.status(config.load(root), "strict")["status"] == "stale"


def test_no_human_labels_means_uncalibrated(tmp_path: Path, capsys) -> None:
    with FakeLLM() as server:
        root = build(tmp_path, server, {})
    code, got = calibrate_json(capsys, root)
    assert code == 1 and got["judges"][0]["status"] == "uncalibrated"
    assert calibration.statuses(config.load(root))["strict"]["status"] == "uncalibrated"
