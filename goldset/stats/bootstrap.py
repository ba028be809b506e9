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


def block_for(cells: int) -> int:
    """Replicates per block for draws over ``cells`` cells: about 250k numbers a block.

    A block's arrays must stay in the cache that two threads share: with the
    59,700 cells of 200 items, 4 replicates a block run in 2.25 s on two threads
    where 16 took 3.70 s; 3,675 cells (50 items) are flat from 8 to 64. The
    size depends on the data only, so the replicates (and the report) do not
    depend on the machine.
    """
    b = BLOCK
    while b > 1 and b * cells > 250_000:
        b //= 2
    return b


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


def block_generators(seed: int, n_boot: int, block: int = BLOCK) -> list[tuple[int, int, Any]]:
    """(start, stop, Generator) for each block of replicates, spawned from ``seed``."""
    import numpy as np

    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
    if n_boot < 1:
        raise StatsError(f"n_boot must be at least 1, got {n_boot}")
    n_blocks = math.ceil(n_boot / block)
    children = np.random.SeedSequence(int(seed)).spawn(n_blocks)
    out = []
    for b, child in enumerate(children):
        start = b * block
        out.append((start, min(n_boot, start + block), np.random.default_rng(child)))
    return out


def run_blocks(
    fn: Callable[[int, int, Any], None], seed: int, n_boot: int, block: int = BLOCK
) -> None:
    """Call ``fn(start, stop, generator)`` for every block, on a few threads.

    numpy releases the GIL inside its random draws and array arithmetic, so two
    cores give close to twice the speed; results do not depend on the order.
    """
    blocks = block_generators(seed, n_boot, block)
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
    """``size`` exact Multinomial(total, probs) draws as an int64 array (size, len(probs))."""
    return multinomial_sampler(total, probs)(gen, size)


def _alias_table(p: Any) -> tuple[Any, Any]:
    """Walker's alias table (Vose 1991): one uniform picks a cell in O(1), exactly."""
    import numpy as np

    k = len(p)
    q = (p * k).tolist()
    prob = np.ones(k)
    alias = np.arange(k)
    small = [i for i in range(k) if q[i] < 1.0]
    large = [i for i in range(k) if q[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        prob[s] = q[s]
        alias[s] = g
        q[g] += q[s] - 1.0
        if q[g] < 1.0:
            small.append(large.pop())
    # What is left is 1 up to rounding: those cells keep prob 1 and never use their alias.
    return prob, alias


def multinomial_sampler(total: int, probs: Any) -> Callable[[Any, int], Any]:
    """A function ``draw(gen, size)`` of exact Multinomial(total, probs) rows, set up once.

    For many cells numpy's own multinomial calls a binomial per cell; drawing
    independent Poisson(lam * p) counts with lam a few standard deviations
    below ``total`` and topping up the remainder with categorical draws is
    exact (a Poisson vector conditioned on its sum is multinomial, and two
    independent multinomials with the same p add up) and several times faster.
    The top-up draws go through an alias table built here once, so a bootstrap
    of a thousand rounds pays for it once.
    """
    import numpy as np

    probs = np.asarray(probs, dtype=np.float64)
    k = probs.shape[0]
    if total == 0:
        return lambda gen, size: np.zeros((size, k), dtype=np.int64)
    probs = probs / probs.sum()
    if k <= 64 or total < 10_000:
        return lambda gen, size: gen.multinomial(total, probs, size=size).astype(np.int64)
    # Poisson counts with mean 2 sd below the total rarely overshoot (2.3%; such a
    # row is redrawn) and leave about 2 sqrt(total) draws to top up.
    lam = (total - 2.0 * math.sqrt(total)) * probs
    prob, alias = _alias_table(probs)

    def draw(gen: Any, size: int) -> Any:
        x = gen.poisson(lam, size=(size, k))
        s = x.sum(axis=1)
        while (over := np.flatnonzero(s > total)).size:
            x[over] = gen.poisson(lam, size=(over.size, k))
            s[over] = x[over].sum(axis=1)
        rest = total - s
        v = gen.random(int(rest.sum()))
        v *= k
        cell = v.astype(np.intp)
        v -= cell  # the fractional part is a fresh uniform for the alias coin
        pick = np.where(v < prob[cell], cell, alias[cell])
        pick += np.repeat(np.arange(0, size * k, k), rest)
        x += np.bincount(pick, minlength=size * k).reshape(size, k)
        return x

    return draw


def _rows(draw: Callable[[Any, int], Any], k: int, dtype: Any, n_boot: int, seed: int) -> Any:
    """(n_boot, k) rows of ``draw(generator, size)``, block by block."""
    import numpy as np

    out = np.empty((n_boot, k), dtype=dtype)

    def work(start: int, stop: int, gen: Any) -> None:
        out[start:stop] = draw(gen, stop - start)

    run_blocks(work, seed, n_boot)
    return out


def resample_counts(counts: Any, n_boot: int, seed: int) -> Any:
    """(n_boot, K) multinomial redraws of the integer cell ``counts`` (same total)."""
    import numpy as np

    counts = np.asarray(counts)
    total = round(float(counts.sum()))
    draw = multinomial_sampler(total, counts)
    return _rows(draw, counts.shape[0], np.int64, n_boot, seed)


def bayesian_counts(gen: Any, cells: Any, size: int) -> Any:
    """``size`` rows of Rubin's (1981) Bayesian bootstrap over the cell ``counts``.

    The N observations get Dirichlet(1, ..., 1) weights; summed per cell those
    are Dirichlet(counts), drawn as Gamma(count) normalised, here scaled to N so
    a row reads like counts. An empty cell stays empty; no non-empty one ever is.
    """
    import numpy as np

    cells = np.asarray(cells, dtype=np.float64)
    x = gen.standard_gamma(cells, size=(size, len(cells)))  # shape 0 gives 0
    x *= cells.sum() / x.sum(axis=1, keepdims=True)
    return x


def reweight_counts(counts: Any, n_boot: int, seed: int) -> Any:
    """(n_boot, K) Bayesian-bootstrap rows of the cell ``counts`` (see bayesian_counts)."""
    import numpy as np

    counts = np.asarray(counts, dtype=np.float64)

    def draw(gen: Any, size: int) -> Any:
        return bayesian_counts(gen, counts, size)

    return _rows(draw, counts.shape[0], np.float64, n_boot, seed)


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
    draw = multinomial_sampler(n_clusters, np.ones(n_clusters, dtype=np.float64))

    def work(start: int, stop: int, gen: Any) -> None:
        w = draw(gen, stop - start).astype(np.float64)
        out[start:stop] = w @ cells

    run_blocks(work, seed, n_boot)
    return out
