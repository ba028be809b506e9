"""The resampling engine: exact multinomial draws, seeds, and a light import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from goldset.stats import StatsError, bootstrap


def test_fast_multinomial_has_the_multinomial_moments() -> None:
    # Poisson draws topped up with categorical ones must be Multinomial(N, p):
    # mean N p and covariance N (diag p - p p^T). 4,000 draws; tolerances are 5 standard errors.
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 40, 300).astype(float)
    p = counts / counts.sum()
    total = 20_000
    x = bootstrap.multinomial(np.random.default_rng(1), total, counts, 4000)
    assert (x.sum(axis=1) == total).all()
    mean = x.mean(axis=0)
    sd = np.sqrt(total * p * (1 - p))
    assert np.all(np.abs(mean - total * p) < 5 * sd / np.sqrt(4000))
    var = x.var(axis=0, ddof=1)
    assert np.all(np.abs(var / (total * p * (1 - p)) - 1) < 5 * np.sqrt(2 / 4000) + 0.02)
    # Two cells: covariance -N p_i p_j.
    c01 = np.cov(x[:, 0], x[:, 1])[0, 1]
    assert c01 == pytest.approx(-total * p[0] * p[1], abs=5 * total * p[0] * p[1] * 0.15 + 1)


def test_results_do_not_depend_on_the_number_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = np.arange(1, 200)
    a = bootstrap.resample_counts(counts, 300, 42)
    monkeypatch.setattr(bootstrap, "_threads", lambda: 1)
    b = bootstrap.resample_counts(counts, 300, 42)
    assert np.array_equal(a, b)


def test_a_seed_is_required() -> None:
    with pytest.raises(StatsError, match="seed"):
        bootstrap.resample_counts([1, 2, 3], 10, None)  # type: ignore[arg-type]


def test_importing_the_stats_package_loads_neither_numpy_nor_scipy() -> None:
    code = (
        "import sys, goldset.stats, goldset.agreement, goldset.ranking, goldset.votes, "
        "goldset.mtbench, goldset.cli.agree, goldset.cli.rank;"
        "print('numpy' in sys.modules, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
