"""Bradley-Terry against R's BradleyTerry2 and independent likelihood maximisation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from goldset.stats import (
    ConvergenceError,
    DisconnectedError,
    InfiniteStrengthError,
    StatsError,
    bradley_terry,
)
from goldset.stats.bradley_terry import aggregate, aggregate_arrays, fit_counts

DATA = Path(__file__).parent / "data" / "stats"


def _citations() -> tuple[dict, object]:
    case = json.loads((DATA / "bt_citations.json").read_text())
    cit = case["citations"]
    a, b, o, w = [], [], [], []
    for i in range(4):
        for j in range(4):
            if i != j:
                a.append(i)
                b.append(j)
                o.append(0)  # cited (row) beats citing (column)
                w.append(cit[i][j])
    return case, aggregate_arrays(a, b, o, case["items"], weights=w)


@pytest.mark.parametrize(
    "key,reference",
    [("reference_Biometrika", "Biometrika"), ("reference_JASA", "JASA"), ("sum_to_zero", None)],
)
def test_citations_match_bradleyterry2(key: str, reference: str | None) -> None:
    case, counts = _citations()
    r = fit_counts(counts, reference=reference)
    tol = case["tolerance"]
    assert r.strength == pytest.approx(case[key]["ability"], abs=tol)
    assert r.se == pytest.approx(case[key]["se"], abs=tol)
    assert r.ranking() == ["JRSS-B", "Biometrika", "JASA", "Comm Statist"]


def test_elo_scale_is_400_log10_odds_around_1000() -> None:
    _, counts = _citations()
    nat = fit_counts(counts)
    elo = fit_counts(counts, scale="elo")
    for x, y in zip(nat.strength, elo.strength, strict=True):
        assert y == pytest.approx(1000 + 400 / math.log(10) * x, abs=1e-9)
    assert sum(elo.strength) / 4 == pytest.approx(1000, abs=1e-9)


def _synthetic(m: int, n: int, seed: int, tie_share: float = 0.3):
    rng = np.random.default_rng(seed)
    true = rng.normal(0, 1, m)
    true -= true.mean()
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    s = 1 / (1 + np.exp(-(true[a] - true[b])))
    t = tie_share * 2 * np.minimum(s, 1 - s)  # expected score stays s under the half rule
    u = rng.random(n)
    o = np.where(u < s - t / 2, 0, np.where(u < s + t / 2, 2, 1))
    return true, a, b, o


def test_half_rule_mle_matches_an_independent_optimiser() -> None:
    # Independent computation: scipy.optimize.minimize (BFGS) on the half-rule log-likelihood
    # written out here; the two maxima agree to 1e-6.
    from scipy.optimize import minimize

    _, a, b, o = _synthetic(8, 3000, 1)
    items = [f"v{k}" for k in range(8)]
    comps = [(items[x], items[y], ["a", "b", "tie"][z]) for x, y, z in zip(a, b, o, strict=True)]
    r = bradley_terry(comps)
    score = np.where(o == 0, 1.0, np.where(o == 2, 0.5, 0.0))

    def nll(th: np.ndarray) -> float:
        d = th[a] - th[b]
        return float(-(score * d - np.logaddexp(0, d)).sum())

    ref = minimize(nll, np.zeros(8), method="BFGS", options={"gtol": 1e-9}).x
    ref -= ref.mean()
    order = [items.index(x) for x in r.items]
    assert r.strength == pytest.approx(list(ref[order]), abs=1e-6)


def test_davidson_matches_an_independent_optimiser() -> None:
    # Independent computation: Davidson (1970) likelihood maximised with scipy's BFGS; 1e-5.
    from scipy.optimize import minimize

    _, a, b, o = _synthetic(5, 2000, 4)
    items = [f"v{k}" for k in range(5)]
    comps = [(items[x], items[y], ["a", "b", "tie"][z]) for x, y, z in zip(a, b, o, strict=True)]
    r = bradley_terry(comps, ties="davidson")

    def nll(p: np.ndarray) -> float:
        th, log_nu = p[:5], p[5]
        ua, ub = th[a], th[b]
        ut = log_nu + (ua + ub) / 2
        lse = np.logaddexp(np.logaddexp(ua, ub), ut)
        chosen = np.where(o == 0, ua, np.where(o == 1, ub, ut))
        return float(-(chosen - lse).sum())

    ref = minimize(nll, np.zeros(6), method="BFGS", options={"gtol": 1e-8}).x
    th = ref[:5] - ref[:5].mean()
    assert r.strength == pytest.approx(list(th), abs=1e-5)
    assert r.tie_parameter == pytest.approx(math.exp(ref[5]), rel=1e-5)


def test_disconnected_graph_raises_and_names_the_groups() -> None:
    comps = [("a", "b", "a"), ("b", "a", "a"), ("c", "d", "a"), ("d", "c", "a")]
    with pytest.raises(DisconnectedError, match=r"disconnected.*\{a, b\}.*\{c, d\}"):
        bradley_terry(comps)


def test_an_unbeaten_item_raises_then_a_prior_makes_it_finite() -> None:
    comps = [("top", "x", "a"), ("top", "y", "a"), ("x", "y", "a"), ("y", "x", "a")]
    with pytest.raises(InfiniteStrengthError, match="top never lost"):
        bradley_terry(comps)
    r = bradley_terry(comps, prior=1.0)
    assert r.ranking()[0] == "top"
    assert all(math.isfinite(x) for x in r.strength)
    assert all(se is not None and se > 0 for se in r.se)


def test_a_winless_item_is_named_too() -> None:
    comps = [("x", "low", "a"), ("y", "low", "a"), ("x", "y", "a"), ("y", "x", "a")]
    with pytest.raises(InfiniteStrengthError, match="low never beat"):
        bradley_terry(comps)


def test_never_loops_silently() -> None:
    _, a, b, o = _synthetic(6, 500, 2)
    comps = [(f"v{x}", f"v{y}", ["a", "b", "tie"][z]) for x, y, z in zip(a, b, o, strict=True)]
    with pytest.raises(ConvergenceError, match="did not converge"):
        bradley_terry(comps, max_iter=1)


def test_bad_input_is_refused() -> None:
    with pytest.raises(StatsError, match="outcome"):
        bradley_terry([("a", "b", "win")])
    with pytest.raises(StatsError, match="itself"):
        bradley_terry([("a", "a", "a")])
    with pytest.raises(StatsError, match="reference"):
        bradley_terry([("a", "b", "a"), ("b", "a", "a")], reference="zzz")
    with pytest.raises(StatsError, match="seed"):
        bradley_terry([("a", "b", "a"), ("b", "a", "a")], n_boot=5)


def test_win_rates_and_predictions() -> None:
    comps = [("a", "b", "a")] * 3 + [("b", "a", "a")] + [("a", "b", "tie")] * 2
    r = bradley_terry(comps)
    ia, ib = r.items.index("a"), r.items.index("b")
    assert r.win_rate[ia][ib] == pytest.approx((3 + 1) / 6)  # 3 wins + 2 ties / 2
    assert r.win_rate[ib][ia] == pytest.approx(2 / 6)
    assert r.win_rate[ia][ia] is None
    # Two items: the MLE reproduces the observed score share exactly.
    assert r.prob[ia][ib] == pytest.approx(4 / 6, abs=1e-9)
    assert r.games == [6.0, 6.0] and r.tied == [2.0, 2.0]


def test_bootstrap_intervals_cover_the_truth_and_match_wald() -> None:
    true, a, b, o = _synthetic(12, 40_000, 3)
    items = [f"v{k:02d}" for k in range(12)]
    r = fit_counts(aggregate_arrays(a, b, o, items), n_boot=300, seed=5)
    lo, hi = np.array(r.ci_low), np.array(r.ci_high)
    assert np.mean((true >= lo) & (true <= hi)) >= 10 / 12
    wald = fit_counts(aggregate_arrays(a, b, o, items))
    # The percentile bootstrap and the Wald interval have similar widths (same information).
    ratio = (hi - lo) / (np.array(wald.ci_high) - np.array(wald.ci_low))
    assert np.all((ratio > 0.75) & (ratio < 1.33))
    again = fit_counts(aggregate_arrays(a, b, o, items), n_boot=300, seed=5)
    assert again.ci_low == r.ci_low and r.seed == 5 and r.n_boot_refit == 0


@pytest.mark.parametrize("resample", ["bayesian", "multinomial"])
def test_bootstrap_replicates_are_exact_mles_of_their_resamples(resample: str) -> None:
    # Each replicate from the vectorised iteration equals a full Newton fit of the same
    # reweighted (Bayesian) or redrawn (multinomial) counts, drawn here independently.
    from goldset.stats import bootstrap
    from goldset.stats.bradley_terry import Counts, bootstrap_half, fit_half

    _, a, b, o = _synthetic(10, 20_000, 8)
    c = aggregate_arrays(a, b, o, [f"v{k}" for k in range(10)])
    theta, h, _, _ = fit_half(c)
    reps, refit, priored = bootstrap_half(c, theta, h, n_boot=8, seed=2, resample=resample)
    assert refit == priored == 0
    cells = np.concatenate([c.wins_i, c.wins_j, c.ties])
    p = len(c.i)
    for start, stop, gen in bootstrap.block_generators(2, 8, bootstrap.block_for(len(cells))):
        if resample == "multinomial":
            x = bootstrap.multinomial(gen, int(cells.sum()), cells, stop - start)
        else:
            g = gen.standard_gamma(cells, size=(stop - start, len(cells)))
            x = g / g.sum(axis=1, keepdims=True) * cells.sum()
        for r in range(stop - start):
            rc = Counts(c.items, c.i, c.j, x[r, :p], x[r, p : 2 * p], x[r, 2 * p :])
            th, _, _, _ = fit_half(rc)
            # Replicates stop at steps under 1e-7; the iteration contracts fast, so they sit
            # far closer than that to their own MLE.
            assert reps[start + r] == pytest.approx(list(th), abs=1e-8)


def test_the_bayesian_bootstrap_never_drops_an_items_only_loss() -> None:
    # One item lost a single game: the classic bootstrap leaves that loss out of about a
    # third of its resamples, where the item is unbeaten and needs a prior; the default
    # Bayesian bootstrap reweights every vote and never loses one.
    items = ["champ", "b", "c"]
    rows = [("champ", "b", "a")] * 30 + [("champ", "c", "a")] * 30 + [("champ", "b", "b")]
    rows += [("b", "c", "a")] * 20 + [("b", "c", "b")] * 20
    counts = aggregate(rows, items=items)
    classic = fit_counts(counts, n_boot=300, seed=3, resample="multinomial")
    bayes = fit_counts(counts, n_boot=300, seed=3)
    assert classic.n_boot_prior > 50 and "no finite MLE" in classic.warnings[0]
    assert bayes.n_boot_prior == 0 and not bayes.warnings
    assert all(np.isfinite(bayes.ci_high))


def test_bootstrap_replicates_do_not_depend_on_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # 110 items: enough cells that a block holds fewer than 16 replicates.
    from goldset.stats import bootstrap
    from goldset.stats.bradley_terry import bootstrap_half, fit_half

    _, a, b, o = _synthetic(110, 200_000, 4)
    c = aggregate_arrays(a, b, o, [f"v{k:03d}" for k in range(110)])
    assert bootstrap.block_for(3 * len(c.i)) < bootstrap.BLOCK
    theta, h, _, _ = fit_half(c)
    monkeypatch.setattr(bootstrap, "_threads", lambda: 2)
    two, _, _ = bootstrap_half(c, theta, h, n_boot=24, seed=5, resample="multinomial")
    monkeypatch.setattr(bootstrap, "_threads", lambda: 1)
    one, _, _ = bootstrap_half(c, theta, h, n_boot=24, seed=5, resample="multinomial")
    assert np.array_equal(one, two)
    assert np.ptp(one[:, 0]) > 0  # the replicates do differ from each other


def test_bayesian_bootstrap_gives_the_same_intervals_as_the_multinomial_one() -> None:
    # Rubin's Bayesian bootstrap and the classic one agree in large samples: interval ends
    # within a fifth of the interval width of each other here, and both cover the truth.
    true, a, b, o = _synthetic(10, 30_000, 6)
    items = [f"v{k:02d}" for k in range(10)]
    c = aggregate_arrays(a, b, o, items)
    multi = fit_counts(c, n_boot=400, seed=1)
    bayes = fit_counts(c, n_boot=400, seed=1, resample="bayesian")
    width = np.array(multi.ci_high) - np.array(multi.ci_low)
    assert np.all(np.abs(np.array(bayes.ci_low) - np.array(multi.ci_low)) < 0.2 * width)
    assert np.all(np.abs(np.array(bayes.ci_high) - np.array(multi.ci_high)) < 0.2 * width)
    assert bayes.strength == multi.strength  # the point estimate is the same MLE
    lo, hi = np.array(bayes.ci_low), np.array(bayes.ci_high)
    assert np.mean((true >= lo) & (true <= hi)) >= 0.8
