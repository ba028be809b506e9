"""Real data: the MT-Bench votes shipped in data/mt_bench reproduce the paper.

Source: Zheng et al. 2023, "Judging LLM-as-a-Judge with MT-Bench and Chatbot
Arena" (arXiv:2306.05685), Table 5: agreement between GPT-4 (pairwise, both
orders) and the expert humans on MT-Bench, first turn. Agreement is the
probability that randomly selected individuals of each type agree on a
randomly selected question; setup S1 counts ties (random guess R = 33%), S2
drops every vote pair involving a tie (R = 50%):

    S1: G4-Pair vs Human 66%, Human vs Human 63%
    S2: G4-Pair vs Human 85%, Human vs Human 81%

"Human" is the experts only (the paper's authors' votes are excluded), as in
the FastChat script that computed the table (fastchat/llm_judge/
compute_agreement.py), which also fixes the vote counts below. An inconsistent
GPT-4 verdict (the answer flipped with the order) counts as a tie.

Tolerance: the paper rounds to whole percent, so +-0.5 points; goldset
reproduces the unrounded ratios exactly (counts asserted).
"""

from __future__ import annotations

import pytest

from goldset import agreement, mtbench, ranking


@pytest.fixture(scope="module")
def records() -> dict:
    qs = mtbench.questions()
    golden = {q["id"]: q for q in qs}
    labels = mtbench.human_labels()
    experts = [r for r in labels if r["annotator"].startswith("expert_")]
    return {
        "golden": golden,
        "labels": labels,
        "experts": experts,
        "judgments": mtbench.gpt4_judgments(),
    }


@pytest.fixture(scope="module")
def table5(records: dict) -> dict:
    rep = agreement.compute(
        labels=records["experts"],
        judgments=records["judgments"],
        golden=records["golden"],
        turn=1,
        seed=2023,
        n_boot=300,
        by_slice=False,
    )
    return {c["criterion"]: c for c in rep["criteria"]} | {"_report": rep}


def test_conversion_shapes(records: dict) -> None:
    assert len(records["golden"]) == 80
    assert "mtb-081" in records["golden"] and "mtb-160" in records["golden"]
    assert records["golden"]["mtb-081"]["slice"] == {"category": "writing"}
    assert len(records["labels"]) == 3355 and len(records["judgments"]) == 2400
    inconsistent = [r for r in records["judgments"] if r["consistent"] is False]
    assert len(inconsistent) == 380 and all(r["winner"] == "tie" for r in inconsistent)
    first = records["labels"][0]
    assert first == {
        "example_id": "mtb-081",
        "annotator": "author_2",
        "a": "alpaca-13b",
        "b": "gpt-3.5-turbo",
        "winner": "b",
        "turn": 1,
    }
    assert len({r["annotator"] for r in records["experts"]}) == 58


def test_table5_s1_with_ties(table5: dict) -> None:
    c = table5["pairwise"]
    judge = c["judges"][0]
    assert judge["judge"] == "gpt4_pair"
    assert (round(judge["raw_agreement"] * judge["n"]), judge["n"]) == (886, 1343)
    assert judge["raw_agreement"] == pytest.approx(0.66, abs=0.005)
    human = c["human"]
    assert (round(human["agreement"] * human["n_pairs"]), human["n_pairs"]) == (454, 721)
    assert human["agreement"] == pytest.approx(0.63, abs=0.005)


def test_table5_s2_without_ties(table5: dict) -> None:
    c = table5["pairwise (without ties)"]
    judge = c["judges"][0]
    assert (round(judge["raw_agreement"] * judge["n"]), judge["n"]) == (727, 859)
    assert judge["raw_agreement"] == pytest.approx(0.85, abs=0.005)
    human = c["human"]
    assert (round(human["agreement"] * human["n_pairs"]), human["n_pairs"]) == (388, 479)
    assert human["agreement"] == pytest.approx(0.81, abs=0.005)


def test_goldset_adds_kappa_and_intervals(table5: dict) -> None:
    # Chance-corrected numbers the paper does not give: only their sanity is checked here
    # (kappa below raw agreement, inside its interval), plus the judge verdict it implies.
    for name in ("pairwise", "pairwise (without ties)"):
        judge = table5[name]["judges"][0]
        lo, hi = judge["ci"]
        assert lo < judge["kappa"] < hi
        assert judge["kappa"] < judge["raw_agreement"]
        assert judge["confusion"] and judge["n_boot"] == 300 and judge["seed"] == 2023
        human = table5[name]["human"]
        assert human["statistic"] == "krippendorff_alpha"
        assert human["ci"][0] < human["kappa"] < human["ci"][1]
    # Without ties, GPT-4 agrees with the experts at least as well as they agree with each other.
    s2 = table5["pairwise (without ties)"]
    assert s2["judges"][0]["kappa"] > 0.5


def test_bradley_terry_ranks_the_six_models_as_the_human_votes_do(records: dict) -> None:
    rep = ranking.compute(labels=records["labels"], judgments=[], seed=0, n_boot=200)
    order = [r["variant"] for r in rep["ratings"]]
    assert order == [
        "gpt-4",
        "claude-v1",
        "gpt-3.5-turbo",
        "vicuna-13b-v1.2",
        "alpaca-13b",
        "llama-13b",
    ]
    # The top and bottom are separated far beyond their intervals.
    top, bottom = rep["ratings"][0], rep["ratings"][-1]
    assert top["ci"][0] > rep["ratings"][3]["ci"][1]
    assert bottom["ci"][1] < rep["ratings"][3]["ci"][0]
    assert rep["n_comparisons"] == 3354  # one author vote superseded by the same author's later one


def test_gpt4_judge_ranks_the_models_in_the_same_order(records: dict) -> None:
    rep = ranking.compute(labels=[], judgments=records["judgments"], source="judgments", n_boot=0)
    assert [r["variant"] for r in rep["ratings"]][:3] == ["gpt-4", "claude-v1", "gpt-3.5-turbo"]
    assert rep["counts"]["inconsistent"] == 380
