"""The core of ``goldset rank``: Bradley-Terry ratings of variants from pairwise votes.

Sources: human labels, judge judgments, or both (``source``). Each pairwise
vote is one comparison; a judge's two orders count as one verdict when they
agree, and an inconsistent verdict is a tie or dropped according to
``agreement.pairwise_inconsistent`` (see goldset.votes). Ties follow
``ties`` ("half" by default: half a win each; "davidson"; "drop").

Ratings are on the Elo display scale by default (1000 + 400 log10-odds,
centred on the mean variant), with standard errors from the Fisher
information and percentile-bootstrap intervals over comparisons (seeded).
The win-rate matrix is the observed share of points (ties count half).

``compute`` takes a Config or already-loaded records and returns plain data,
so the diff can rank both sides of a commit range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from goldset import votes as votes_mod
from goldset.errors import InputError, UsageError
from goldset.stats._common import StatsError

SOURCES = ("labels", "judgments", "all")


def compute(
    cfg: Any = None,
    *,
    labels: Sequence[Mapping[str, Any]] | None = None,
    judgments: Sequence[Mapping[str, Any]] | None = None,
    golden: Mapping[str, Mapping[str, Any]] | None = None,
    source: str = "all",
    pairwise_inconsistent: str | None = None,
    ties: str = "half",
    prior: float = 0.0,
    scale: str = "elo",
    reference: str | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    level: float = 0.95,
    turn: int | None = None,
    include_stale: bool = False,
    allow_empty: bool = False,
    resample: str = "bayesian",
) -> dict[str, Any]:
    """Bradley-Terry ratings, intervals and win rates as plain data.

    With no pairwise votes it raises InputError, or with ``allow_empty``
    returns the same shape with no ratings (what a diff of a side without
    votes wants).
    """
    from goldset.stats.bradley_terry import bradley_terry

    if source not in SOURCES:
        raise UsageError(f"--source {source!r}: expected labels, judgments or all")
    rule = pairwise_inconsistent or (
        cfg["agreement"]["pairwise_inconsistent"] if cfg is not None else "tie"
    )
    if labels is None and judgments is None:
        if cfg is None:
            raise InputError("ranking needs a project config or label/judgment records")
        labels, judgments = votes_mod.load_records(cfg)
        if golden is None:
            from goldset.agreement import load_golden

            golden = load_golden(cfg)
    tables = votes_mod.build(
        labels if source in ("labels", "all") else [],
        judgments if source in ("judgments", "all") else [],
        pairwise_inconsistent=rule,
        golden=golden,
        include_stale=include_stale,
        turn=turn,
    )
    comps = [(p.a, p.b, p.winner) for p in tables.pairs]
    by_source = {
        "labels": sum(1 for p in tables.pairs if p.kind == "human"),
        "judgments": sum(1 for p in tables.pairs if p.kind == "judge"),
    }
    settings = {
        "source": source,
        "pairwise_inconsistent": rule,
        "ties": ties,
        "prior": prior,
        "scale": scale,
        "reference": reference,
        "seed": seed,
        "n_boot": n_boot,
        "level": level,
        "turn": turn,
    }
    if not comps and allow_empty:
        return {
            "settings": {**settings, "ci_method": None},
            "n_comparisons": 0.0,
            "by_source": by_source,
            "counts": dict(tables.counts),
            "ratings": [],
            "tie_parameter": None,
            "win_rates": {"variants": [], "matrix": [], "games": []},
            "predicted": {"variants": [], "matrix": []},
            "log_likelihood": None,
            "warnings": list(tables.warnings),
        }
    if not comps:
        raise InputError(
            f"no pairwise votes to rank (source: {source}); pairwise labels or judgments "
            "have a, b and winner (docs/formats.md)"
        )
    try:
        res = bradley_terry(
            comps,
            ties=ties,  # type: ignore[arg-type]
            reference=reference,
            prior=prior,
            scale=scale,  # type: ignore[arg-type]
            level=level,
            n_boot=n_boot,
            seed=seed,
            resample=resample,  # type: ignore[arg-type]
        )
    except StatsError as exc:
        raise InputError(
            f"rank: {exc}", hint="pass --prior 1 to regularise, or add votes"
        ) from None
    order = res.ranking()
    pos = {it: k for k, it in enumerate(res.items)}
    ratings = []
    for rank, it in enumerate(order, 1):
        k = pos[it]
        games = res.games[k]
        ratings.append(
            {
                "rank": rank,
                "variant": it,
                "rating": res.strength[k],
                "se": res.se[k],
                "ci": [res.ci_low[k], res.ci_high[k]],
                "games": games,
                "wins": res.wins[k],
                "losses": res.losses[k],
                "ties": res.tied[k],
                "win_rate": (res.wins[k] + 0.5 * res.tied[k]) / games if games else None,
            }
        )
    idx = [pos[it] for it in order]
    return {
        "settings": {
            **settings,
            "ci_method": res.ci_method,
            "resample": resample if res.ci_method == "bootstrap" else None,
        },
        "n_comparisons": res.n_comparisons,
        "by_source": by_source,
        "counts": dict(tables.counts),
        "ratings": ratings,
        "tie_parameter": res.tie_parameter,
        "win_rates": {
            "variants": order,
            "matrix": [[res.win_rate[i][j] for j in idx] for i in idx],
            "games": [[res.games_matrix[i][j] for j in idx] for i in idx],
        },
        "predicted": {
            "variants": order,
            "matrix": [[res.prob[i][j] for j in idx] for i in idx],
        },
        "log_likelihood": res.log_likelihood,
        "warnings": list(tables.warnings) + list(res.warnings),
    }
