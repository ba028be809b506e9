"""goldset's statistics core: small pure functions, every number with its uncertainty.

Public API (numpy is imported inside the functions, scipy only where a t
quantile or a large bootstrap needs it, so importing this package is cheap):

* ``cohen_kappa`` / ``kappa_from_table``: Cohen's kappa (unweighted, linear,
  quadratic) with observed and expected agreement, the asymptotic SE and CI,
  raw agreement, prevalence and bias indices, PABAK, optional bootstrap.
* ``fleiss_kappa``: several raters per item (Fleiss 1971).
* ``krippendorff_alpha``: any raters, missing ratings, four levels.
* ``bradley_terry``: Bradley-Terry strengths from pairwise outcomes (ties by
  the half rule or Davidson), Fisher-information SEs, bootstrap intervals,
  win rates, predicted probabilities, reference or centred, Elo display.
* ``paired_difference``, ``mcnemar``, ``paired_t``: two variants on the same
  examples; ``multiple.holm`` / ``multiple.benjamini_hochberg`` for many slices.

Every random draw takes an explicit integer seed, and results report it.
Errors in the input raise ``StatsError`` (a ValueError) with a message saying
what to do; nothing returns NaN silently.
"""

from __future__ import annotations

from goldset.stats import multiple
from goldset.stats._common import StatsError
from goldset.stats.bradley_terry import (
    BTResult,
    ConvergenceError,
    DisconnectedError,
    InfiniteStrengthError,
    bradley_terry,
)
from goldset.stats.fleiss import FleissResult, fleiss_kappa
from goldset.stats.kappa import KappaResult, cohen_kappa, confusion_matrix, kappa_from_table
from goldset.stats.krippendorff import AlphaResult, krippendorff_alpha
from goldset.stats.paired import (
    PairedResult,
    mcnemar,
    paired_bootstrap,
    paired_difference,
    paired_t,
)

__all__ = [
    "AlphaResult",
    "BTResult",
    "ConvergenceError",
    "DisconnectedError",
    "FleissResult",
    "InfiniteStrengthError",
    "KappaResult",
    "PairedResult",
    "StatsError",
    "bradley_terry",
    "cohen_kappa",
    "confusion_matrix",
    "fleiss_kappa",
    "kappa_from_table",
    "krippendorff_alpha",
    "mcnemar",
    "multiple",
    "paired_bootstrap",
    "paired_difference",
    "paired_t",
]
