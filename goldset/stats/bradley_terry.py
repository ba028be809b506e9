"""Bradley-Terry strengths from pairwise outcomes, with ties, errors and intervals.

Model: P(i beats j) = 1 / (1 + exp(theta_j - theta_i)). Strengths are on the
natural log-odds scale, centred to mean 0 (or 0 at a reference item); the Elo
display scale is 1000 + 400 / ln(10) * theta.

Ties, by a documented rule (``ties=``):

* ``"half"`` (default): a tie is half a win for each side, as in the Chatbot
  Arena leaderboard; the likelihood is the binomial one with fractional wins.
* ``"davidson"``: Davidson (1970), P(tie) = nu * sqrt(pi_i pi_j) / (pi_i + pi_j
  + nu * sqrt(pi_i pi_j)); nu is estimated and reported.
* ``"drop"``: ties are ignored.

The MLE is finite only when every item has both beaten and lost to (or tied
with) the rest, i.e. the "beats" graph is strongly connected (Ford 1957); a
disconnected comparison graph has no common scale at all. Both raise a
StatsError naming the items, unless ``prior`` > 0: ``prior`` virtual ties
against an average (theta = 0) opponent per item, a small Bayesian prior that
keeps every strength finite and shrinks sparse items towards the mean.

Fitting is Newton's method with step halving on the log-likelihood; it
converges (quadratically) or raises ConvergenceError. Standard errors come
from the inverse Fisher information. Bootstrap intervals reweight the
comparisons over the aggregated (pair, outcome) counts and fit every replicate
at once: a Newton-type iteration warm-started at the full-data MLE,
preconditioned by the full-data information matrix (factorised once), run until
a step is under 1e-7; a replicate that does not converge that way is refit with
exact Newton (``n_boot_refit``) and, when it has no finite MLE, with prior
0.01 (``n_boot_prior``, with a warning).

The default, ``resample="bayesian"``, is Rubin's (1981) Bayesian bootstrap:
Dirichlet weights on the N comparisons, which summed per cell are Gamma(count)
draws. It gives the classic bootstrap's large-sample intervals (tests check
they agree), keeps every cell of the data in every replicate, so a replicate
has a finite MLE whenever the data has one (the classic bootstrap can drop an
item's only loss and needs a prior there), accepts weighted comparisons, and
needs cheaper random numbers (gamma, not Poisson): 1.5x faster at a million
comparisons. ``resample="multinomial"`` is the classic bootstrap, redrawing the
N comparisons with replacement (exactly, as multinomial cell counts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from goldset.stats._common import StatsError, clean, z_quantile

Ties = Literal["half", "davidson", "drop"]
ELO_FACTOR = 400.0 / math.log(10.0)
ELO_BASE = 1000.0


class ConvergenceError(StatsError):
    """The fit did not reach the tolerance within max_iter iterations."""


class DisconnectedError(StatsError):
    """Some items were never compared, even indirectly, with the others."""


class InfiniteStrengthError(StatsError):
    """An item (or group) never lost, or never won: its MLE is at infinity."""


@dataclass
class Counts:
    """Comparisons aggregated to one row per compared pair (i < j)."""

    items: list[str]
    i: Any  # int arrays, length P
    j: Any
    wins_i: Any  # float arrays (counts may be weighted)
    wins_j: Any
    ties: Any

    @property
    def n(self) -> Any:
        return self.wins_i + self.wins_j + self.ties

    @property
    def m(self) -> int:
        return len(self.items)


@dataclass
class BTResult:
    """Bradley-Terry ratings with uncertainty; lists are in ``items`` order."""

    items: list[str]
    strength: list[float]
    se: list[float | None]
    ci_low: list[float | None]
    ci_high: list[float | None]
    ci_method: str
    level: float
    scale: str  # "natural" or "elo"
    reference: str | None  # None: centred to mean 0 (1000 on the Elo scale)
    ties: str
    tie_parameter: float | None  # Davidson nu
    prior: float
    n_comparisons: float
    games: list[float]
    wins: list[float]
    losses: list[float]
    tied: list[float]
    win_rate: list[list[float | None]]  # row item's (wins + ties/2) / games against column item
    games_matrix: list[list[float]]
    prob: list[list[float]]  # predicted P(row beats column) (ties: half of P(tie) added)
    log_likelihood: float
    iterations: int
    n_boot: int = 0
    seed: int | None = None
    n_boot_refit: int = 0  # replicates the batch iteration left to an exact Newton fit
    n_boot_prior: int = 0  # of those, replicates with no finite MLE, fitted with prior 0.01
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def ranking(self) -> list[str]:
        """Items from strongest to weakest (ties broken by name)."""
        return [
            it
            for _, it in sorted(
                zip(self.strength, self.items, strict=True), key=lambda t: (-t[0], t[1])
            )
        ]


# ---------------------------------------------------------------- aggregation

_OUTCOME: dict[object, int] = {"a": 0, "b": 1, "tie": 2, 1.0: 0, 0.0: 1, 0.5: 2}


def aggregate(
    comparisons: Iterable[tuple[Any, Any, Any]],
    *,
    items: Sequence[str] | None = None,
    weights: Sequence[float] | None = None,
) -> Counts:
    """Count (a, b, outcome) triples per pair; outcome is "a", "b" or "tie" (or 1, 0, 0.5)."""
    import numpy as np

    rows = list(comparisons)
    names = sorted({str(x) for a, b, _ in rows for x in (a, b)}) if items is None else list(items)
    index = {n: k for k, n in enumerate(names)}
    a_idx = np.empty(len(rows), dtype=np.int64)
    b_idx = np.empty(len(rows), dtype=np.int64)
    out = np.empty(len(rows), dtype=np.int64)
    for r, (a, b, o) in enumerate(rows):
        try:
            a_idx[r] = index[str(a)]
            b_idx[r] = index[str(b)]
        except KeyError as exc:
            raise StatsError(f"comparison {r}: unknown item {exc.args[0]!r}") from None
        code = _OUTCOME.get(o if not isinstance(o, str) else o.lower())
        if code is None:
            raise StatsError(f"comparison {r}: outcome must be 'a', 'b' or 'tie', got {o!r}")
        if a_idx[r] == b_idx[r]:
            raise StatsError(f"comparison {r}: an item compared with itself ({a!r})")
        out[r] = code
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    return aggregate_arrays(a_idx, b_idx, out, names, weights=w)


def aggregate_arrays(
    a: Any, b: Any, outcome: Any, items: Sequence[str], *, weights: Any = None
) -> Counts:
    """Vectorised aggregation: index arrays ``a``, ``b`` and outcome codes 0 (a), 1 (b), 2 (tie)."""
    import numpy as np

    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    outcome = np.asarray(outcome, dtype=np.int64)
    m = len(items)
    if (a == b).any():
        raise StatsError("an item is compared with itself")
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if m * m * 3 <= 30_000_000:
        # Count (a, b, outcome) as played, then fold (b, a) onto (a, b) on the small m x m
        # table: a win for the second-named item is a win for the higher index there.
        key = a * (3 * m)
        key += b * 3
        key += outcome
        cnt = np.bincount(key, weights=w, minlength=m * m * 3).astype(np.float64)
        cnt = cnt.reshape(m, m, 3)
        cnt = cnt + cnt.transpose(1, 0, 2)[:, :, [1, 0, 2]]
        lo, hi = np.triu_indices(m, 1)
        cnt = cnt[lo, hi]
        keep = cnt.sum(axis=1) > 0
        pair_keys = (lo * m + hi)[keep]
        cnt = cnt[keep]
    else:
        lo = np.minimum(a, b)
        hi = np.maximum(a, b)
        # Outcome from the lower index's side: a win for ``a`` is a win for ``hi`` if swapped.
        o = np.where((a > b) & (outcome < 2), 1 - outcome, outcome)
        uk, inv = np.unique(lo * m + hi, return_inverse=True)
        cnt = np.zeros((len(uk), 3))
        np.add.at(cnt, (inv, o), 1.0 if w is None else w)
        pair_keys = uk
    return Counts(
        items=list(items),
        i=(pair_keys // m).astype(np.int64),
        j=(pair_keys % m).astype(np.int64),
        wins_i=cnt[:, 0].copy(),
        wins_j=cnt[:, 1].copy(),
        ties=cnt[:, 2].copy(),
    )


# ---------------------------------------------------------------- graph checks


def _components(m: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    adj: list[list[int]] = [[] for _ in range(m)]
    for u, v in edges:
        adj[u].append(v)
        adj[v].append(u)
    seen = [False] * m
    comps = []
    for s in range(m):
        if seen[s]:
            continue
        stack, comp = [s], []
        seen[s] = True
        while stack:
            u = stack.pop()
            comp.append(u)
            for v in adj[u]:
                if not seen[v]:
                    seen[v] = True
                    stack.append(v)
        comps.append(sorted(comp))
    return comps


def _scc(m: int, edges: list[tuple[int, int]]) -> list[int]:
    """Strongly connected component id per node (iterative Kosaraju)."""
    fwd: list[list[int]] = [[] for _ in range(m)]
    rev: list[list[int]] = [[] for _ in range(m)]
    for u, v in edges:
        fwd[u].append(v)
        rev[v].append(u)
    order: list[int] = []
    seen = [False] * m
    for s in range(m):
        if seen[s]:
            continue
        seen[s] = True
        stack = [(s, 0)]
        while stack:
            u, k = stack.pop()
            if k < len(fwd[u]):
                stack.append((u, k + 1))
                v = fwd[u][k]
                if not seen[v]:
                    seen[v] = True
                    stack.append((v, 0))
            else:
                order.append(u)
    comp = [-1] * m
    c = 0
    for s in reversed(order):
        if comp[s] != -1:
            continue
        stack2 = [s]
        comp[s] = c
        while stack2:
            u = stack2.pop()
            for v in rev[u]:
                if comp[v] == -1:
                    comp[v] = c
                    stack2.append(v)
        c += 1
    return comp


def check_identifiable(c: Counts, ties: str) -> None:
    """Raise when the MLE does not exist: a disconnected graph or an undefeated/winless group."""
    import numpy as np

    m = c.m
    names = c.items
    n = c.n
    played = n > 0
    if m < 2:
        raise StatsError("Bradley-Terry needs at least two items")
    edges = [(int(u), int(v)) for u, v in zip(c.i[played], c.j[played], strict=True)]
    comps = _components(m, edges)
    if len(comps) > 1:
        groups = "; ".join(
            "{" + ", ".join(names[k] for k in comp[:5]) + ("..." if len(comp) > 5 else "") + "}"
            for comp in comps[:4]
        )
        raise DisconnectedError(
            f"the comparison graph is disconnected ({len(comps)} groups never compared with "
            f"each other: {groups}), so their strengths share no scale; compare across the "
            "groups, rank each group separately, or pass a prior (e.g. prior=1.0)"
        )
    # i -> j when i has beaten j at least once (a tie counts both ways).
    beat_i = (c.wins_i > 0) | (c.ties > 0)
    beat_j = (c.wins_j > 0) | (c.ties > 0)
    dedges = [(int(u), int(v)) for u, v in zip(c.i[beat_i], c.j[beat_i], strict=True)]
    dedges += [(int(v), int(u)) for u, v in zip(c.i[beat_j], c.j[beat_j], strict=True)]
    comp = _scc(m, dedges)
    if max(comp) > 0:
        comp_arr = np.asarray(comp)
        # A component with no edge coming in from outside never lost to the rest.
        incoming = {int(comp_arr[v]) for u, v in dedges if comp_arr[u] != comp_arr[v]}
        outgoing = {int(comp_arr[u]) for u, v in dedges if comp_arr[u] != comp_arr[v]}
        unbeaten = [k for k in range(max(comp) + 1) if k not in incoming]
        winless = [k for k in range(max(comp) + 1) if k not in outgoing]
        bits = []
        for k in unbeaten[:2]:
            members = [names[x] for x in range(m) if comp[x] == k]
            bits.append(f"{', '.join(members[:5])} never lost to the other items")
        for k in winless[:2]:
            members = [names[x] for x in range(m) if comp[x] == k]
            bits.append(f"{', '.join(members[:5])} never beat the other items")
        raise InfiniteStrengthError(
            "; ".join(bits)
            + ": the maximum-likelihood strengths are infinite. Collect more comparisons, or pass "
            "a prior (e.g. prior=1.0: one virtual tie per item against an average opponent)"
        )
    if ties == "davidson":
        nt = float(c.ties.sum())
        if nt == 0:
            raise StatsError("the Davidson model needs at least one tie; use ties='half' or 'drop'")
        if nt == float(n.sum()):
            raise StatsError("every comparison is a tie: the Davidson tie parameter is infinite")


# ---------------------------------------------------------------- half rule (binomial)


def _ll_half(theta: Any, i: Any, j: Any, w: Any, n: Any, prior: float) -> float:
    import numpy as np

    d = theta[i] - theta[j]
    ll = float((w * d - n * np.logaddexp(0.0, d)).sum())
    if prior:
        ll += prior * float((0.5 * theta - np.logaddexp(0.0, theta)).sum())
    return ll


def _grad_hess_half(
    theta: Any, i: Any, j: Any, w: Any, n: Any, prior: float, m: int
) -> tuple[Any, Any]:
    import numpy as np

    d = theta[i] - theta[j]
    p = 0.5 * (1.0 + np.tanh(0.5 * d))
    r = w - n * p
    g = np.bincount(i, weights=r, minlength=m) - np.bincount(j, weights=r, minlength=m)
    v = n * p * (1.0 - p)
    h = np.zeros((m, m))
    np.add.at(h, (i, j), -v)
    h = h + h.T
    h[np.diag_indices(m)] = -h.sum(axis=1)
    if prior:
        s = 0.5 * (1.0 + np.tanh(0.5 * theta))
        g = g + prior * (0.5 - s)
        h[np.diag_indices(m)] += prior * s * (1.0 - s)
    return g, h


def _solve(h: Any, g: Any, prior: float) -> Any:
    """Newton step for the information ``h``; without a prior the scale has one free constant."""
    import numpy as np

    m = h.shape[0]
    try:
        if prior:
            return np.linalg.solve(h, g)
        return np.linalg.solve(h + 1.0 / m, g - g.mean())
    except np.linalg.LinAlgError:
        # The information went singular: win probabilities reached 0 or 1 because some
        # strengths run off to infinity (an item that never lost or never won).
        raise InfiniteStrengthError(
            "the strengths diverge (an item effectively never loses or never wins); "
            "pass a prior, e.g. prior=1.0"
        ) from None


def fit_half(
    c: Counts,
    *,
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 100,
    theta0: Any = None,
    w: Any = None,
    n: Any = None,
) -> tuple[Any, Any, float, int]:
    """(theta centred, information matrix, log-likelihood, iterations) under the half-tie rule."""
    import numpy as np

    m = c.m
    if w is None:
        w = c.wins_i + 0.5 * c.ties
    if n is None:
        n = c.n
    theta = np.zeros(m) if theta0 is None else np.array(theta0, dtype=np.float64)
    ll = _ll_half(theta, c.i, c.j, w, n, prior)
    for it in range(1, max_iter + 1):
        g, h = _grad_hess_half(theta, c.i, c.j, w, n, prior, m)
        step = _solve(h, g, prior)
        t = 1.0
        while True:
            cand = theta + t * step
            ll_c = _ll_half(cand, c.i, c.j, w, n, prior)
            if ll_c >= ll - 1e-12 * max(1.0, abs(ll)) or t < 1e-6:
                break
            t *= 0.5
        theta, ll = cand, ll_c
        if float(np.max(np.abs(t * step))) < tol:
            if not prior:
                theta = theta - theta.mean()
            _, h = _grad_hess_half(theta, c.i, c.j, w, n, prior, m)
            return theta, h, ll, it
        if float(np.max(np.abs(theta))) > 50:
            raise InfiniteStrengthError(
                "the strengths diverge (an item effectively never loses or never wins); "
                "pass a prior, e.g. prior=1.0"
            )
    raise ConvergenceError(
        f"Bradley-Terry did not converge in {max_iter} Newton iterations "
        f"(last step {float(np.max(np.abs(step))):.2e} > tol {tol:.0e}); "
        "the data may be nearly separable: pass a prior (e.g. prior=1.0) or raise max_iter"
    )


# ---------------------------------------------------------------- Davidson ties


def _davidson_parts(theta: Any, eta: float, c: Counts) -> tuple[Any, Any]:
    import numpy as np

    ui = theta[c.i]
    uj = theta[c.j]
    ut = eta + 0.5 * (ui + uj)
    u = np.stack([ui, uj, ut], axis=1)
    lse = np.logaddexp.reduce(u, axis=1)
    pi = np.exp(u - lse[:, None])
    return u, pi


def _ll_davidson(theta: Any, eta: float, c: Counts, prior: float) -> float:
    import numpy as np

    u, _ = _davidson_parts(theta, eta, c)
    y = np.stack([c.wins_i, c.wins_j, c.ties], axis=1)
    lse = np.logaddexp.reduce(u, axis=1)
    ll = float((y * u).sum() - (y.sum(axis=1) * lse).sum())
    if prior:
        ll += prior * float((0.5 * theta - np.logaddexp(0.0, theta)).sum())
    return ll


def fit_davidson(
    c: Counts, *, prior: float = 0.0, tol: float = 1e-10, max_iter: int = 100, theta0: Any = None
) -> tuple[Any, float, Any, float, int]:
    """(theta centred, log nu, information over (theta, log nu), log-likelihood, iterations)."""
    import numpy as np

    m = c.m
    y = np.stack([c.wins_i, c.wins_j, c.ties], axis=1)
    n = y.sum(axis=1)
    coef = np.array(
        [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]]
    )  # param (i, j, eta) x outcome
    theta = np.zeros(m) if theta0 is None else np.array(theta0, dtype=np.float64)
    tie_share = float(c.ties.sum() / n.sum())
    eta = math.log(max(tie_share, 1e-6) / max(1.0 - tie_share, 1e-6) * 2.0)
    ll = _ll_davidson(theta, eta, c, prior)

    def grad_hess(theta: Any, eta: float) -> tuple[Any, Any]:
        _, pi = _davidson_parts(theta, eta, c)
        r = y - n[:, None] * pi  # (P, 3)
        gl = r @ coef.T  # (P, 3): d/d(theta_i), d/d(theta_j), d/d(eta)
        g = np.zeros(m + 1)
        g[:m] = np.bincount(c.i, weights=gl[:, 0], minlength=m) + np.bincount(
            c.j, weights=gl[:, 1], minlength=m
        )
        g[m] = gl[:, 2].sum()
        cov = n[:, None, None] * (pi[:, :, None] * np.eye(3) - pi[:, :, None] * pi[:, None, :])
        loc = np.einsum("ao,pob,cb->pac", coef, cov, coef)  # (P, 3, 3) over (i, j, eta)
        h = np.zeros((m + 1, m + 1))
        idx = [c.i, c.j, np.full_like(c.i, m)]
        for a in range(3):
            for b in range(3):
                np.add.at(h, (idx[a], idx[b]), loc[:, a, b])
        if prior:
            s = 0.5 * (1.0 + np.tanh(0.5 * theta))
            g[:m] += prior * (0.5 - s)
            h[np.arange(m), np.arange(m)] += prior * s * (1.0 - s)
        return g, h

    for it in range(1, max_iter + 1):
        g, h = grad_hess(theta, eta)
        if prior:
            step = np.linalg.solve(h, g)
        else:
            # Fix the free constant of theta by pinning its mean: add 1/m on the theta block.
            hh = h.copy()
            hh[:m, :m] += 1.0 / m
            gg = g.copy()
            gg[:m] -= g[:m].mean()
            step = np.linalg.solve(hh, gg)
        t = 1.0
        while True:
            cand_t, cand_e = theta + t * step[:m], eta + t * step[m]
            ll_c = _ll_davidson(cand_t, cand_e, c, prior)
            if ll_c >= ll - 1e-12 * max(1.0, abs(ll)) or t < 1e-6:
                break
            t *= 0.5
        theta, eta, ll = cand_t, cand_e, ll_c
        if float(np.max(np.abs(t * step))) < tol:
            if not prior:
                theta = theta - theta.mean()
            _, h = grad_hess(theta, eta)
            return theta, eta, h, ll, it
    raise ConvergenceError(
        f"the Davidson model did not converge in {max_iter} Newton iterations; "
        "pass a prior (e.g. prior=1.0) or use ties='half'"
    )


# ---------------------------------------------------------------- covariance


def laplacian_pinv(h: Any) -> Any:
    """Pseudo-inverse of an information matrix whose only null direction is the constant.

    (H + J/m)^-1 = H^+ + J/m when H 1 = 0: one LU solve instead of an SVD.
    """
    import numpy as np

    m = h.shape[0]
    return np.linalg.inv(h + 1.0 / m) - 1.0 / m


def covariance(h: Any, m: int, prior: float, reference: int | None) -> Any:
    """Covariance of theta (first m params) on the centred or reference scale."""
    import numpy as np

    if prior:
        cov = np.linalg.inv(h)[:m, :m]
    else:
        k = h.shape[0]
        if k == m:
            cov = laplacian_pinv(h)
        else:
            # Davidson: pin theta_0 = 0, invert, then move to the requested scale.
            keep = np.arange(1, k)
            sub = np.linalg.inv(h[np.ix_(keep, keep)])
            full = np.zeros((k, k))
            full[np.ix_(keep, keep)] = sub
            cov = full[:m, :m]
    if reference is None:
        p = np.eye(m) - 1.0 / m
        return p @ cov @ p
    a = np.eye(m)
    a[:, reference] -= 1.0
    return a @ cov @ a.T


# ---------------------------------------------------------------- bootstrap


def bootstrap_half(
    c: Counts,
    theta_hat: Any,
    h_hat: Any,
    *,
    n_boot: int,
    seed: int,
    prior: float = 0.0,
    tol: float = 1e-10,
    max_iter: int = 60,
    resample: str = "bayesian",
) -> tuple[Any, int, int]:
    """(n_boot, m) centred strengths of resampled comparisons, the count of replicates
    refit by exact Newton, and the count of those that needed a prior.

    ``resample="multinomial"`` redraws the N comparisons with replacement
    (exactly, as multinomial cell counts); ``"bayesian"`` is Rubin's (1981)
    Bayesian bootstrap: Dirichlet weights on the N comparisons, which summed
    per cell are Gamma(count) draws scaled to N. Both are exact for what they
    are; the Bayesian one needs cheaper random numbers (gamma, not Poisson).

    All replicates of a block iterate together: theta += G(theta) H^-1, where G
    is each replicate's score and H the full-data information, so one
    factorisation serves every replicate and iteration.
    """
    import numpy as np

    from goldset.stats import bootstrap

    m = c.m
    order = np.argsort(c.i, kind="stable")
    if (np.diff(c.i) < 0).any():
        c = Counts(c.items, c.i[order], c.j[order], c.wins_i[order], c.wins_j[order], c.ties[order])
    cells = np.concatenate([c.wins_i, c.wins_j, c.ties])
    total = float(cells.sum())
    if resample == "multinomial" and abs(total - round(total)) > 1e-9:
        raise StatsError(
            "the multinomial bootstrap needs whole-number counts; use resample='bayesian' "
            "for weighted comparisons"
        )
    p_count = len(c.i)
    hinv = np.linalg.inv(h_hat) if prior else laplacian_pinv(h_hat)
    ii, jj = c.i, c.j
    # Item sums of pair terms (+ for the first item, - for the second): segment sums over the
    # pairs, sorted by first item, and one bincount for the second items (measured faster than
    # a sparse product, and no scipy import on this path).
    first, first_starts = np.unique(ii, return_index=True)
    p_hat = (1.0 / (1.0 + np.exp(theta_hat[jj] - theta_hat[ii])))[:, None]
    out = np.empty((n_boot, m))
    refits: list[int] = []
    priored: list[int] = []
    # Every cell is drawn, zero ones included (they stay zero), so a replicate's rows split
    # into the three outcome blocks by slicing.
    draw = bootstrap.multinomial_sampler(round(total), cells) if resample != "bayesian" else None

    def work(start: int, stop: int, gen: Any) -> None:
        b = stop - start
        x = bootstrap.bayesian_counts(gen, cells, b) if draw is None else draw(gen, b)
        # Layout (pairs, replicates): every array below is C-contiguous, so each
        # elementwise pass is one sequential sweep.
        x = x.reshape(b, 3, p_count)
        n = np.ascontiguousarray((x[:, 0] + x[:, 1] + x[:, 2]).T, dtype=np.float64)
        w = np.ascontiguousarray((2 * x[:, 0] + x[:, 2]).T, dtype=np.float64)
        w *= 0.5
        second = (jj[:, None] * b + np.arange(b)).ravel()
        theta = np.tile(theta_hat[:, None], (1, b))
        buf = np.empty((p_count, b))
        ei = np.empty((p_count, b))
        ej = np.empty((p_count, b))
        done = np.zeros(b, dtype=bool)
        for it in range(max_iter):
            if it == 0:
                # Every replicate starts at the full-data MLE: its win probabilities are
                # the same for all of them, computed once.
                np.multiply(n, p_hat, out=buf)
            else:
                e = np.exp(theta)
                np.take(e, ii, axis=0, out=ei)
                np.take(e, jj, axis=0, out=ej)
                np.add(ei, ej, out=buf)
                np.divide(ei, buf, out=buf)
                np.multiply(n, buf, out=buf)
            np.subtract(w, buf, out=buf)
            g = np.bincount(second, weights=buf.ravel(), minlength=m * b).reshape(m, b)
            np.negative(g, out=g)
            g[first] += np.add.reduceat(buf, first_starts, axis=0)
            if prior:
                g += prior * (0.5 - 1.0 / (1.0 + np.exp(-theta)))
            step = hinv @ g
            theta += step
            done = np.abs(step).max(axis=0) < tol
            if done.all() or not np.isfinite(theta).all() or np.abs(theta).max() > 50:
                break
        theta = np.ascontiguousarray(theta.T)
        w = w.T
        n = n.T
        for r_ in np.flatnonzero(~done | ~np.isfinite(theta).all(axis=1)):
            refits.append(start + int(r_))
            rc = Counts(c.items, c.i, c.j, w[r_], n[r_] - w[r_], np.zeros(p_count))
            try:
                th, _, _, _ = fit_half(rc, prior=prior, tol=tol, theta0=theta_hat, w=w[r_], n=n[r_])
            except (InfiniteStrengthError, ConvergenceError):
                # This resample has no finite MLE (an item never lost in it): the smallest prior
                # keeps it finite, and the count is reported.
                priored.append(start + int(r_))
                th, _, _, _ = fit_half(
                    rc, prior=max(prior, 0.01), tol=tol, theta0=theta_hat, w=w[r_], n=n[r_]
                )
            theta[r_] = th
        if not prior:
            theta -= theta.mean(axis=1, keepdims=True)
        out[start:stop] = theta

    bootstrap.run_blocks(work, seed, n_boot, bootstrap.block_for(len(cells)))
    return out, len(refits), len(priored)


def bootstrap_davidson(
    c: Counts,
    theta_hat: Any,
    *,
    n_boot: int,
    seed: int,
    prior: float,
    tol: float,
    resample: str = "bayesian",
) -> tuple[Any, int, int]:
    """Replicates for the Davidson model (each its own warm-started Newton fit, so
    none counts as a refit) and the count that needed a prior."""
    import numpy as np

    from goldset.stats import bootstrap

    cells = np.concatenate([c.wins_i, c.wins_j, c.ties])
    p_count = len(c.i)
    if resample == "bayesian":
        draws = bootstrap.reweight_counts(cells, n_boot, seed)
    else:
        draws = bootstrap.resample_counts(np.round(cells).astype(np.int64), n_boot, seed)
    out = np.empty((n_boot, c.m))
    priored = 0
    for r in range(n_boot):
        x = draws[r].astype(np.float64)
        rc = Counts(c.items, c.i, c.j, x[:p_count], x[p_count : 2 * p_count], x[2 * p_count :])
        try:
            th, _, _, _, _ = fit_davidson(rc, prior=prior, tol=tol, theta0=theta_hat)
        except StatsError:
            priored += 1
            th, _, _, _, _ = fit_davidson(rc, prior=max(prior, 0.01), tol=tol, theta0=theta_hat)
        out[r] = th - th.mean() if not prior else th
    return out, 0, priored


# ---------------------------------------------------------------- public API


def fit_counts(
    c: Counts,
    *,
    ties: Ties = "half",
    reference: str | None = None,
    prior: float = 0.0,
    scale: Literal["natural", "elo"] = "natural",
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    resample: Literal["multinomial", "bayesian"] = "bayesian",
) -> BTResult:
    """Fit Bradley-Terry to aggregated counts; see ``bradley_terry`` for the arguments."""
    import numpy as np

    if ties not in ("half", "davidson", "drop"):
        raise StatsError(f"ties must be 'half', 'davidson' or 'drop', got {ties!r}")
    if prior < 0:
        raise StatsError(f"prior must be >= 0, got {prior}")
    if resample not in ("multinomial", "bayesian"):
        raise StatsError(f"resample must be 'multinomial' or 'bayesian', got {resample!r}")
    if ties == "drop":
        c = Counts(c.items, c.i, c.j, c.wins_i, c.wins_j, np.zeros_like(c.ties))
    m = c.m
    ref_idx = None
    if reference is not None:
        if reference not in c.items:
            raise StatsError(f"reference item {reference!r} is not among the compared items")
        ref_idx = c.items.index(reference)
    if float(c.n.sum()) == 0:
        raise StatsError("no comparisons to rank")
    if not prior:
        check_identifiable(c, ties)
    elif m < 2:
        raise StatsError("Bradley-Terry needs at least two items")
    nu = None
    if ties == "davidson":
        theta, eta, h, ll, iters = fit_davidson(c, prior=prior, tol=tol, max_iter=max_iter)
        nu = math.exp(eta)
    else:
        theta, h, ll, iters = fit_half(c, prior=prior, tol=tol, max_iter=max_iter)
    cov = covariance(h, m, prior, ref_idx)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    shift = theta[ref_idx] if ref_idx is not None else (0.0 if not prior else float(theta.mean()))
    est = theta - shift
    warnings: list[str] = []
    ci_method = "wald"
    n_refit = n_prior = 0
    if n_boot:
        if seed is None:
            raise StatsError("a bootstrap needs an explicit integer seed (pass seed=...)")
        if ties == "davidson":
            reps, n_refit, n_prior = bootstrap_davidson(
                c, theta, n_boot=n_boot, seed=seed, prior=prior, tol=tol, resample=resample
            )
        else:
            # Replicates stop once a step is under 1e-7: the iteration contracts by about
            # 30x a step, so they sit within ~1e-8 of their own MLE (an interval needs far
            # less; the point estimate keeps ``tol``).
            reps, n_refit, n_prior = bootstrap_half(
                c,
                theta,
                h,
                n_boot=n_boot,
                seed=seed,
                prior=prior,
                tol=max(tol, 1e-7),
                resample=resample,
            )
        if ref_idx is not None:
            reps = reps - reps[:, [ref_idx]]
        else:
            reps = reps - reps.mean(axis=1, keepdims=True)
        from goldset.stats._common import percentile_ci

        lo, hi = percentile_ci(reps, level, axis=0)
        ci_method = "bootstrap"
        if n_prior:
            warnings.append(
                f"{n_prior} of {n_boot} bootstrap replicates had no finite MLE (an item never"
                " lost or never won in the resample) and were fitted with a tiny prior (0.01);"
                " the interval's far end is not to be trusted"
                + ("" if resample == "bayesian" else ": resample='bayesian' keeps every vote")
            )
    else:
        zq = z_quantile(level)
        lo, hi = est - zq * se, est + zq * se
    factor, base = (ELO_FACTOR, ELO_BASE) if scale == "elo" else (1.0, 0.0)
    if scale not in ("natural", "elo"):
        raise StatsError(f"scale must be 'natural' or 'elo', got {scale!r}")
    # Observed records and the win-rate matrix.
    n = c.n
    games = np.bincount(c.i, weights=n, minlength=m) + np.bincount(c.j, weights=n, minlength=m)
    wins = np.bincount(c.i, weights=c.wins_i, minlength=m) + np.bincount(
        c.j, weights=c.wins_j, minlength=m
    )
    losses = np.bincount(c.i, weights=c.wins_j, minlength=m) + np.bincount(
        c.j, weights=c.wins_i, minlength=m
    )
    tied = np.bincount(c.i, weights=c.ties, minlength=m) + np.bincount(
        c.j, weights=c.ties, minlength=m
    )
    gm = np.zeros((m, m))
    sc = np.zeros((m, m))
    gm[c.i, c.j] += n
    gm[c.j, c.i] += n
    sc[c.i, c.j] += c.wins_i + 0.5 * c.ties
    sc[c.j, c.i] += c.wins_j + 0.5 * c.ties
    with np.errstate(invalid="ignore", divide="ignore"):
        wr = np.where(gm > 0, sc / np.where(gm > 0, gm, 1.0), np.nan)
    np.fill_diagonal(wr, np.nan)
    d = theta[:, None] - theta[None, :]
    if ties == "davidson" and nu is not None:
        a = np.exp(theta)[:, None]
        b = np.exp(theta)[None, :]
        t = nu * np.sqrt(a * b)
        prob = (a + 0.5 * t) / (a + b + t)
    else:
        prob = 1.0 / (1.0 + np.exp(-d))
    np.fill_diagonal(prob, 0.5)
    return BTResult(
        items=list(c.items),
        strength=[float(base + factor * x) for x in est],
        se=[clean(factor * x) for x in se],
        ci_low=[clean(base + factor * x) for x in lo],
        ci_high=[clean(base + factor * x) for x in hi],
        ci_method=ci_method,
        level=level,
        scale=scale,
        reference=reference,
        ties=ties,
        tie_parameter=nu,
        prior=prior,
        n_comparisons=float(n.sum()),
        games=games.tolist(),
        wins=wins.tolist(),
        losses=losses.tolist(),
        tied=tied.tolist(),
        win_rate=[[clean(x) for x in row] for row in wr],
        games_matrix=gm.tolist(),
        prob=prob.tolist(),
        log_likelihood=float(ll),
        iterations=int(iters),
        n_boot=int(n_boot),
        seed=seed if n_boot else None,
        n_boot_refit=n_refit,
        n_boot_prior=n_prior,
        warnings=warnings,
    )


def bradley_terry(
    comparisons: Iterable[tuple[Any, Any, Any]],
    *,
    ties: Ties = "half",
    items: Sequence[str] | None = None,
    reference: str | None = None,
    prior: float = 0.0,
    scale: Literal["natural", "elo"] = "natural",
    level: float = 0.95,
    n_boot: int = 0,
    seed: int | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
    resample: Literal["multinomial", "bayesian"] = "bayesian",
) -> BTResult:
    """Maximum-likelihood Bradley-Terry strengths from (a, b, outcome) comparisons.

    Args:
        comparisons: (item_a, item_b, outcome) with outcome "a", "b" or "tie".
        ties: "half" (a tie is half a win each), "davidson" or "drop".
        items: the item order of the result (default: sorted names).
        reference: report strengths relative to this item (0, or 1000 on the
            Elo scale); default: centred to mean 0 (1000).
        prior: virtual ties per item against an average opponent; 0 for the
            plain MLE (which raises when it does not exist).
        scale: "natural" (log-odds) or "elo" (1000 + 400 log10-odds).
        level: interval level; the interval is Wald (from the Fisher
            information) unless ``n_boot`` > 0, then a percentile bootstrap.
        n_boot, seed: bootstrap replicates and their explicit seed.
        tol, max_iter: Newton stopping rule (max absolute step) and budget.
        resample: "bayesian" (the default: Rubin's Bayesian bootstrap, the
            classic one's large-sample intervals with no replicate losing a
            cell of the data) or "multinomial" (the classic bootstrap of
            comparisons); see the module docstring.
    """
    return fit_counts(
        aggregate(comparisons, items=items),
        ties=ties,
        reference=reference,
        prior=prior,
        scale=scale,
        level=level,
        n_boot=n_boot,
        seed=seed,
        tol=tol,
        max_iter=max_iter,
        resample=resample,
    )
