"""Small shared pieces: seeded generators, normal quantiles, percentile intervals.

Only the standard library is imported here; numpy is imported by the callers
inside their functions so that ``import goldset.stats`` stays cheap.
"""

from __future__ import annotations

import math
from typing import Any

# Acklam's rational approximation of the normal quantile (relative error 1e-9),
# refined by one Halley step; ``statistics.NormalDist`` would cost ~30 ms of
# imports (fractions, decimal) on every command.
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def norm_ppf(p: float) -> float:
    """Standard-normal quantile."""
    if not 0.0 < p < 1.0:
        raise StatsError(f"a probability in (0, 1) is needed, got {p!r}")
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    elif p > 1.0 - lo:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        x = -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
        )
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


class StatsError(ValueError):
    """Input a statistic cannot be computed from (empty, disconnected, ...).

    The message says what is wrong and what to do; callers in the core turn it
    into a goldset InputError naming the file or the criterion.
    """


def z_quantile(level: float) -> float:
    """Two-sided standard-normal quantile for a ``level`` interval (0.95 -> 1.95996...)."""
    if not 0.0 < level < 1.0:
        raise StatsError(f"confidence level must be in (0, 1), got {level!r}")
    return norm_ppf(0.5 + level / 2.0)


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def rng(seed: int | None) -> Any:
    """A numpy Generator from an explicit seed. A missing seed is an error, not a guess."""
    import numpy as np

    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
    return np.random.default_rng(int(seed))


def percentile_ci(samples: Any, level: float, axis: int = 0) -> tuple[Any, Any]:
    """Percentile bootstrap interval of ``samples`` along ``axis`` (NaN replicates ignored)."""
    import numpy as np

    lo = (1.0 - level) / 2.0 * 100.0
    hi = 100.0 - lo
    samples = np.asarray(samples, dtype=np.float64)
    # nanpercentile works column by column; with no NaN the plain one is 5x faster.
    pct = np.nanpercentile if np.isnan(samples).any() else np.percentile
    with np.errstate(all="ignore"):
        low, high = pct(samples, [lo, hi], axis=axis)
    return low, high


def clean(x: float | None) -> float | None:
    """A float for JSON: None for NaN or infinities, never a silent NaN."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return None
    return x
