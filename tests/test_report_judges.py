"""The report and the gate show what goldset knows about its judges: the biases
of both-order pairwise verdicts, and a stored calibration that went stale."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import CONFIG, GitRepo, changelog_block, changelog_text, example, golden_text, invoke


def _pairwise(ex_id: str, first_wins: bool, len_a: int, len_b: int) -> dict:
    # A judge that always picks the answer shown first: each order names a different
    # winner, so the pair is inconsistent and the verdict followed the position.
    orders = [{"first": "a", "winner": "a"}, {"first": "b", "winner": "b"}]
    if not first_wins:
        orders = [{"first": "a", "winner": "a"}, {"first": "b", "winner": "a"}]
    return {
        "example_id": ex_id,
        "judge": "ab",
        "a": "v1",
        "b": "v2",
        "winner": "tie" if first_wins else "a",
        "consistent": not first_wins,
        "orders": orders,
        "len_a": len_a,
        "len_b": len_b,
    }


def _repo(tmp_path: Path, judgments: list[dict], extra: dict[str, str] | None = None) -> GitRepo:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}", "math" if i % 2 else "writing") for i in range(10)]
    repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/CHANGELOG.md": changelog_text(
                changelog_block("2026-11-01", ["- added `e0`: the first real support questions"])
            ),
        }
    )
    files = {"evals/judgments/ab.jsonl": "".join(json.dumps(j) + "\n" for j in judgments)}
    files.update(extra or {})
    repo.commit_files(files)
    return repo


def test_report_shows_a_first_position_judge_as_position_biased(tmp_path: Path) -> None:
    judgments = [_pairwise(f"e{i}", first_wins=True, len_a=100, len_b=300) for i in range(8)]
    judgments += [_pairwise(f"e{i}", first_wins=False, len_a=500, len_b=100) for i in (8, 9)]
    repo = _repo(tmp_path, judgments)
    code, md, err = invoke(
        repo.root, "report", "--base", "HEAD~1", "--head", "HEAD", "--n-boot", "200"
    )
    assert code == 0, err
    table = md.split("**Judge biases**")[1]
    row = next(line for line in table.splitlines() if line.startswith("| `ab`"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # 8 of 10 pairs flipped with the order and followed the position;
    # both consistent verdicts went to the longer answer.
    assert cells[1].startswith("0.80") and "(n=10)" in cells[1]
    assert cells[2].startswith("0.80")
    assert cells[4].startswith("1.00") and "(n=2)" in cells[4]
    code, out, _ = invoke(
        repo.root, "diff", "HEAD~1", "HEAD", "--format", "json", "--n-boot", "200"
    )
    bias = json.loads(out)["judge_bias"]["ab"]
    assert bias["inconsistent"]["k"] == 8 and bias["inconsistent"]["n"] == 10


def test_a_stale_calibration_fails_the_gate_and_is_shown(tmp_path: Path) -> None:
    config = CONFIG + "judges:\n  ab:\n    model: openai/judge-2\n    kind: pairwise\n"
    stale = {
        "judge": "ab",
        "kind": "pairwise",
        "model": "openai/judge-1",
        "judge_hash": "0" * 16,
        "status": "trusted",
        "trusted": True,
        "reasons": [],
        "criteria": {},
    }
    judgments = [_pairwise(f"e{i}", first_wins=False, len_a=200, len_b=100) for i in range(4)]
    repo = _repo(
        tmp_path,
        judgments,
        {"goldset.yaml": config, "evals/judgments/ab.calibration.json": json.dumps(stale)},
    )
    code, out, _ = invoke(
        repo.root, "gate", "--base", "HEAD~1", "--head", "HEAD", "--n-boot", "200", "--no-validate"
    )
    assert code == 1
    assert "ab" in out and "stale" in out and "goldset calibrate" in out
    code, md, _ = invoke(
        repo.root, "report", "--base", "HEAD~1", "--head", "HEAD", "--n-boot", "200"
    )
    assert "Stored calibrations that no longer hold" in md and "stale" in md
