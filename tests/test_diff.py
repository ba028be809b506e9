"""`goldset diff` on real multi-commit repositories (real `git init`, real commits)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import (
    CONFIG,
    GitRepo,
    changelog_block,
    changelog_text,
    example,
    golden_text,
    invoke,
    results_text,
)

from goldset import config, diff

CL_BASE = changelog_block(
    "2026-11-01", ["- added `m1`, `m2`: seed questions from real support traffic"]
)


def boundary(root: Path, *args: str) -> tuple[int, str]:
    """Run through the real error boundary and return (exit code, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "goldset", *args], cwd=root, capture_output=True, text=True
    )
    return proc.returncode, proc.stderr


def two_slices(n_per: int = 100) -> list[dict]:
    exs = [example(f"m{i:03d}", f"math question {i}", "math") for i in range(n_per)]
    exs += [example(f"w{i:03d}", f"writing task {i}", "writing") for i in range(n_per)]
    return exs


def test_slice_regression_is_flagged_while_the_aggregate_improves(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = two_slices()
    # base: every slice passes on half its examples
    base_scores = {e["id"]: {"exact": int(e["id"][1:]) % 2 == 0} for e in exs}
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/CHANGELOG.md": changelog_text(CL_BASE),
            "evals/results/v1.jsonl": results_text(exs, base_scores),
        },
        message="base",
    )
    # head: math drops from 50% to 20%, writing rises from 50% to 95%
    head_scores = {}
    for e in exs:
        k = int(e["id"][1:])
        head_scores[e["id"]] = {"exact": k < 20 if e["id"][0] == "m" else k < 95}
    head = repo.commit_files(
        {"evals/results/v1.jsonl": results_text(exs, head_scores)}, message="new prompt"
    )
    cfg = config.load(repo.root)
    d = diff.compute(repo.root, cfg, base, head, seed=1, n_boot=400)
    rows = {r["slice"]: r for r in d["metrics"]["rows"]}
    assert set(rows) == {"all", "category=math", "category=writing"}
    overall, math_row = rows["all"], rows["category=math"]
    # deltas are plain paired means: (40 - 100) / 200 and (20 - 50) / 100
    assert overall["paired"]["delta"] == pytest.approx(0.075)
    assert math_row["paired"]["delta"] == pytest.approx(-0.30)
    assert math_row["paired"]["n"] == 100
    assert math_row["high_stakes"] is True
    assert math_row["flag"] == "regressed"
    assert rows["category=writing"]["flag"] == "improved"
    assert overall["flag"] != "regressed"
    # paired SE against an independent computation: sd(head - base) / sqrt(n), 10% tolerance
    d_math = [(1 if k < 20 else 0) - (1 if k % 2 == 0 else 0) for k in range(100)]
    mean = sum(d_math) / 100
    sd = math.sqrt(sum((x - mean) ** 2 for x in d_math) / 99)
    assert math_row["paired"]["se"] == pytest.approx(sd / 10, rel=0.10)
    # the correction made the p-values larger, never smaller
    assert math_row["p_adj"] >= math_row["paired"]["p"]


def test_renamed_golden_file_moves_examples_without_changing_them(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}", "math" if i % 2 else "writing") for i in range(10)]
    scores = {e["id"]: {"ok": i % 3 == 0} for i, e in enumerate(exs)}
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/old.jsonl": golden_text(exs),
            "evals/CHANGELOG.md": changelog_text(CL_BASE),
            "evals/results/v.jsonl": results_text(exs, scores),
        }
    )
    head = repo.move("evals/golden/old.jsonl", "evals/golden/sub/new.jsonl")
    d = diff.compute(repo.root, config.load(repo.root), base, head, n_boot=200)
    ex = d["examples"]
    assert ex["added"] == [] and ex["removed"] == [] and ex["changed"] == []
    assert len(ex["moved"]) == 10
    assert ex["moved"][0]["from"] == "evals/golden/old.jsonl"
    assert ex["moved"][0]["file"] == "evals/golden/sub/new.jsonl"
    assert ex["unjustified"] == []
    overall = next(r for r in d["metrics"]["rows"] if r["slice"] == "all")
    assert overall["paired"]["n"] == 10 and overall["paired"]["delta"] == 0


def test_changed_example_with_regenerated_results_is_reported_apart(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}", "math") for i in range(6)]
    scores = {e["id"]: {"ok": True} for e in exs}
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/CHANGELOG.md": changelog_text(CL_BASE),
            "evals/results/v.jsonl": results_text(exs, scores),
        }
    )
    edited = [*exs[:5], example("e5", "question 5, now with the units spelled out", "math")]
    new_scores = {**scores, "e5": {"ok": False}}
    head = repo.commit_files(
        {
            "evals/golden/set.jsonl": golden_text(edited),
            "evals/CHANGELOG.md": changelog_text(
                CL_BASE,
                changelog_block(
                    "2026-11-29", ["- changed `e5`: the units were ambiguous in the question"]
                ),
            ),
            "evals/results/v.jsonl": results_text(edited, new_scores),
        }
    )
    d = diff.compute(repo.root, config.load(repo.root), base, head, n_boot=200)
    changed = d["examples"]["changed"]
    assert [c["id"] for c in changed] == ["e5"]
    assert changed[0]["fields"] == ["input"]
    assert changed[0]["justification"][0]["reason"] == "the units were ambiguous in the question"
    assert changed[0]["base"]["input"] == "question 5"
    assert d["examples"]["unjustified"] == []
    overall = next(r for r in d["metrics"]["rows"] if r["slice"] == "all")
    # the edited example is not in the paired comparison: 5 unchanged examples, delta 0
    assert overall["paired"]["n"] == 5 and overall["paired"]["delta"] == 0
    assert overall["changed"] == {"n": 1, "base_mean": 1.0, "head_mean": 0.0}
    assert d["examples"]["changelog"][0]["ids"] == ["e5"]


def test_unjustified_change_and_stale_results(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}") for i in range(3)]
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/results/v.jsonl": results_text(exs, {e["id"]: {"s": 1.0} for e in exs}),
        }
    )
    edited = [exs[0], exs[1], example("e2", "question 2 reworded")]
    # results not regenerated: e2's result still carries the old example hash
    head = repo.commit_files({"evals/golden/set.jsonl": golden_text(edited)})
    d = diff.compute(repo.root, config.load(repo.root), base, head, n_boot=200)
    assert d["examples"]["unjustified"] == ["e2"]
    overall = next(r for r in d["metrics"]["rows"] if r["slice"] == "all")
    assert overall["stale"] == 1


def test_variant_added_and_removed(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}") for i in range(4)]
    s = {e["id"]: {"ok": True} for e in exs}
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/results/old.jsonl": results_text(exs, s),
            "evals/results/kept.jsonl": results_text(exs, s),
        }
    )
    head = repo.commit_files(
        {"evals/results/old.jsonl": None, "evals/results/new.jsonl": results_text(exs, s)}
    )
    d = diff.compute(repo.root, config.load(repo.root), base, head, n_boot=200)
    assert d["metrics"]["variants"] == {"added": ["new"], "removed": ["old"], "common": ["kept"]}
    status = {(r["variant"], r["slice"]): r["status"] for r in d["metrics"]["rows"]}
    assert status[("new", "all")] == "added" and status[("old", "all")] == "removed"
    new_all = next(r for r in d["metrics"]["rows"] if r["variant"] == "new" and r["slice"] == "all")
    assert new_all["paired"] is None and new_all["head"] == {"mean": 1.0, "n": 4}


def test_head_defaults_to_working_tree_and_base_to_merge_base(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}") for i in range(3)]
    repo.commit_files(
        {"goldset.yaml": CONFIG, "evals/golden/set.jsonl": golden_text(exs)}, message="main"
    )
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit_files(
        {"evals/golden/set.jsonl": golden_text([*exs, example("e3", "a new question")])},
        message="feature",
    )
    # an uncommitted change in the working tree: e0 removed
    repo.write_files(
        {"evals/golden/set.jsonl": golden_text([*exs[1:], example("e3", "a new question")])}
    )
    code, out, _ = invoke(repo.root, "diff", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["head"] == {"rev": None, "label": "working tree"}
    assert d["base"]["rev"] == repo.git("rev-parse", "main")
    assert [r["id"] for r in d["examples"]["added"]] == ["e3"]
    assert [r["id"] for r in d["examples"]["removed"]] == ["e0"]
    # text output names the change and its missing justification
    code, out, _ = invoke(repo.root, "diff")
    assert "added    e3: NO CHANGELOG ENTRY" in out


def test_clear_errors(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    empty = repo.commit_files({"README.md": "hello\n"}, message="no goldset yet")
    exs = [example("e0", "question 0")]
    head = repo.commit_files({"goldset.yaml": CONFIG, "evals/golden/set.jsonl": golden_text(exs)})
    code, err = boundary(repo.root, "diff", "no-such-rev", head)
    assert code == 2 and "unknown revision 'no-such-rev'" in err
    code, err = boundary(repo.root, "diff", empty, head)
    assert code == 2 and "holds no goldset data" in err and "git log" in err

    # a shallow clone that lacks the base: say how to fetch it
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True
    )
    code, err = boundary(clone, "diff", empty, "HEAD")
    assert code == 2 and "shallow clone" in err and "git fetch --unshallow" in err


def test_json_shape_is_stable(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    exs = [example(f"e{i}", f"question {i}", "math" if i % 2 else "writing") for i in range(6)]
    s = {e["id"]: {"ok": i % 2 == 0, "f1": i / 10} for i, e in enumerate(exs)}
    base = repo.commit_files(
        {
            "goldset.yaml": CONFIG,
            "evals/golden/set.jsonl": golden_text(exs),
            "evals/results/v.jsonl": results_text(exs, s),
        }
    )
    head = repo.commit_files({"evals/results/v.jsonl": results_text(exs, s, output="other")})
    code, out, _ = invoke(repo.root, "diff", base, head, "--format", "json", "--n-boot", "200")
    assert code == 0
    d = json.loads(out)
    assert list(d) == [
        "base",
        "head",
        "settings",
        "examples",
        "metrics",
        "agreement",
        "judge_bias",
        "ranking",
        "outputs",
    ]
    assert set(d["examples"]) >= {
        "added",
        "removed",
        "changed",
        "moved",
        "unjustified",
        "changelog",
    }
    row = d["metrics"]["rows"][0]
    assert list(row) == [
        "variant",
        "metric",
        "kind",
        "slice",
        "high_stakes",
        "status",
        "base",
        "head",
        "paired",
        "changed",
        "added",
        "removed",
        "stale",
        "p_adj",
        "flag",
    ]
    assert {r["kind"] for r in d["metrics"]["rows"]} == {"binary", "numeric"}
    # the same inputs give the same bytes
    assert invoke(repo.root, "diff", base, head, "--format", "json", "--n-boot", "200")[1] == out
    # changed outputs are offered to read
    assert d["outputs"] and d["outputs"][0]["head_output"] == "other"
