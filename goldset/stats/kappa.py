"""Cohen's kappa (unweighted, linear, quadratic) with its uncertainty and its paradoxes.

Beside every kappa we report raw agreement, the prevalence and bias indices
(Byrt, Bishop & Carlin 1993) and PABAK, because a kappa near zero with 95 %
raw agreement (the "kappa paradox") must be visible, not hidden.

Standard errors are the large-sample ones of Fleiss, Cohen & Everitt (1969),
as printed by SAS PROC FREQ and statsmodels' ``cohens_kappa``. Bootstrap
intervals resample the cells of the confusion matrix multinomially (or whole
examples, when an example carries several rating pairs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from goldset.stats._common import StatsError, clean, normal_sf, z_quantile

Weights = Literal["linear", "quadratic"] | None


@dataclass(frozen=True)
class KappaResult:
    """Cohen's kappa and everything needed to read it honestly.

    ``kappa`` is None (with ``note`` saying why) when it is undefined: both
    raters used one and the same category, so chance agreement is 1.
    """

    kappa: float | None
    observed: float  # weighted observed agreement p_o
    expected: float  # weighted chance agreement p_e
    n: int
    se: float | None  # asymptotic SE (Fleiss, Cohen & Everitt 1969)
    se0: float | None  # SE under H0: kappa = 0
    z: float | None
    p_value: float | None  # two-sided, H0: kappa = 0
    ci: tuple[float | None, float | None]
    ci_method: str  # "asymptotic" or "bootstrap"
    level: float
    raw_agreement: float
    prevalence_index: float | None  # binary only: |p11 - p22|
    bias_index: float  # half the L1 distance between the raters' marginals
    pabak: float  # prevalence- and bias-adjusted kappa, (k * p_o - 1) / (k - 1)
    categories: list[Any]
    confusion: list[list[int]]
    weights: str | None = None
    n_boot: int = 0
    seed: int | None = None
    n_clusters: int | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return d


def agreement_weights(k: int, weights: Weights) -> Any:
    """The k x k agreement-weight matrix (1 on the diagonal)."""
    import numpy as np

    if weights is None or k == 1:
        return np.eye(k)
    i = np.arange(k)
    d = np.abs(i[:, None] - i[None, :]) / (k - 1)
    if weights == "linear":
        return 1.0 - d
    if weights == "quadratic":
        return 1.0 - d**2
    raise StatsError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")


def _sort_key(v: Any) -> tuple[str, Any]:
    return (type(v).__name__, v)


def encode(
    a: Sequence[Any] | Any, b: Sequence[Any] | Any, categories: Sequence[Any] | None
) -> tuple[Any, Any, list[Any]]:
    """Integer codes for two rating vectors over one category list."""
    import numpy as np

    if len(a) != len(b):
        raise StatsError(f"the two raters have different numbers of ratings ({len(a)} vs {len(b)})")
    arr_a = a if isinstance(a, np.ndarray) else None
    arr_b = b if isinstance(b, np.ndarray) else None
    if (
        arr_a is not None
        and arr_b is not None
        and arr_a.dtype.kind in "biu"
        and arr_b.dtype.kind in "biu"
    ):
        # Fast path for large numeric arrays: no Python loop and no sort over the ratings.
        if arr_a.dtype.kind == "b":
            arr_a = arr_a.view(np.uint8)
        if arr_b.dtype.kind == "b":
            arr_b = arr_b.view(np.uint8)
        lo = int(min(arr_a.min(), arr_b.min()))
        hi = int(max(arr_a.max(), arr_b.max()))
        if categories is None and hi - lo < 1 << 16:
            seen = np.bincount(arr_a - lo, minlength=hi - lo + 1) > 0
            seen |= np.bincount(arr_b - lo, minlength=hi - lo + 1) > 0
            cats_arr = np.flatnonzero(seen) + lo
        elif categories is None:
            cats_arr = np.union1d(np.unique(arr_a), np.unique(arr_b))
        else:
            cats_arr = np.sort(np.asarray(categories).astype(np.int64))
        k = len(cats_arr)
        if k and int(cats_arr[0]) <= lo and hi <= int(cats_arr[-1]) and hi - lo < 1 << 16:
            lut = np.full(int(cats_arr[-1]) - int(cats_arr[0]) + 1, -1, dtype=np.int64)
            lut[cats_arr - cats_arr[0]] = np.arange(k)
            ia = lut[arr_a - cats_arr[0]]
            ib = lut[arr_b - cats_arr[0]]
            bad = (ia < 0).any() or (ib < 0).any()
        else:
            ia = np.searchsorted(cats_arr, arr_a)
            ib = np.searchsorted(cats_arr, arr_b)
            bad = (ia >= k).any() or (ib >= k).any()
            if not bad:
                bad = bool(((cats_arr[ia] != arr_a) | (cats_arr[ib] != arr_b)).any())
        if k == 0 or bad:
            raise StatsError("a rating is not among the given categories")
        if a.dtype.kind == "b" and b.dtype.kind == "b":
            return ia, ib, [bool(v) for v in cats_arr]
        return ia, ib, [v.item() for v in cats_arr]
    if categories is None:
        cats = sorted(set(a) | set(b), key=_sort_key)
    else:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise StatsError(f"categories contain duplicates: {cats!r}")
    index = {c: i for i, c in enumerate(cats)}
    try:
        ia = np.fromiter((index[v] for v in a), dtype=np.int64, count=len(a))
        ib = np.fromiter((index[v] for v in b), dtype=np.int64, count=len(b))
    except KeyError as exc:
        raise StatsError(
            f"rating {exc.args[0]!r} is not among the categories {cats!r}",
        ) from None
    return ia, ib, cats


def confusion_matrix(
    a: Sequence[Any] | Any, b: Sequence[Any] | Any, categories: Sequence[Any] | None = None
) -> tuple[Any, list[Any]]:
    """(k x k counts with rater ``a`` on rows, the category list)."""
    import numpy as np

    ia, ib, cats = encode(a, b, categories)
    k = len(cats)
    table = np.bincount(ia * k + ib, minlength=k * k).reshape(k, k)
    return table, cats


def kappa_batch(tables: Any, w: Any) -> tuple[Any, Any, Any]:
    """(kappa, p_o, p_e) for a stack of tables (..., k, k); kappa NaN where p_e == 1."""
    import numpy as np

    t = np.asarray(tables, dtype=np.float64)
    n = t.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = t / n[..., None, None]
        po = (p * w).sum(axis=(-2, -1))
        r = p.sum(axis=-1)
        c = p.sum(axis=-2)
        pe = np.einsum("...i,ij,...j->...", r, w, c)
        denom = 1.0 - pe
        kappa = np.where(denom > 1e-12, (po - pe) / np.where(denom > 1e-12, denom, 1.0), np.nan)
    return kappa, po, pe


def _asymptotic(p: Any, w: Any, kappa: float, pe: float, n: int) -> tuple[float, float]:
    import numpy as np

    r = p.sum(axis=1)
    c = p.sum(axis=0)
    wr = w @ c  # weighted row means  w_bar_i.
    wc = r @ w  # weighted column means w_bar_.j
    s = wr[:, None] + wc[None, :]
    a = (p * (w - s * (1.0 - kappa)) ** 2).sum() - (kappa - pe * (1.0 - kappa)) ** 2
    var = a / (n * (1.0 - pe) ** 2)
    a0 = (np.outer(r, c) * (w - s) ** 2).sum() - pe**2
    var0 = a0 / (n * (1.0 - pe) ** 2)
    return math.sqrt(max(var, 0.0)), math.sqrt(max(var0, 0.0))


def kappa_from_table(
    table: Any,
    *,
    weights: Weights = None,
    categories: Sequence[Any] | None = None,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    cluster_tables: Any = None,
) -> KappaResult:
    """Cohen's kappa from a k x k confusion matrix (rater A on rows).

    ``cluster_tables`` (C x k x k, summing to ``table``) makes the bootstrap
    resample whole clusters (examples) instead of single rating pairs.
    """
    import numpy as np

    t = np.asarray(table, dtype=np.int64)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise StatsError(f"a confusion matrix must be square, got shape {t.shape}")
    k = t.shape[0]
    cats = list(categories) if categories is not None else list(range(k))
    if len(cats) != k:
        raise StatsError(f"{len(cats)} categories for a {k} x {k} table")
    n = int(t.sum())
    if n == 0:
        raise StatsError("no rating pairs: kappa needs at least one item rated by both raters")
    if (t < 0).any():
        raise StatsError("a confusion matrix cannot hold negative counts")
    w = agreement_weights(k, weights)
    kap, po, pe = (float(x) for x in kappa_batch(t, w))
    p = t / n
    raw = float(np.trace(p))
    r, c = p.sum(axis=1), p.sum(axis=0)
    bias = 0.5 * float(np.abs(r - c).sum())
    prev = abs(float(p[0, 0] - p[1, 1])) if k == 2 else None
    pabak = (k * raw - 1.0) / (k - 1.0) if k > 1 else 1.0
    note = None
    se = se0 = z = pval = None
    ci: tuple[float | None, float | None] = (None, None)
    kappa: float | None
    if math.isnan(kap):
        kappa = None
        note = (
            "kappa is undefined: both raters used a single category, so chance agreement is 1 "
            f"(raw agreement {raw:.3f}); add items of other categories"
        )
    else:
        kappa = kap
        se, se0 = _asymptotic(p, w, kap, pe, n)
        zq = z_quantile(level)
        ci = (kap - zq * se, kap + zq * se)
        if se0 > 0:
            z = kap / se0
            pval = min(1.0, 2.0 * normal_sf(abs(z)))
    ci_method = "asymptotic"
    n_clusters = None
    if n_boot and kappa is not None:
        from goldset.stats import bootstrap

        if seed is None:
            raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
        if cluster_tables is not None:
            cells = np.asarray(cluster_tables, dtype=np.float64).reshape(-1, k * k)
            n_clusters = int(cells.shape[0])
            reps = bootstrap.cluster_resample_sums(cells, n_boot, seed)
        else:
            reps = bootstrap.resample_counts(t.reshape(-1), n_boot, seed)
        kb, _, _ = kappa_batch(reps.reshape(-1, k, k), w)
        ci = bootstrap.ci_from_replicates(kb, level)
        ci_method = "bootstrap"
    return KappaResult(
        kappa=clean(kappa),
        observed=float(po),
        expected=float(pe),
        n=n,
        se=clean(se),
        se0=clean(se0),
        z=clean(z),
        p_value=clean(pval),
        ci=(clean(ci[0]), clean(ci[1])),
        ci_method=ci_method,
        level=level,
        raw_agreement=raw,
        prevalence_index=prev,
        bias_index=bias,
        pabak=pabak,
        categories=cats,
        confusion=t.tolist(),
        weights=weights,
        n_boot=int(n_boot) if n_boot and kappa is not None else 0,
        seed=seed if n_boot and kappa is not None else None,
        n_clusters=n_clusters,
        note=note,
    )


def cohen_kappa(
    a: Sequence[Any] | Any,
    b: Sequence[Any] | Any,
    *,
    weights: Weights = None,
    categories: Sequence[Any] | None = None,
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    clusters: Sequence[Any] | Any = None,
) -> KappaResult:
    """Cohen's kappa between two raters' ratings of the same items.

    Args:
        a, b: the two raters' ratings, item by item (lists or numpy arrays).
        weights: None (nominal), "linear" or "quadratic" (ordered categories,
            in the order of ``categories``).
        categories: the full category set (from the schema or config), so
            categories nobody used still count; default: the values seen.
        level: confidence level of the interval.
        n_boot: bootstrap replicates (0: asymptotic interval only).
        seed: integer seed, required when ``n_boot`` > 0; it is reported.
        clusters: an id per rating pair (e.g. the example id); the bootstrap
            then resamples whole clusters.

    Returns a KappaResult; raises StatsError on empty or mismatched input.
    """
    import numpy as np

    if len(a) == 0:
        raise StatsError("no rating pairs: kappa needs at least one item rated by both raters")
    ia, ib, cats = encode(a, b, categories)
    k = len(cats)
    cell = ia * k + ib
    table = np.bincount(cell, minlength=k * k).reshape(k, k)
    cluster_tables = None
    if clusters is not None and n_boot:
        if len(clusters) != len(a):
            raise StatsError("clusters must give one id per rating pair")
        _, cidx = np.unique(np.asarray(clusters, dtype=object).astype(str), return_inverse=True)
        n_c = int(cidx.max()) + 1
        cluster_tables = np.bincount(cidx * k * k + cell, minlength=n_c * k * k).reshape(n_c, k, k)
    return kappa_from_table(
        table,
        weights=weights,
        categories=cats,
        level=level,
        n_boot=n_boot,
        seed=seed,
        cluster_tables=cluster_tables,
    )
