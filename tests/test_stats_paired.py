"""Paired comparisons and multiple-testing corrections against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pytest

from goldset.stats import StatsError, mcnemar, multiple, paired_difference, paired_t


def _binary_pairs(n: int, seed: int) -> tuple[list[int], list[int]]:
    rng = np.random.default_rng(seed)
    base = (rng.random(n) < 0.6).astype(int)
    head = np.where(rng.random(n) < 0.8, base, 1 - base)
    return base.tolist(), head.tolist()


@pytest.mark.parametrize("n,seed", [(12, 1), (30, 2), (400, 3)])
def test_mcnemar_matches_statsmodels(n: int, seed: int) -> None:
    # Independent computation: statsmodels.stats.contingency_tables.mcnemar, exact below 25
    # discordant pairs, chi-square with continuity correction above; 1e-12.
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    base, head = _binary_pairs(n, seed)
    mine = mcnemar(base, head)
    table = np.zeros((2, 2))
    for x, y in zip(base, head, strict=True):
        table[1 - x, 1 - y] += 1  # rows: base pass/fail; columns: head pass/fail
    exact = mine["b"] + mine["c"] < 25
    ref = sm_mcnemar(table, exact=exact, correction=True)
    assert mine["exact"] == exact
    assert mine["p"] == pytest.approx(ref.pvalue, abs=1e-12)


def test_mcnemar_exact_small_case_by_hand() -> None:
    # b = 1, c = 6: two-sided exact p = 2 * P(X <= 1 | n=7, 1/2) = 2 * 8 / 128 = 0.125.
    base = [1] + [0] * 6 + [1, 1, 0]
    head = [0] + [1] * 6 + [1, 1, 0]
    r = mcnemar(base, head)
    assert (r["b"], r["c"]) == (1, 6)
    assert r["p"] == pytest.approx(0.125, abs=1e-15)


def test_paired_t_matches_scipy() -> None:
    # Independent computation: scipy.stats.ttest_rel and its confidence_interval; 1e-10.
    from scipy import stats

    rng = np.random.default_rng(4)
    base = rng.normal(0.6, 0.1, 40)
    head = base + rng.normal(0.03, 0.05, 40)
    mine = paired_t(base.tolist(), head.tolist())
    ref = stats.ttest_rel(head, base)
    ci = ref.confidence_interval(0.95)
    assert mine["p"] == pytest.approx(ref.pvalue, abs=1e-10)
    assert mine["t"] == pytest.approx(ref.statistic, abs=1e-10)
    assert mine["ci"][0] == pytest.approx(ci.low, abs=1e-10)
    assert mine["ci"][1] == pytest.approx(ci.high, abs=1e-10)


def test_paired_difference_binary_shape_and_values() -> None:
    base, head = _binary_pairs(200, 9)
    r = paired_difference(base, head, kind="binary", seed=1, n_boot=800)
    d = np.array(head) - np.array(base)
    assert r.n == 200
    assert r.delta == pytest.approx(d.mean(), abs=1e-12)
    assert r.se == pytest.approx(d.std(ddof=1) / np.sqrt(200), abs=1e-12)
    assert r.ci_method == "bootstrap" and r.seed == 1
    # The bootstrap interval agrees with delta +- 1.96 se to within a hundredth here.
    assert r.ci[0] == pytest.approx(r.delta - 1.96 * r.se, abs=0.01)
    assert r.ci[1] == pytest.approx(r.delta + 1.96 * r.se, abs=0.01)
    assert r.test.startswith("mcnemar")
    d2 = r.as_dict()
    assert set(d2) >= {"delta", "se", "ci", "p", "n"}


def test_paired_difference_numeric_uses_t_without_bootstrap() -> None:
    from scipy import stats

    base = [0.1, 0.4, 0.35, 0.8, 0.55, 0.6]
    head = [0.2, 0.45, 0.5, 0.85, 0.5, 0.75]
    r = paired_difference(base, head, kind="numeric", n_boot=0)
    ref = stats.ttest_rel(head, base)
    assert r.p == pytest.approx(ref.pvalue, abs=1e-12)
    assert r.ci_method == "t"


def test_missing_scores_are_left_out_and_counted() -> None:
    r = paired_difference([1, None, 0, 1], [1, 1, None, 0], kind="binary", n_boot=0)
    assert r.n == 2
    empty = paired_difference([None], [1], kind="binary")
    assert empty.n == 0 and empty.delta is None
    with pytest.raises(StatsError, match="equal lengths"):
        paired_difference([1, 0], [1], kind="binary")


def test_holm_and_bh_match_statsmodels() -> None:
    # Independent computation: statsmodels.stats.multitest.multipletests; 1e-12.
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.20, 0.002, 0.049, 0.8]
    assert multiple.holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]), abs=1e-12)
    assert multiple.benjamini_hochberg(p) == pytest.approx(
        list(multipletests(p, method="fdr_bh")[1]), abs=1e-12
    )
    assert multiple.reject(p, alpha=0.05, method="holm") == list(
        multipletests(p, alpha=0.05, method="holm")[0]
    )
