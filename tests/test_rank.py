"""`goldset rank` end to end on a real repository, and ranking.compute on records."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from goldset import ranking


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


HASH = "0123456789abcdef"  # the label schema requires one; there is no golden set to compare
STRENGTH = {"alpha": 1.0, "beta": 0.3, "gamma": -0.2, "delta": -1.1}


def _votes(n: int, seed: int, rater_key: str, rater: str) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    names = list(STRENGTH)
    rows = []
    for k in range(n):
        i, j = rng.choice(4, 2, replace=False)
        a, b = names[i], names[j]
        p = 1 / (1 + math.exp(STRENGTH[b] - STRENGTH[a]))
        u = rng.random()
        winner = "tie" if u < 0.1 else ("a" if u < 0.1 + 0.9 * p else "b")
        rows.append(
            {
                "example_id": f"ex-{k:04d}",
                "example_hash": HASH,
                "a": a,
                "b": b,
                "winner": winner,
                rater_key: rater,
                "turn": 1,
            }
        )
    return rows


@pytest.fixture
def project(git_repo: Any) -> Any:
    root = git_repo.root
    (root / "goldset.yaml").write_text("version: 1\n")
    _write_jsonl(root / "evals/labels/ada.jsonl", _votes(600, 1, "annotator", "ada"))
    judge = _votes(300, 2, "judge", "gpt-x")
    for k, r in enumerate(judge):
        if k % 10 == 0:  # the verdict followed the position: inconsistent
            r["winner"] = "tie"
            r["consistent"] = False
    _write_jsonl(root / "evals/judgments/gpt-x.jsonl", judge)
    return git_repo


def test_rank_json_shape_and_order(project: Any, cli: Any) -> None:
    res = cli("rank", "--format", "json", "--bootstrap", "200", "--seed", "3", cwd=project.root)
    assert res.code == 0, res.output
    rep = json.loads(res.out)
    assert [r["variant"] for r in rep["ratings"]] == ["alpha", "beta", "gamma", "delta"]
    assert rep["by_source"] == {"labels": 600, "judgments": 300}
    assert rep["settings"]["seed"] == 3 and rep["settings"]["ci_method"] == "bootstrap"
    assert rep["settings"]["scale"] == "elo"
    mean = sum(r["rating"] for r in rep["ratings"]) / 4
    assert mean == pytest.approx(1000, abs=1e-6)
    for r in rep["ratings"]:
        assert r["ci"][0] < r["rating"] < r["ci"][1]
        assert r["games"] == r["wins"] + r["losses"] + r["ties"]
    wr = rep["win_rates"]
    assert wr["variants"] == ["alpha", "beta", "gamma", "delta"]
    assert wr["matrix"][0][0] is None
    # Row vs column and column vs row win rates add up to one (ties count half).
    assert wr["matrix"][0][3] + wr["matrix"][3][0] == pytest.approx(1.0)


def test_rank_sources_and_the_inconsistent_rule(project: Any, cli: Any) -> None:
    labels_only = json.loads(
        cli(
            "rank", "--source", "labels", "--format", "json", "--bootstrap", "0", cwd=project.root
        ).out
    )
    assert labels_only["by_source"] == {"labels": 600, "judgments": 0}
    assert labels_only["settings"]["ci_method"] == "wald"
    judged = json.loads(
        cli(
            "rank",
            "--source",
            "judgments",
            "--format",
            "json",
            "--bootstrap",
            "0",
            cwd=project.root,
        ).out
    )
    assert judged["n_comparisons"] == 300 and judged["counts"]["inconsistent"] == 30
    (project.root / "goldset.yaml").write_text(
        "version: 1\nagreement:\n  pairwise_inconsistent: drop\n"
    )
    dropped = json.loads(
        cli(
            "rank",
            "--source",
            "judgments",
            "--format",
            "json",
            "--bootstrap",
            "0",
            cwd=project.root,
        ).out
    )
    assert dropped["n_comparisons"] == 270
    assert dropped["settings"]["pairwise_inconsistent"] == "drop"


def test_rank_text_and_markdown(project: Any, cli: Any) -> None:
    text = cli("rank", "--bootstrap", "50", cwd=project.root)
    assert text.code == 0
    assert "Bradley-Terry" in text.out and "alpha" in text.out and "win rate" in text.out
    # The header says which bootstrap made the intervals (the default changed to Bayesian).
    assert "(Bayesian bootstrap, 50 rounds" in text.out
    classic = cli("rank", "--bootstrap", "50", "--resample", "multinomial", cwd=project.root)
    assert "(classic bootstrap, 50 rounds" in classic.out
    md = cli("rank", "--bootstrap", "0", "--format", "md", "--scale", "natural", cwd=project.root)
    assert md.code == 0 and md.out.startswith("### Ranking (Bradley-Terry)")
    assert "| 1 | alpha |" in md.out


def test_an_unbeaten_variant_is_a_clear_error_and_prior_fixes_it(git_repo: Any, cli: Any) -> None:
    root = git_repo.root
    (root / "goldset.yaml").write_text("version: 1\n")
    vote = {"example_hash": HASH, "annotator": "ada"}
    rows = [
        {"example_id": f"e{k}", "a": "best", "b": o, "winner": "a", **vote}
        for k, o in enumerate(["x", "y"] * 5)
    ]
    rows += [{"example_id": "f1", "a": "x", "b": "y", "winner": "a", **vote}]
    rows += [{"example_id": "f2", "a": "x", "b": "y", "winner": "b", **vote}]
    _write_jsonl(root / "evals/labels/ada.jsonl", rows)
    res = cli("rank", "--bootstrap", "0", cwd=root)
    assert res.code == 2
    assert "best never lost" in res.err and "--prior" in res.err
    ok = cli("rank", "--bootstrap", "0", "--prior", "1", "--format", "json", cwd=root)
    assert ok.code == 0
    assert json.loads(ok.out)["ratings"][0]["variant"] == "best"


def test_no_pairwise_votes_is_explained(git_repo: Any, cli: Any) -> None:
    (git_repo.root / "goldset.yaml").write_text("version: 1\n")
    res = cli("rank", cwd=git_repo.root)
    assert res.code == 2 and "no pairwise votes" in res.err


def test_compute_on_records_with_davidson_ties() -> None:
    rep = ranking.compute(
        labels=_votes(800, 5, "annotator", "ada"),
        judgments=[],
        ties="davidson",
        n_boot=0,
        scale="natural",
    )
    assert rep["tie_parameter"] is not None and rep["tie_parameter"] > 0
    assert rep["ratings"][0]["variant"] == "alpha"


def test_compute_allow_empty_keeps_the_shape() -> None:
    rep = ranking.compute(labels=[], judgments=[], allow_empty=True)
    assert rep["ratings"] == [] and rep["n_comparisons"] == 0
    assert set(rep) >= {"settings", "by_source", "win_rates", "warnings"}
