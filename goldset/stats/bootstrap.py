"""Resampling helpers shared by every bootstrap in goldset.stats.

Every statistic here depends on the data only through counts (confusion-matrix
cells, per-example cells, (pair, outcome) cells), so a bootstrap replicate is a
multinomial redraw of those counts, never a redraw of millions of rows.

Randomness: each call takes an explicit integer seed. Work is split into fixed
blocks of replicates, each with its own generator spawned from the seed
(``numpy.random.SeedSequence(seed).spawn``), so the bytes are the same whether
the blocks run on one thread or several.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from goldset.stats._common import StatsError, percentile_ci

BLOCK = 16  # replicates per block: arrays stay in cache (measured: 16 beats 8, 32 and 64)


def _threads() -> int:
    """Worker threads for the blocks: the idle cores (GOLDSET_THREADS overrides).

    Results never depend on this (each block has its own spawned generator);
    only speed does. Threads beyond the idle cores only add contention.
    """
    env = os.environ.get("GOLDSET_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return min(int(env), 16)
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # pragma: no cover
        busy = 0.0
    return max(1, min(4, n, round(n - busy + 1)))


def block_generators(seed: int, n_boot: int) -> list[tuple[int, int, Any]]:
    """(start, stop, Generator) for each block of replicates, spawned from ``seed``."""
    import numpy as np

    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
    if n_boot < 1:
        raise StatsError(f"n_boot must be at least 1, got {n_boot}")
    n_blocks = math.ceil(n_boot / BLOCK)
    children = np.random.SeedSequence(int(seed)).spawn(n_blocks)
    out = []
    for b, child in enumerate(children):
        start = b * BLOCK
        out.append((start, min(n_boot, start + BLOCK), np.random.default_rng(child)))
    return out


def run_blocks(fn: Callable[[int, int, Any], None], seed: int, n_boot: int) -> None:
    """Call ``fn(start, stop, generator)`` for every block, on a few threads.

    numpy releases the GIL inside its random draws and array arithmetic, so two
    cores give close to twice the speed; results do not depend on the order.
    """
    blocks = block_generators(seed, n_boot)
    workers = _threads()
    if workers == 1 or len(blocks) == 1:
        for start, stop, gen in blocks:
            fn(start, stop, gen)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for fut in [pool.submit(fn, s, e, g) for s, e, g in blocks]:
            fut.result()


def multinomial(gen: Any, total: int, probs: Any, size: int) -> Any:
    """``size`` exact Multinomial(total, probs) draws as an int64 array (size, len(probs)).

    For many cells numpy's own multinomial calls a binomial per cell; drawing
    independent Poisson(lam * p) counts with lam a few standard deviations
    below ``total`` and topping up the remainder with categorical draws is
    exact (a Poisson vector conditioned on its sum is multinomial, and two
    independent multinomials with the same p add up) and several times faster.
    """
    import numpy as np

    probs = np.asarray(probs, dtype=np.float64)
    k = probs.shape[0]
    if total == 0:
        return np.zeros((size, k), dtype=np.int64)
    if k <= 64 or total < 10_000:
        return gen.multinomial(total, probs / probs.sum(), size=size).astype(np.int64)
    probs = probs / probs.sum()
    # Poisson counts with mean 2 sd below the total rarely overshoot (2.3%; such a
    # row is redrawn) and leave about 2 sqrt(total) draws to top up.
    lam = total - 2.0 * math.sqrt(total)
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    x = gen.poisson(lam * probs, size=(size, k))
    s = x.sum(axis=1)
    while (over := np.flatnonzero(s > total)).size:
        x[over] = gen.poisson(lam * probs, size=(over.size, k))
        s[over] = x[over].sum(axis=1)
    rest = total - s
    # One vectorised categorical top-up for the whole block, by inversion through a guide
    # table (Chen & Asau 1974): a uniform's bucket gives a start index close to the answer.
    u = gen.random(int(rest.sum()))
    guide = np.searchsorted(cdf, np.arange(k) / k, side="right")
    picks = guide[(u * k).astype(np.int64)]
    while (step := cdf[picks] <= u).any():
        picks += step
    picks = np.minimum(picks, k - 1)
    rows = np.repeat(np.arange(size), rest)
    x += np.bincount(rows * k + picks, minlength=size * k).reshape(size, k)
    return x.astype(np.int64, copy=False)


def resample_counts(counts: Any, n_boot: int, seed: int) -> Any:
    """(n_boot, K) multinomial redraws of the integer cell ``counts`` (same total)."""
    import numpy as np

    counts = np.asarray(counts)
    total = round(float(counts.sum()))
    out = np.empty((n_boot, counts.shape[0]), dtype=np.int64)

    def work(start: int, stop: int, gen: Any) -> None:
        out[start:stop] = multinomial(gen, total, counts, stop - start)

    run_blocks(work, seed, n_boot)
    return out


def cluster_weights(n_clusters: int, n_boot: int, seed: int) -> Any:
    """(n_boot, n_clusters) counts: how often each cluster (example) is drawn per replicate."""
    import numpy as np

    if n_clusters < 1:
        raise StatsError("nothing to resample: no items")
    return resample_counts(np.ones(n_clusters, dtype=np.int64), n_boot, seed)


def ci_from_replicates(reps: Any, level: float) -> tuple[float | None, float | None]:
    """Percentile interval of 1-D replicates; None when every replicate is undefined."""
    import numpy as np

    reps = np.asarray(reps, dtype=np.float64)
    if not np.isfinite(reps).any():
        return None, None
    lo, hi = percentile_ci(reps[np.isfinite(reps)], level)
    return float(lo), float(hi)


def cluster_resample_sums(cells: Any, n_boot: int, seed: int) -> Any:
    """(n_boot, K) sums of per-cluster ``cells`` (C, K) over clusters drawn with replacement.

    Each replicate draws C clusters (examples) with replacement and adds up
    their cell counts, so items rated several times move together.
    """
    import numpy as np

    cells = np.asarray(cells, dtype=np.float64)
    n_clusters = cells.shape[0]
    if n_clusters < 1:
        raise StatsError("nothing to resample: no items")
    out = np.empty((n_boot, cells.shape[1]), dtype=np.float64)
    ones = np.ones(n_clusters, dtype=np.float64)

    def work(start: int, stop: int, gen: Any) -> None:
        w = multinomial(gen, n_clusters, ones, stop - start).astype(np.float64)
        out[start:stop] = w @ cells

    run_blocks(work, seed, n_boot)
    return out
