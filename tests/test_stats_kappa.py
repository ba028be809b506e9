"""Cohen's kappa against published outputs (SAS, R irr) and independent libraries.

scikit-learn's cohen_kappa_score and statsmodels' cohens_kappa are used here
only as independent computations; goldset never imports them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from goldset.stats import StatsError, cohen_kappa, kappa_from_table

DATA = Path(__file__).parent / "data" / "stats"


def _case(name: str) -> dict:
    return json.loads((DATA / name).read_text())


@pytest.mark.parametrize("weights,key", [(None, "unweighted"), ("linear", "linear")])
def test_kappa_and_standard_errors_match_sas(weights: str | None, key: str) -> None:
    case = _case("kappa_sas_table10.json")
    tol = case["tolerance"]
    r = kappa_from_table(case["table"], weights=weights)
    want = case[key]
    assert r.kappa == pytest.approx(want["kappa"], abs=tol)
    assert r.se == pytest.approx(want["se"], abs=tol)
    assert r.ci[0] == pytest.approx(want["ci"][0], abs=tol)
    assert r.ci[1] == pytest.approx(want["ci"][1], abs=tol)
    assert r.se0 == pytest.approx(want["se0"], abs=tol)
    assert r.z == pytest.approx(want["z"], abs=tol)
    assert r.p_value == pytest.approx(want["p_two_sided"], abs=tol)
    assert r.n == 19
    assert r.ci_method == "asymptotic"


@pytest.mark.parametrize(
    "weights,key", [(None, "unweighted"), ("linear", "linear"), ("quadratic", "quadratic")]
)
def test_kappa_matches_r_irr_kappa2(weights: str | None, key: str) -> None:
    case = _case("kappa_irr_anxiety.json")
    r = cohen_kappa(case["rater2"], case["rater3"], weights=weights)
    assert r.kappa == pytest.approx(case[key]["kappa"], abs=case["tolerance"])
    assert r.z == pytest.approx(case[key]["z"], abs=case["z_tolerance"])


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_matches_sklearn_on_random_ratings(weights: str | None) -> None:
    # Independent computation: sklearn.metrics.cohen_kappa_score; tolerance 1e-12.
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(7)
    a = rng.integers(0, 4, 500)
    b = np.where(rng.random(500) < 0.6, a, rng.integers(0, 4, 500))
    mine = cohen_kappa(a.tolist(), b.tolist(), weights=weights)
    ref = cohen_kappa_score(a, b, weights=weights)
    assert mine.kappa == pytest.approx(ref, abs=1e-12)
    fast = cohen_kappa(a, b, weights=weights)  # numpy fast path, same answer
    assert fast.kappa == pytest.approx(ref, abs=1e-12)


def test_kappa_se_matches_statsmodels_for_quadratic_weights() -> None:
    # Independent computation: statsmodels.stats.inter_rater.cohens_kappa (wt="quadratic"); 1e-10.
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    table = np.array([[20, 5, 1, 0], [4, 15, 6, 1], [1, 3, 18, 4], [0, 1, 2, 9]])
    mine = kappa_from_table(table, weights="quadratic")
    ref = sm_kappa(table, wt="quadratic")
    assert mine.kappa == pytest.approx(ref.kappa, abs=1e-10)
    assert mine.se == pytest.approx(ref.std_kappa, abs=1e-10)
    assert mine.se0 == pytest.approx(ref.std_kappa0, abs=1e-10)


def test_unused_categories_from_the_schema_change_nothing_but_the_table() -> None:
    r = cohen_kappa(["yes", "no", "yes"], ["yes", "no", "no"], categories=["yes", "no", "maybe"])
    assert r.categories == ["yes", "no", "maybe"]
    assert len(r.confusion) == 3 and r.confusion[2] == [0, 0, 0]
    # p_o = 2/3, p_e = (2/3*1/3 + 1/3*2/3) = 4/9 -> kappa = (2/3 - 4/9) / (5/9) = 0.4
    assert r.kappa == pytest.approx(0.4, abs=1e-12)


def test_unused_categories_move_weighted_kappa() -> None:
    # An unused category changes the spacing of the linear weights (2 and 4 are two steps apart).
    # Independent computation: sklearn's cohen_kappa_score with labels=...; 1e-12.
    from sklearn.metrics import cohen_kappa_score

    a = [1, 2, 4, 4, 1, 2, 4, 1]
    b = [1, 4, 2, 4, 2, 2, 4, 1]
    few = cohen_kappa(a, b, weights="linear")
    full = cohen_kappa(a, b, weights="linear", categories=[1, 2, 3, 4])
    assert few.kappa == pytest.approx(cohen_kappa_score(a, b, weights="linear"), abs=1e-12)
    assert full.kappa == pytest.approx(
        cohen_kappa_score(a, b, weights="linear", labels=[1, 2, 3, 4]), abs=1e-12
    )
    assert abs(few.kappa - full.kappa) > 0.01
    assert full.categories == [1, 2, 3, 4]


def test_kappa_paradox_is_visible() -> None:
    # 95% raw agreement, yet kappa near zero: a heavily skewed prevalence.
    a = [True] * 90 + [True] * 5 + [False] * 5
    b = [True] * 90 + [False] * 5 + [True] * 5
    r = cohen_kappa(a, b)
    assert r.raw_agreement == pytest.approx(0.90)
    assert r.kappa == pytest.approx(-0.0526315789, abs=1e-9)  # (0.9 - 0.905) / (1 - 0.905)
    assert r.prevalence_index == pytest.approx(0.9)  # |p(F,F) - p(T,T)| = |0 - 0.9|
    assert r.bias_index == pytest.approx(0.0)
    assert r.pabak == pytest.approx(0.8)


def test_constant_raters_give_a_defined_answer_or_a_note_never_nan() -> None:
    same = cohen_kappa([True] * 10, [True] * 10)
    assert same.kappa is None and "undefined" in (same.note or "")
    assert same.raw_agreement == 1.0
    one_constant = cohen_kappa([True] * 10, [True] * 5 + [False] * 5)
    assert one_constant.kappa == pytest.approx(0.0)
    assert one_constant.se is not None


def test_empty_and_mismatched_input_raise_clear_errors() -> None:
    with pytest.raises(StatsError, match="no rating pairs"):
        cohen_kappa([], [])
    with pytest.raises(StatsError, match="different numbers"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(StatsError, match="not among the categories"):
        cohen_kappa([1, 2], [1, 3], categories=[1, 2])
    with pytest.raises(StatsError, match="seed"):
        cohen_kappa([1, 2, 1], [1, 2, 2], n_boot=10)


def test_bootstrap_interval_is_seeded_and_reports_its_seed() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 2, 400)
    b = np.where(rng.random(400) < 0.8, a, 1 - a)
    r1 = cohen_kappa(a, b, n_boot=500, seed=11)
    r2 = cohen_kappa(a, b, n_boot=500, seed=11)
    r3 = cohen_kappa(a, b, n_boot=500, seed=12)
    assert r1.ci == r2.ci and r1.seed == 11 and r1.n_boot == 500
    assert r1.ci != r3.ci
    assert r1.ci[0] < r1.kappa < r1.ci[1]
    # The bootstrap interval and the asymptotic one agree closely on 400 independent pairs.
    asym = cohen_kappa(a, b)
    assert r1.ci[0] == pytest.approx(asym.ci[0], abs=0.03)
    assert r1.ci[1] == pytest.approx(asym.ci[1], abs=0.03)


def test_cluster_bootstrap_is_wider_when_ratings_repeat_within_examples() -> None:
    # Each example's 10 rating pairs are identical copies: the effective n is the example count.
    rng = np.random.default_rng(5)
    a0 = rng.integers(0, 2, 60)
    b0 = np.where(rng.random(60) < 0.75, a0, 1 - a0)
    a = np.repeat(a0, 10)
    b = np.repeat(b0, 10)
    clusters = np.repeat(np.arange(60), 10)
    naive = cohen_kappa(a, b, n_boot=400, seed=1)
    clustered = cohen_kappa(a, b, n_boot=400, seed=1, clusters=clusters)
    assert clustered.n_clusters == 60
    width = clustered.ci[1] - clustered.ci[0]
    assert width > 2.5 * (naive.ci[1] - naive.ci[0])  # about sqrt(10) = 3.2 times wider
