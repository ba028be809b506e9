"""`goldset agree` end to end on a real repository, and agreement.compute on records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from goldset import agreement, golden

N = 40


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _examples() -> list[dict[str, Any]]:
    out = []
    for k in range(N):
        ex = {
            "id": f"ex-{k:03d}",
            "input": f"question {k}",
            "slice": {"topic": "billing" if k % 2 else "refunds"},
            "stratum": "real_traffic",
        }
        ex["content_hash"] = golden.content_hash(ex)
        out.append(ex)
    return out


def _ratings() -> dict[str, list[bool]]:
    rng = np.random.default_rng(0)
    truth = rng.random(N) < 0.5
    ada = truth.copy()
    bob = np.where(rng.random(N) < 0.9, truth, ~truth)
    good = np.where(rng.random(N) < 0.95, truth, ~truth)
    coin = rng.random(N) < 0.5
    return {
        "ada": ada.tolist(),
        "bob": bob.tolist(),
        "good-judge": good.tolist(),
        "coin-judge": coin.tolist(),
    }


@pytest.fixture
def project(git_repo: Any) -> Any:
    root = git_repo.root
    (root / "goldset.yaml").write_text(
        "version: 1\nslices: [topic]\nagreement:\n  human_threshold: 0.6\n  judge_threshold: 0.5\n"
    )
    exs = _examples()
    _write_jsonl(root / "evals/golden/set.jsonl", exs)
    r = _ratings()
    for who in ("ada", "bob"):
        _write_jsonl(
            root / f"evals/labels/{who}.jsonl",
            [
                {
                    "example_id": e["id"],
                    "example_hash": e["content_hash"],
                    "criterion": "faithful",
                    "value": v,
                }
                for e, v in zip(exs, r[who], strict=True)
            ],
        )
    for who in ("good-judge", "coin-judge"):
        _write_jsonl(
            root / f"evals/judgments/{who}.jsonl",
            [
                {"example_id": e["id"], "criterion": "faithful", "value": v}
                for e, v in zip(exs, r[who], strict=True)
            ],
        )
    return git_repo


def test_agree_json_reports_kappa_per_criterion_judge_and_slice(project: Any, cli: Any) -> None:
    res = cli("agree", "--format", "json", "--bootstrap", "200", "--seed", "7", cwd=project.root)
    assert res.code == 0, res.output
    rep = json.loads(res.out)
    assert set(rep) >= {"settings", "counts", "criteria", "judges", "untrusted", "warnings"}
    assert rep["settings"]["seed"] == 7 and rep["settings"]["n_boot"] == 200
    (crit,) = rep["criteria"]
    assert crit["criterion"] == "faithful" and crit["categories"] == [False, True]
    # Independent computation: scikit-learn's cohen_kappa_score on the same ratings; 1e-12.
    from sklearn.metrics import cohen_kappa_score

    r = _ratings()
    human = crit["human"]
    assert human["statistic"] == "cohen_kappa" and human["raters"] == ["ada", "bob"]
    assert human["kappa"] == pytest.approx(cohen_kappa_score(r["ada"], r["bob"]), abs=1e-12)
    assert human["n_pairs"] == N
    judges = {j["judge"]: j for j in crit["judges"]}
    good = judges["good-judge"]
    want = cohen_kappa_score(r["good-judge"] * 2, r["ada"] + r["bob"])  # judge vs each human
    assert good["kappa"] == pytest.approx(want, abs=1e-12)
    assert good["n"] == 2 * N and good["n_items"] == N and good["n_humans"] == 2
    assert good["ci"][0] < good["kappa"] < good["ci"][1] and good["seed"] == 7
    assert sum(map(sum, good["confusion"])) == 2 * N
    assert rep["untrusted"] == ["coin-judge"]
    assert rep["judges"]["good-judge"]["trusted"] is True
    assert rep["judges"]["coin-judge"]["trusted"] is False
    slices = {(s["key"], s["value"]): s for s in crit["slices"]}
    assert set(slices) == {("topic", "billing"), ("topic", "refunds")}
    billing = slices[("topic", "billing")]
    idx = [k for k in range(N) if k % 2]
    sub = cohen_kappa_score([r["ada"][k] for k in idx], [r["bob"][k] for k in idx])
    assert billing["human"]["kappa"] == pytest.approx(sub, abs=1e-12)


def test_agree_text_marks_the_untrusted_judge_and_strict_fails(project: Any, cli: Any) -> None:
    res = cli("agree", "--bootstrap", "50", cwd=project.root)
    assert res.code == 0
    assert "judge coin-judge vs humans" in res.out
    assert "NOT TRUSTWORTHY" in res.out
    assert "judge coin-judge is NOT trustworthy" in res.out
    strict = cli("agree", "--bootstrap", "50", "--strict", cwd=project.root)
    assert strict.code == 1
    md = cli("agree", "--bootstrap", "0", "--format", "md", cwd=project.root)
    assert md.code == 0 and "| faithful | coin\\-judge vs humans |" in md.out
    assert "**not trustworthy**" in md.out


def test_same_seed_same_bytes(project: Any, cli: Any) -> None:
    a = cli("agree", "--format", "json", "--bootstrap", "100", cwd=project.root)
    b = cli("agree", "--format", "json", "--bootstrap", "100", cwd=project.root)
    assert a.out == b.out


def test_stale_labels_are_left_out_and_counted(project: Any, cli: Any) -> None:
    path = project.root / "evals/labels/bob.jsonl"
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    rows[0]["example_hash"] = "0" * 16
    _write_jsonl(path, rows)
    rep = json.loads(cli("agree", "--format", "json", "--bootstrap", "0", cwd=project.root).out)
    assert rep["counts"]["stale"] == 1
    assert rep["criteria"][0]["human"]["n_pairs"] == N - 1
    assert any("stale" in w for w in rep["warnings"])


def test_a_bad_label_line_is_named(project: Any, cli: Any) -> None:
    with (project.root / "evals/labels/ada.jsonl").open("a") as fh:
        fh.write('{"example_id": "ex-001", "criterion": "faithful"}\n')
    res = cli("agree", cwd=project.root)
    assert res.code == 2
    assert "evals/labels/ada.jsonl:41" in res.err and "value" in res.err


def _pair(ex: str, winner: str, **kw: Any) -> dict[str, Any]:
    return {"example_id": ex, "a": "m1", "b": "m2", "winner": winner, **kw}


def test_pairwise_votes_count_with_and_without_ties() -> None:
    labels = [
        _pair("e1", "a", annotator="h1"),
        _pair("e1", "a", annotator="h2"),
        _pair("e2", "tie", annotator="h1"),
        _pair("e2", "b", annotator="h2"),
        # Written the other way round: m2 vs m1, the same item.
        {"example_id": "e3", "a": "m2", "b": "m1", "winner": "b", "annotator": "h1"},
        _pair("e3", "a", annotator="h2"),
    ]
    rep = agreement.compute(labels=labels, judgments=[], n_boot=0)
    crit = {c["criterion"]: c for c in rep["criteria"]}
    assert crit["pairwise"]["human"]["n_pairs"] == 3
    assert crit["pairwise"]["human"]["agreement"] == pytest.approx(2 / 3)
    assert crit["pairwise (without ties)"]["human"]["n_pairs"] == 2
    assert crit["pairwise (without ties)"]["human"]["agreement"] == pytest.approx(1.0)


def test_judge_two_order_rule_tie_or_drop() -> None:
    labels = [_pair("e1", "a", annotator="h1"), _pair("e2", "tie", annotator="h1")]
    judgments = [
        _pair(
            "e1",
            "a",
            judge="j",
            orders=[{"first": "a", "winner": "a"}, {"first": "b", "winner": "a"}],
        ),
        # Position-following verdict: inconsistent, derived from the two orders.
        _pair(
            "e2",
            "a",
            judge="j",
            orders=[{"first": "a", "winner": "a"}, {"first": "b", "winner": "b"}],
        ),
    ]
    as_tie = agreement.compute(labels=labels, judgments=judgments, n_boot=0)
    j = as_tie["criteria"][0]["judges"][0]
    assert j["n"] == 2 and j["raw_agreement"] == pytest.approx(1.0)
    assert as_tie["counts"]["inconsistent"] == 1
    dropped = agreement.compute(
        labels=labels, judgments=judgments, n_boot=0, pairwise_inconsistent="drop"
    )
    j2 = dropped["criteria"][0]["judges"][0]
    assert j2["n"] == 1 and dropped["counts"]["inconsistent_dropped"] == 1


def test_a_later_label_supersedes_an_earlier_one() -> None:
    labels = [
        {"example_id": "e1", "criterion": "c", "value": False, "annotator": "h1"},
        {"example_id": "e1", "criterion": "c", "value": True, "annotator": "h1"},
        {"example_id": "e1", "criterion": "c", "value": True, "annotator": "h2"},
        {"example_id": "e2", "criterion": "c", "value": False, "annotator": "h1"},
        {"example_id": "e2", "criterion": "c", "value": False, "annotator": "h2"},
    ]
    rep = agreement.compute(labels=labels, judgments=[], n_boot=0)
    human = rep["criteria"][0]["human"]
    assert human["agreement"] == 1.0 and human["kappa"] == pytest.approx(1.0)
    assert rep["counts"]["superseded"] == 1


def test_judge_without_overlapping_humans_is_uncalibrated() -> None:
    rep = agreement.compute(
        labels=[{"example_id": "e1", "criterion": "c", "value": True, "annotator": "h"}],
        judgments=[{"example_id": "e2", "criterion": "c", "value": True, "judge": "j"}],
        n_boot=0,
    )
    assert rep["uncalibrated"] == ["j"] and rep["untrusted"] == []
