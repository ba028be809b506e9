"""Fleiss' kappa: agreement among several raters per item (Fleiss 1971).

Input is the items x categories table of counts (how many raters put item i
in category j), or the raw items x raters ratings (None for a missing one).
The standard error under H0 is that of Fleiss, Nee & Landis (1979), as in
R's irr::kappam.fleiss; the confidence interval is a bootstrap over items.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from goldset.stats._common import StatsError, clean, normal_sf


@dataclass(frozen=True)
class FleissResult:
    kappa: float | None
    observed: float  # mean pairwise agreement P-bar
    expected: float  # sum of squared category proportions
    n_items: int
    n_raters: int | None  # raters per item, None when it varies
    se0: float | None  # SE under H0 (Fleiss, Nee & Landis 1979), constant raters only
    z: float | None
    p_value: float | None
    ci: tuple[float | None, float | None]
    ci_method: str | None
    level: float
    categories: list[Any]
    per_category: dict[str, float | None]
    n_boot: int = 0
    seed: int | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return d


def ratings_to_table(
    ratings: Sequence[Sequence[Any]], categories: Sequence[Any] | None = None
) -> tuple[Any, list[Any]]:
    """items x raters ratings (None = missing) -> items x categories counts."""
    import numpy as np

    seen = {v for row in ratings for v in row if v is not None and v == v}
    cats = (
        list(categories)
        if categories is not None
        else sorted(seen, key=lambda v: (type(v).__name__, v))
    )
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(ratings), len(cats)), dtype=np.int64)
    for i, row in enumerate(ratings):
        for v in row:
            if v is None or v != v:
                continue
            if v not in index:
                raise StatsError(f"item {i}: rating {v!r} is not among the categories {cats!r}")
            table[i, index[v]] += 1
    return table, cats


def _stats(cells: Any) -> tuple[Any, Any]:
    """kappa and P-bar from summed per-item cells [P_i, n_i1..n_ik, n_i, 1]."""
    import numpy as np

    p_sum = cells[..., 0]
    counts = cells[..., 1:-2]
    total = cells[..., -2]
    items = cells[..., -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        pbar = p_sum / items
        pj = counts / total[..., None]
        pe = (pj**2).sum(axis=-1)
        kappa = np.where(1.0 - pe > 1e-12, (pbar - pe) / (1.0 - pe), np.nan)
    return kappa, pbar


def fleiss_kappa(
    table: Any = None,
    *,
    ratings: Sequence[Sequence[Any]] | None = None,
    categories: Sequence[Any] | None = None,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
) -> FleissResult:
    """Fleiss' kappa from an items x categories count ``table`` or raw ``ratings``.

    Items rated by fewer than two raters carry no agreement information and
    are left out. Raters per item may vary (each item's agreement is then the
    share of agreeing rater pairs); the H0 standard error needs a constant
    number and is None otherwise.
    """
    import numpy as np

    if (table is None) == (ratings is None):
        raise StatsError("give either a count table or ratings, not both")
    if ratings is not None:
        table, cats = ratings_to_table(ratings, categories)
    else:
        table = np.asarray(table, dtype=np.int64)
        cats = list(categories) if categories is not None else list(range(table.shape[1]))
    if table.ndim != 2 or len(cats) != table.shape[1]:
        raise StatsError(f"expected an items x {len(cats)} table, got shape {table.shape}")
    m_i = table.sum(axis=1)
    table = table[m_i >= 2]
    m_i = m_i[m_i >= 2]
    n_items = int(table.shape[0])
    if n_items == 0:
        raise StatsError("no item has ratings from two or more raters")
    p_i = ((table * (table - 1)).sum(axis=1)) / (m_i * (m_i - 1))
    cells = np.column_stack([p_i, table, m_i, np.ones(n_items)]).astype(np.float64)
    kap, pbar = (float(x) for x in _stats(cells.sum(axis=0)))
    pj = table.sum(axis=0) / m_i.sum()
    pe = float((pj**2).sum())
    constant = bool((m_i == m_i[0]).all())
    m = int(m_i[0]) if constant else None
    note = None
    kappa: float | None = None if math.isnan(kap) else kap
    if kappa is None:
        note = "kappa is undefined: every rating fell in one category"
    se0 = z = pval = None
    per_cat: dict[str, float | None] = {}
    qj = 1.0 - pj
    if constant and kappa is not None and m is not None:
        s = float((pj * qj).sum())
        var0 = 2.0 / (n_items * m * (m - 1)) * (s**2 - float((pj * qj * (qj - pj)).sum())) / s**2
        se0 = math.sqrt(max(var0, 0.0))
        if se0 > 0:
            z = kappa / se0
            pval = min(1.0, 2.0 * normal_sf(abs(z)))
    for j, c in enumerate(cats):
        denom = float((m_i * (m_i - 1)).sum()) * pj[j] * qj[j]
        num = float((table[:, j] * (m_i - table[:, j])).sum())
        per_cat[str(c)] = clean(1.0 - num / denom) if denom > 0 else None
    ci: tuple[float | None, float | None] = (None, None)
    ci_method = None
    if n_boot and kappa is not None:
        from goldset.stats import bootstrap

        if seed is None:
            raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
        reps = bootstrap.cluster_resample_sums(cells, n_boot, seed)
        kb, _ = _stats(reps)
        ci = bootstrap.ci_from_replicates(kb, level)
        ci_method = "bootstrap"
    return FleissResult(
        kappa=clean(kappa),
        observed=float(pbar),
        expected=pe,
        n_items=n_items,
        n_raters=m,
        se0=clean(se0),
        z=clean(z),
        p_value=clean(pval),
        ci=ci,
        ci_method=ci_method,
        level=level,
        categories=cats,
        per_category=per_cat,
        n_boot=int(n_boot) if ci_method else 0,
        seed=seed if ci_method else None,
        note=note,
    )
