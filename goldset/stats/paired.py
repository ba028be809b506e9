"""Two variants scored on the same examples: the paired difference and its uncertainty.

``paired_difference(base, head, kind=...)`` is what the diff and the report
call: delta = mean(head) - mean(base) over the examples both scored, its
standard error, an interval and a p-value.

* binary scores (pass/fail): McNemar's test on the discordant pairs, exact
  (binomial) when there are fewer than 25 of them, chi-square with continuity
  correction otherwise; the interval is a paired bootstrap that redraws the
  four (base, head) cells multinomially.
* numeric scores: the paired t interval and test; with ``n_boot`` a paired
  bootstrap interval of the mean difference instead.

Pairs where either score is missing (None) are left out, and n says how many
were used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from goldset.stats._common import StatsError, clean, z_quantile

EXACT_BELOW = 25


@dataclass(frozen=True)
class PairedResult:
    delta: float | None
    se: float | None
    ci: tuple[float | None, float | None]
    p: float | None
    n: int
    kind: str
    test: str
    ci_method: str
    level: float
    base_mean: float | None
    head_mean: float | None
    n_boot: int = 0
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return d

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def _pairs(base: Sequence[Any], head: Sequence[Any]) -> tuple[list[float], list[float]]:
    if len(base) != len(head):
        raise StatsError(f"paired scores need equal lengths ({len(base)} vs {len(head)})")
    b, h = [], []
    for x, y in zip(base, head, strict=True):
        if x is None or y is None:
            continue
        try:
            fx, fy = float(x), float(y)
        except (TypeError, ValueError):
            raise StatsError(f"scores must be numbers or booleans, got {x!r} and {y!r}") from None
        if math.isnan(fx) or math.isnan(fy):
            continue
        b.append(fx)
        h.append(fy)
    return b, h


def _binom_two_sided(k: int, n: int) -> float:
    """Exact two-sided binomial p-value for k successes in n at p = 1/2 (doubling the smaller tail)."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def mcnemar(
    base: Sequence[Any], head: Sequence[Any], *, exact: bool | None = None
) -> dict[str, Any]:
    """McNemar's test for paired pass/fail scores.

    Returns n, the discordant counts ``b`` (base pass, head fail) and ``c``
    (base fail, head pass), the statistic and the two-sided p-value; exact
    binomial when ``exact`` or (by default) when b + c < 25.
    """
    bs, hs = _pairs(base, head)
    for v in bs + hs:
        if v not in (0.0, 1.0):
            raise StatsError(f"McNemar needs pass/fail (0/1) scores, got {v!r}")
    b = sum(1 for x, y in zip(bs, hs, strict=True) if x == 1.0 and y == 0.0)
    c = sum(1 for x, y in zip(bs, hs, strict=True) if x == 0.0 and y == 1.0)
    use_exact = (b + c) < EXACT_BELOW if exact is None else exact
    if b + c == 0:
        return {"n": len(bs), "b": 0, "c": 0, "statistic": 0.0, "p": 1.0, "exact": use_exact}
    if use_exact:
        p = _binom_two_sided(min(b, c), b + c)
        stat = float(min(b, c))
    else:
        stat = (abs(b - c) - 1.0) ** 2 / (b + c)
        p = math.erfc(math.sqrt(stat / 2.0))  # chi-square, 1 df
    return {"n": len(bs), "b": b, "c": c, "statistic": stat, "p": p, "exact": use_exact}


def paired_t(base: Sequence[Any], head: Sequence[Any], *, level: float = 0.95) -> dict[str, Any]:
    """Paired t interval and two-sided test of mean(head - base)."""
    bs, hs = _pairs(base, head)
    n = len(bs)
    if n < 2:
        raise StatsError(f"a paired t interval needs at least 2 pairs, got {n}")
    d = [y - x for x, y in zip(bs, hs, strict=True)]
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / (n - 1)
    se = math.sqrt(var / n)
    # scipy.special alone: scipy.stats costs about a second on a cold start.
    from scipy.special import stdtr, stdtrit

    q = float(stdtrit(n - 1, 0.5 + level / 2.0))
    if se == 0:
        p = 1.0 if mean == 0 else 0.0
        t = None
    else:
        t = mean / se
        p = float(2.0 * stdtr(n - 1, -abs(t)))
    return {
        "n": n,
        "delta": mean,
        "se": se,
        "ci": (mean - q * se, mean + q * se),
        "t": t,
        "df": n - 1,
        "p": p,
    }


def paired_bootstrap(
    base: Sequence[Any], head: Sequence[Any], *, n_boot: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of mean(head - base), resampling the pairs."""
    import numpy as np

    from goldset.stats import bootstrap

    bs, hs = _pairs(base, head)
    n = len(bs)
    if n == 0:
        raise StatsError("no pairs with both scores")
    d = np.asarray(hs) - np.asarray(bs)
    values, counts = np.unique(d, return_counts=True)
    if len(values) <= 64:
        # Few distinct differences (binary scores: -1, 0, 1): redraw their counts.
        reps = bootstrap.resample_counts(counts, n_boot, seed) @ values / n
    else:
        cells = np.column_stack([d, np.ones(n)])
        sums = bootstrap.cluster_resample_sums(cells, n_boot, seed)
        reps = sums[:, 0] / sums[:, 1]
    lo, hi = bootstrap.ci_from_replicates(reps, level)
    return lo, hi  # type: ignore[return-value]


def paired_difference(
    base: Sequence[Any],
    head: Sequence[Any],
    *,
    kind: Literal["binary", "numeric"] = "binary",
    seed: int | None = 0,
    n_boot: int = 1000,
    level: float = 0.95,
) -> PairedResult:
    """delta = mean(head) - mean(base) on paired examples, with se, ci, p and n."""
    if kind not in ("binary", "numeric"):
        raise StatsError(f"kind must be 'binary' or 'numeric', got {kind!r}")
    bs, hs = _pairs(base, head)
    n = len(bs)
    if n == 0:
        return PairedResult(
            None, None, (None, None), None, 0, kind, "none", "none", level, None, None
        )
    d = [y - x for x, y in zip(bs, hs, strict=True)]
    delta = sum(d) / n
    var = sum((x - delta) ** 2 for x in d) / (n - 1) if n > 1 else 0.0
    se = math.sqrt(var / n) if n > 1 else None
    extra: dict[str, Any] = {}
    if kind == "binary":
        mc = mcnemar(bs, hs)
        p: float | None = mc["p"]
        test = "mcnemar-exact" if mc["exact"] else "mcnemar-chi2"
        extra = {"b": mc["b"], "c": mc["c"]}
        ci: tuple[float | None, float | None] = (None, None)
        ci_method = "none"
        if se is not None:
            zq = z_quantile(level)
            ci = (delta - zq * se, delta + zq * se)
            ci_method = "normal"
    else:
        if n > 1:
            t = paired_t(bs, hs, level=level)
            p, ci, test, ci_method = t["p"], t["ci"], "paired-t", "t"
            extra = {"t": t["t"], "df": t["df"]}
        else:
            p, ci, test, ci_method = None, (None, None), "none", "none"
    if n_boot and n > 1:
        if seed is None:
            raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
        ci = paired_bootstrap(bs, hs, n_boot=n_boot, seed=seed, level=level)
        ci_method = "bootstrap"
    return PairedResult(
        delta=clean(delta),
        se=clean(se),
        ci=(clean(ci[0]), clean(ci[1])),
        p=clean(p),
        n=n,
        kind=kind,
        test=test,
        ci_method=ci_method,
        level=level,
        base_mean=sum(bs) / n,
        head_mean=sum(hs) / n,
        n_boot=int(n_boot) if ci_method == "bootstrap" else 0,
        seed=seed if ci_method == "bootstrap" else None,
        extra=extra,
    )
