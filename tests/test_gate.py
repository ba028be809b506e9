"""`goldset gate`: exit 1 on a high-stakes regression, an untrusted or uncalibrated
judge, or an invalid set; exit 0 otherwise, and always say why."""

from __future__ import annotations

import json
from pathlib import Path

from gitrepo import CONFIG, GitRepo, example, golden_text, invoke, results_text

from goldset import scaffold


def gate(root: Path, *args: str) -> tuple[int, str]:
    code, out, _ = invoke(root, "gate", *args)
    return code, out


def project(tmp_path: Path) -> tuple[GitRepo, list[dict]]:
    repo = GitRepo.init(tmp_path / "r")
    scaffold.init_project(repo.root)
    (repo.root / "goldset.yaml").write_text(CONFIG)
    exs = [example(f"m{i:02d}", f"math question {i}", "math") for i in range(40)]
    exs += [example(f"w{i:02d}", f"writing task {i}", "writing") for i in range(40)]
    return repo, exs


def test_high_stakes_regression_fails_and_says_why(tmp_path: Path) -> None:
    repo, exs = project(tmp_path)
    base = repo.commit_files(
        {
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/results/v.jsonl": results_text(exs, {e["id"]: {"ok": True} for e in exs}),
        }
    )
    # math (high-stakes) drops from 100% to 25%; writing stays at 100%
    scores = {e["id"]: {"ok": not (e["id"][0] == "m" and int(e["id"][1:]) >= 10)} for e in exs}
    head = repo.commit_files({"evals/results/v.jsonl": results_text(exs, scores)})
    code, out = gate(repo.root, "--base", base, "--head", head)
    assert code == 1
    assert "FAILED" in out and "high-stakes slice category=math regressed for v on ok" in out
    code, out = gate(repo.root, "--base", base, "--head", head, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert list(data) == ["ok", "base", "head", "failures", "warnings", "verdict"]
    assert any("category=math" in f for f in data["failures"])


def test_regression_outside_high_stakes_only_warns(tmp_path: Path) -> None:
    repo, exs = project(tmp_path)
    base = repo.commit_files(
        {
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/results/v.jsonl": results_text(exs, {e["id"]: {"ok": True} for e in exs}),
        }
    )
    scores = {e["id"]: {"ok": not (e["id"][0] == "w" and int(e["id"][1:]) >= 10)} for e in exs}
    head = repo.commit_files({"evals/results/v.jsonl": results_text(exs, scores)})
    code, out = gate(repo.root, "--base", base, "--head", head)
    assert code == 0, out
    assert "passed" in out and "warning: category=writing regressed for v on ok" in out


def test_clean_change_passes(tmp_path: Path) -> None:
    repo, exs = project(tmp_path)
    s = {e["id"]: {"ok": True} for e in exs}
    base = repo.commit_files(
        {"evals/golden/set.jsonl": golden_text(exs), "evals/results/v.jsonl": results_text(exs, s)}
    )
    head = repo.commit_files({"evals/results/v.jsonl": results_text(exs, s, output="reworded")})
    code, out = gate(repo.root, "--base", base, "--head", head)
    assert code == 0 and "no high-stakes regression" in out


def _votes(exs: list[dict], winner_of: dict[str, str], rater_key: str, rater: str) -> str:
    lines = []
    for e in exs:
        lines.append(
            json.dumps(
                {
                    "example_id": e["id"],
                    "example_hash": e["content_hash"],
                    rater_key: rater,
                    "a": "model-x",
                    "b": "model-y",
                    "winner": winner_of[e["id"]],
                }
            )
        )
    return "\n".join(lines) + "\n"


def test_untrusted_judge_fails(tmp_path: Path) -> None:
    repo, exs = project(tmp_path)
    human = {e["id"]: ("a" if i % 2 else "b") for i, e in enumerate(exs)}
    # the judge agrees with the human on a quarter of the items: kappa well under 0.5
    judge = {
        e["id"]: (human[e["id"]] if i % 4 == 0 else ("b" if human[e["id"]] == "a" else "a"))
        for i, e in enumerate(exs)
    }
    base = repo.commit_files(
        {
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/labels/ada.jsonl": _votes(exs, human, "annotator", "ada"),
        }
    )
    head = repo.commit_files(
        {"evals/judgments/cheap-judge.jsonl": _votes(exs, judge, "judge", "cheap-judge")}
    )
    code, out = gate(repo.root, "--base", base, "--head", head)
    assert code == 1
    assert "judge cheap-judge is not trustworthy: kappa vs humans" in out


def test_uncalibrated_judge_fails(tmp_path: Path) -> None:
    repo, exs = project(tmp_path)
    verdicts = {e["id"]: "a" for e in exs}
    base = repo.commit_files({"evals/golden/set.jsonl": golden_text(exs)})
    head = repo.commit_files({"evals/judgments/j.jsonl": _votes(exs, verdicts, "judge", "j")})
    code, out = gate(repo.root, "--base", base, "--head", head)
    assert code == 1 and "judge j is uncalibrated" in out


def test_invalid_set_fails(tmp_path: Path) -> None:
    repo, exs = project(tmp_path)
    base = repo.commit_files({"evals/golden/set.jsonl": golden_text(exs)})
    broken = golden_text(exs) + '{"id":"bad one","input":"x"}\n'
    head = repo.commit_files({"evals/golden/set.jsonl": broken})
    code, out = gate(repo.root, "--base", base, "--head", head)
    assert code == 1 and "the golden set is invalid" in out and "evals/golden/set.jsonl:81" in out
    # the working tree is validated when no --head is given
    code, out = gate(repo.root, "--base", base)
    assert code == 1 and "the golden set is invalid" in out
