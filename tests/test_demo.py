"""`goldset demo`: a real repository from the bundled MT-Bench data, end to end."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import invoke

from goldset import resources

MODELS = ["gpt-4", "claude-v1", "gpt-3.5-turbo", "vicuna-13b-v1.2", "alpaca-13b", "llama-13b"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    where = tmp_path_factory.mktemp("demo")
    code, out, _ = invoke(where, "demo")  # DIR defaults to ./goldset-demo
    return where / "goldset-demo", code, out


def section(md: str, title: str) -> str:
    part = md.split(f"## {title}\n", 1)[1]
    return part.split("\n## ", 1)[0]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def test_demo_builds_two_real_commits(demo: tuple[Path, int, str]) -> None:
    root, code, _ = demo
    assert code == 0
    log = git(root, "log", "--format=%H %s").splitlines()
    assert len(log) == 2
    base, head = log[1].split()[0], log[0].split()[0]
    first = git(root, "show", f"{base}:evals/golden/mt_bench.jsonl").splitlines()
    second = git(root, "show", f"{head}:evals/golden/mt_bench.jsonl").splitlines()
    assert len(first) == 80 and len(second) == 79
    ex = json.loads(first[0])
    assert ex["id"] == "mtb-081" and ex["slice"] == {"category": "writing"}
    with_ref = [json.loads(line) for line in first if '"reference"' in line]
    assert len(with_ref) == 30  # the GPT-4 reference answers that exist
    changelog = git(root, "show", f"{head}:evals/CHANGELOG.md")
    assert "- removed `mtb-160`:" in changelog and "- changed `mtb-101`, `mtb-104`:" in changelog
    # the human votes are labels at base; the GPT-4 verdicts arrive at head
    assert "evals/labels/expert_0.jsonl" in git(root, "ls-tree", "-r", "--name-only", base)
    assert "evals/judgments/gpt4_pair.jsonl" not in git(root, "ls-tree", "-r", "--name-only", base)
    assert "evals/judgments/gpt4_pair.jsonl" in git(root, "ls-tree", "-r", "--name-only", head)


def test_demo_win_rates_are_derived_from_the_votes(demo: tuple[Path, int, str]) -> None:
    root, _, _ = demo
    base = git(root, "rev-list", "--max-parents=0", "HEAD").strip()
    # independently: gpt-4's share of human comparisons won on question 81 (ties half)
    won = n = 0.0
    with (resources.root("data") / "mt_bench/mt_bench_human.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["question_id"] != "81" or "gpt-4" not in (row["model_a"], row["model_b"]):
                continue
            side = "model_a" if row["model_a"] == "gpt-4" else "model_b"
            won += 1.0 if row["winner"] == side else 0.5 if row["winner"] == "tie" else 0.0
            n += 1
    recs = [
        json.loads(x) for x in git(root, "show", f"{base}:evals/results/gpt-4.jsonl").splitlines()
    ]
    rec = next(r for r in recs if r["example_id"] == "mtb-081")
    assert rec["scores"]["win_rate"] == pytest.approx(won / n, abs=1e-6)
    assert rec["output"] is None  # the data has no answers' text, so none is invented
    manifest = json.loads(git(root, "show", f"{base}:evals/results/gpt-4.manifest.json"))
    assert "human votes" in manifest["params"]["score"] or "votes" in manifest["params"]["score"]


def test_demo_report_fills_every_section_with_real_numbers(demo: tuple[Path, int, str]) -> None:
    _, _, out = demo
    md = out.split("\nBuilt ", 1)[0]
    assert md.startswith("<!-- goldset-report -->")
    headline = md.split("\n## ", 1)[0]
    assert "4 changed, 1 removed examples" in headline
    assert "untrusted judge" in headline.lower() or "not trustworthy" in headline

    metrics = section(md, "Metrics by slice")
    for model in MODELS:
        # a numeric row for every model on the high-stakes math slice, listed first
        assert re.search(
            rf"\| \*\*`category=math`\*\* \(high-stakes\) \| `{re.escape(model)}` \| 0\.\d{{3}} \| 0\.\d{{3}} \| [+-]0\.\d{{3}} ± 0\.\d{{3}} \|",
            metrics,
        ), model
    assert "2 changed" in metrics and "1 removed" in metrics
    assert "⚠️ scored by an untrusted judge" in metrics

    judges = section(md, "Judges and agreement")
    assert re.search(
        r"\| `gpt4_pair` \| humans \| pairwise \| all \| — \| 0\.\d\d \| — \| \[0\.\d\d, 0\.\d\d\] \| [\d,]+ \|",
        judges,
    )
    assert re.search(
        r"\| `humans` \| humans \| pairwise \| all \| 0\.\d\d \| 0\.\d\d \| [+-]0\.\d\d \|", judges
    )

    ranking = section(md, "Rankings (Bradley-Terry)")
    human, judge = ranking.split("**judge `gpt4_pair`**")
    rating = r"\d{3,4} \[\d{3,4}, \d{3,4}\]"
    for model in MODELS:
        assert re.search(
            rf"\| `{re.escape(model)}` \| {rating} \| {rating} \| [+-]\d+ \|", human
        ), model
        assert re.search(rf"\| `{re.escape(model)}` \| — \| {rating} \| — \|", judge), model
    # the order of the win rates under expert human judges that the MT-Bench paper reports
    # (Zheng et al. 2023, arXiv:2306.05685):
    # GPT-4 > Claude-v1 > GPT-3.5 > Vicuna-13B > Alpaca-13B > LLaMA-13B
    order = re.findall(r"\| `([^`]+)` \|", human)
    assert order == MODELS
    # the judge is under the kappa threshold: marked wherever its numbers appear
    assert judge.split("\n", 1)[0].startswith(" ⚠️ untrusted judge")

    pareto = section(md, "Quality, cost and latency")
    assert (
        pareto.count("★ frontier") == 1
        and "Not recorded in these results: cost and latency" in pareto
    )
    assert "```mermaid" in pareto
    # independently: gpt-4's mean per-question share of GPT-4-judge comparisons won
    # (ties and order-inconsistent verdicts count half), over the 79 questions kept
    per_q: dict[str, list[float]] = {}
    with (resources.root("data") / "mt_bench/mt_bench_gpt4_pair.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["question_id"] == "160" or "gpt-4" not in (row["model_a"], row["model_b"]):
                continue
            side = "model_a" if row["model_a"] == "gpt-4" else "model_b"
            w = 1.0 if row["winner"] == side else 0.5 if row["winner"].startswith("tie") else 0.0
            per_q.setdefault(row["question_id"], []).append(w)
    expected = sum(sum(v) / len(v) for v in per_q.values()) / len(per_q)
    assert f"| `gpt-4` | {expected:.3f} ⚠️ |" in pareto
    assert "scored by an untrusted judge" in pareto

    changelog = section(md, "CHANGELOG entries of this change")
    assert changelog.count("\n- ") + changelog.startswith("- ") >= 3

    outputs = section(md, "Outputs to read")
    assert "[turn 1]" in outputs and "No output text is recorded" in outputs
    assert "MT-Bench" in headline and "none is made up" in headline


def test_demo_prints_the_credit_line(demo: tuple[Path, int, str]) -> None:
    _, _, out = demo
    assert "arXiv:2306.05685" in out and "CC BY 4.0" in out and "Apache-2.0" in out


def test_demo_refuses_a_non_empty_folder(demo: tuple[Path, int, str], tmp_path: Path) -> None:
    root, _, _ = demo
    proc = subprocess.run(
        [sys.executable, "-m", "goldset", "demo", str(root)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "not empty" in proc.stderr


def test_demo_is_reproducible(demo: tuple[Path, int, str], tmp_path: Path) -> None:
    """Fixed identities, dates and seed: a second demo has the same commits and report bytes."""
    root, _, out = demo
    code, again, _ = invoke(tmp_path, "demo", "demo-again")
    assert code == 0
    assert again.replace("demo-again", "X") == out.replace("goldset-demo", "X")
    assert git(tmp_path / "demo-again", "rev-parse", "HEAD") == git(root, "rev-parse", "HEAD")
