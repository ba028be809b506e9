"""Fleiss' kappa and Krippendorff's alpha against published worked examples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from goldset.stats import StatsError, fleiss_kappa, krippendorff_alpha

DATA = Path(__file__).parent / "data" / "stats"


def _case(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def test_fleiss_1971_diagnoses_matches_irr() -> None:
    case = _case("fleiss_1971_diagnoses.json")
    r = fleiss_kappa(ratings=case["ratings"])
    assert r.kappa == pytest.approx(case["kappa"], abs=case["tolerance"])
    assert r.z == pytest.approx(case["z"], abs=case["z_tolerance"])
    assert r.n_items == 30 and r.n_raters == 6


def test_fleiss_wikipedia_example() -> None:
    case = _case("fleiss_wikipedia.json")
    r = fleiss_kappa(case["table"])
    tol = case["tolerance"]
    assert r.kappa == pytest.approx(case["kappa"], abs=tol)
    assert r.observed == pytest.approx(case["observed"], abs=tol)
    assert r.expected == pytest.approx(case["expected"], abs=tol)


def test_fleiss_per_category_kappa_equals_the_dichotomised_fleiss_kappa() -> None:
    # Independent computation: statsmodels' fleiss_kappa on each category-vs-rest table; 1e-12.
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    ratings = np.array(_case("fleiss_1971_diagnoses.json")["ratings"])
    r = fleiss_kappa(ratings=ratings.tolist())
    table, _ = aggregate_raters(ratings)
    assert r.kappa == pytest.approx(sm_fleiss(table), abs=1e-12)
    for j, cat in enumerate(r.categories):
        two = np.column_stack([table[:, j], table.sum(axis=1) - table[:, j]])
        assert r.per_category[str(cat)] == pytest.approx(sm_fleiss(two), abs=1e-12)


def test_fleiss_bootstrap_interval_brackets_the_estimate_and_is_seeded() -> None:
    ratings = _case("fleiss_1971_diagnoses.json")["ratings"]
    a = fleiss_kappa(ratings=ratings, n_boot=400, seed=3)
    b = fleiss_kappa(ratings=ratings, n_boot=400, seed=3)
    assert a.ci == b.ci and a.seed == 3
    assert a.ci[0] < a.kappa < a.ci[1]


def test_fleiss_refuses_items_without_two_ratings() -> None:
    with pytest.raises(StatsError, match="two or more raters"):
        fleiss_kappa(ratings=[[1, None], [None, 2]])


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_c_data_all_levels(level: str) -> None:
    case = _case("krippendorff_2011_c.json")
    r = krippendorff_alpha(case["data"], level=level)
    assert r.alpha == pytest.approx(case["alpha"][level], abs=case["tolerance"])
    assert r.n_units == 11  # the last unit has a single rating: not pairable


@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_krippendorff_wikipedia_example(level: str) -> None:
    case = _case("krippendorff_wikipedia.json")
    r = krippendorff_alpha(case["data"], level=level)
    assert r.alpha == pytest.approx(case["alpha"][level], abs=case["tolerance"])


def test_krippendorff_ordinal_strings_need_their_order() -> None:
    case = _case("krippendorff_2011_c.json")
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    data = [[names.get(v) if v is not None else None for v in row] for row in case["data"]]
    r = krippendorff_alpha(data, level="ordinal", values=list(names.values()))
    assert r.alpha == pytest.approx(case["alpha"]["ordinal"], abs=case["tolerance"])


def test_krippendorff_two_raters_nominal_is_small_sample_scott_pi() -> None:
    # Two raters, no missing data: alpha = 1 - (n - 1) / n * (1 - pi), Scott's pi computed here
    # independently (Krippendorff 2011, section on nominal data, two observers); 1e-12.
    rng = np.random.default_rng(2)
    a = rng.integers(0, 3, 200)
    b = np.where(rng.random(200) < 0.7, a, rng.integers(0, 3, 200))
    r = krippendorff_alpha([a.tolist(), b.tolist()])
    p_o = float((a == b).mean())
    pooled = np.bincount(np.r_[a, b], minlength=3) / 400
    pi = (p_o - float((pooled**2).sum())) / (1 - float((pooled**2).sum()))
    n = 400
    assert r.alpha == pytest.approx(1 - (n - 1) / n * (1 - pi), abs=1e-12)


def test_krippendorff_degenerate_inputs() -> None:
    same = krippendorff_alpha([[1, 1, 1], [1, 1, 1]])
    assert same.alpha is None and "undefined" in (same.note or "")
    with pytest.raises(StatsError, match="two or more ratings"):
        krippendorff_alpha([[1, None], [None, 2]])
    with pytest.raises(StatsError, match="numeric"):
        krippendorff_alpha([["x", "y"], ["x", "x"]], level="interval")


def test_krippendorff_cluster_bootstrap_is_seeded() -> None:
    case = _case("krippendorff_2011_c.json")
    a = krippendorff_alpha(case["data"], n_boot=300, seed=9, clusters=list("aabbccddeeff"))
    b = krippendorff_alpha(case["data"], n_boot=300, seed=9, clusters=list("aabbccddeeff"))
    assert a.ci == b.ci and a.ci[0] is not None and a.ci[0] <= a.alpha <= a.ci[1]
