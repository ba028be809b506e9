"""Krippendorff's alpha for any number of raters, missing ratings, four levels.

Follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability":
build the values x values coincidence matrix from every unit with two or more
ratings, then alpha = 1 - D_o / D_e under the level's difference function
(nominal, ordinal, interval, ratio). The interval is a bootstrap over units
(each unit's coincidences move together), with an explicit seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from goldset.stats._common import StatsError, clean

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class AlphaResult:
    alpha: float | None
    level: str
    observed_disagreement: float
    expected_disagreement: float
    n_units: int  # units with two or more ratings (pairable)
    n_pairable: int  # ratings in those units
    values: list[Any]
    ci: tuple[float | None, float | None]
    ci_method: str | None
    conf_level: float
    n_boot: int = 0
    seed: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return d


def _delta(level: str, values: Any, n_c: Any) -> Any:
    """Squared difference delta^2(c, k) for every value pair; ``n_c`` may be batched (B, V)."""
    import numpy as np

    v = len(values)
    if level == "nominal":
        return 1.0 - np.eye(v)
    if level == "ordinal":
        # (sum of n_g for g between c and k) - (n_c + n_k) / 2, squared; depends on the margins.
        cum = np.cumsum(n_c, axis=-1)
        lo = np.minimum.outer(np.arange(v), np.arange(v))
        hi = np.maximum.outer(np.arange(v), np.arange(v))
        before = np.concatenate([np.zeros_like(cum[..., :1]), cum[..., :-1]], axis=-1)
        between = cum[..., hi] - before[..., lo]
        return (between - (n_c[..., :, None] + n_c[..., None, :]) / 2.0) ** 2
    x = np.asarray(values, dtype=np.float64)
    if level == "interval":
        return (x[:, None] - x[None, :]) ** 2
    if level == "ratio":
        s = x[:, None] + x[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = ((x[:, None] - x[None, :]) / s) ** 2
        return np.where(s == 0, 0.0, d)
    raise StatsError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")


def _alpha(o: Any, level: str, values: Any) -> tuple[Any, Any, Any]:
    """(alpha, D_o, D_e) from coincidence matrices o (..., V, V)."""
    import numpy as np

    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    d = _delta(level, values, n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        d_o = (o * d).sum(axis=(-2, -1)) / n
        d_e = (n_c[..., :, None] * n_c[..., None, :] * d).sum(axis=(-2, -1)) / (n * (n - 1.0))
        alpha = np.where(d_e > 1e-15, 1.0 - d_o / np.where(d_e > 1e-15, d_e, 1.0), np.nan)
    return alpha, d_o, d_e


def value_counts(
    data: Sequence[Sequence[Any]], values: Sequence[Any] | None = None
) -> tuple[Any, list[Any]]:
    """Raters x units reliability data (None/NaN missing) -> units x values counts."""
    import numpy as np

    if not data or not data[0]:
        raise StatsError("no ratings: reliability data needs raters x units")
    n_units = len(data[0])
    if any(len(row) != n_units for row in data):
        raise StatsError("every rater's row must cover the same units (use None for missing)")
    seen = {v for row in data for v in row if v is not None and v == v}
    vals = list(values) if values is not None else sorted(seen, key=lambda v: (type(v).__name__, v))
    index = {v: i for i, v in enumerate(vals)}
    counts = np.zeros((n_units, len(vals)), dtype=np.int64)
    for row in data:
        for u, v in enumerate(row):
            if v is None or v != v:
                continue
            if v not in index:
                raise StatsError(f"unit {u}: value {v!r} is not in the value domain {vals!r}")
            counts[u, index[v]] += 1
    return counts, vals


def krippendorff_alpha(
    data: Sequence[Sequence[Any]] | None = None,
    *,
    counts: Any = None,
    values: Sequence[Any] | None = None,
    level: Level = "nominal",
    conf_level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    clusters: Sequence[Any] | None = None,
) -> AlphaResult:
    """Krippendorff's alpha from raters x units ``data`` (None = missing) or unit ``counts``.

    ``values`` fixes the value domain and its order (needed for ordinal string
    values; numeric values for interval and ratio). Units with fewer than two
    ratings are not pairable and are ignored, as Krippendorff prescribes.
    ``clusters`` (one id per unit, e.g. the example id) makes the bootstrap
    resample whole clusters of units instead of single units.
    """
    import numpy as np

    if level not in LEVELS:
        raise StatsError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if (data is None) == (counts is None):
        raise StatsError("give either reliability data or unit counts, not both")
    if data is not None:
        cnt, vals = value_counts(data, values)
    else:
        cnt = np.asarray(counts, dtype=np.int64)
        vals = list(values) if values is not None else list(range(cnt.shape[1]))
    if level in ("interval", "ratio"):
        try:
            [float(v) for v in vals]
        except (TypeError, ValueError):
            raise StatsError(f"{level} alpha needs numeric values, got {vals!r}") from None
    m_u = cnt.sum(axis=1)
    if clusters is not None and len(clusters) != cnt.shape[0]:
        raise StatsError("clusters must give one id per unit")
    keep = m_u >= 2
    cnt = cnt[keep].astype(np.float64)
    m_u = m_u[keep].astype(np.float64)
    if cnt.shape[0] == 0:
        raise StatsError("no unit has two or more ratings, so there is nothing to compare")
    v = cnt.shape[1]
    per_unit = (cnt[:, :, None] * cnt[:, None, :] - cnt[:, :, None] * np.eye(v)) / (m_u - 1.0)[
        :, None, None
    ]
    o = per_unit.sum(axis=0)
    a, d_o, d_e = (float(x) for x in _alpha(o, level, vals))
    note = None
    alpha: float | None = None if math.isnan(a) else a
    if alpha is None:
        note = "alpha is undefined: every pairable rating has the same value"
    ci: tuple[float | None, float | None] = (None, None)
    ci_method = None
    if n_boot and alpha is not None:
        from goldset.stats import bootstrap

        if seed is None:
            raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
        cells = per_unit.reshape(-1, v * v)
        if clusters is not None:
            kept = [c for c, k in zip(clusters, keep, strict=True) if k]
            _, cidx = np.unique(np.asarray([str(c) for c in kept]), return_inverse=True)
            summed = np.zeros((int(cidx.max()) + 1, v * v))
            np.add.at(summed, cidx, cells)
            cells = summed
        reps = bootstrap.cluster_resample_sums(cells, n_boot, seed)
        ab, _, _ = _alpha(reps.reshape(-1, v, v), level, vals)
        ci = bootstrap.ci_from_replicates(ab, conf_level)
        ci_method = "bootstrap"
    return AlphaResult(
        alpha=clean(alpha),
        level=level,
        observed_disagreement=float(d_o),
        expected_disagreement=float(d_e),
        n_units=int(cnt.shape[0]),
        n_pairable=int(m_u.sum()),
        values=vals,
        ci=ci,
        ci_method=ci_method,
        conf_level=conf_level,
        n_boot=int(n_boot) if ci_method else 0,
        seed=seed if ci_method else None,
        note=note,
    )
