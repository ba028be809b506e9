"""Multiple-comparison corrections for many slices tested at once.

Both return adjusted p-values in the input order (compare them with alpha):

* ``holm``: Holm (1979) step-down, controls the family-wise error rate;
* ``benjamini_hochberg``: Benjamini & Hochberg (1995) step-up, controls the
  false discovery rate.
"""

from __future__ import annotations

from collections.abc import Sequence


def _check(pvals: Sequence[float]) -> list[float]:
    out = []
    for p in pvals:
        p = float(p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"a p-value must be in [0, 1], got {p!r}")
        out.append(p)
    return out


def holm(pvals: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values: max over the first k sorted of (m - k + 1) p_(k), capped at 1."""
    ps = _check(pvals)
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i])
    adj = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        adj[i] = running
    return adj


def benjamini_hochberg(pvals: Sequence[float]) -> list[float]:
    """BH-adjusted p-values: min over the k-th and larger sorted of m p_(k) / k, capped at 1."""
    ps = _check(pvals)
    m = len(ps)
    order = sorted(range(m), key=lambda i: ps[i], reverse=True)
    adj = [0.0] * m
    running = 1.0
    for pos, i in enumerate(order):
        rank = m - pos
        running = min(running, ps[i] * m / rank)
        adj[i] = min(1.0, running)
    return adj


def reject(pvals: Sequence[float], *, alpha: float = 0.05, method: str = "holm") -> list[bool]:
    """Which hypotheses are rejected at ``alpha`` after the ``method`` correction."""
    if method == "holm":
        adj = holm(pvals)
    elif method in ("bh", "fdr_bh", "benjamini_hochberg"):
        adj = benjamini_hochberg(pvals)
    elif method == "none":
        adj = _check(pvals)
    else:
        raise ValueError(f"method must be holm, bh or none, got {method!r}")
    return [p <= alpha for p in adj]
