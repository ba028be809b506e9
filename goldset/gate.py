"""`goldset gate`: the CI check that fails a change goldset cannot vouch for.

It fails (exit 1) when a high-stakes slice regresses (a flagged move, after
the multiple-comparison correction), when a judge is untrusted (kappa against
the humans under ``agreement.judge_threshold``) or uncalibrated (no human
ratings of the same items to check it against), or when the head's golden set
is invalid. Everything else is a warning: printed, not failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldset import diff as diff_mod
from goldset import report


@dataclass
class GateResult:
    ok: bool
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    base: str | None = None
    head: str | None = None
    verdict: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "base": self.base,
            "head": self.head,
            "failures": self.failures,
            "warnings": self.warnings,
            "verdict": self.verdict,
        }


def invalid_set(root: Path, cfg: Any, head: str | None) -> list[str]:
    """The errors `goldset validate` finds in the head's golden set (file:line: message)."""
    from goldset import trees, validate

    tree: Any = trees.RevTree(root, head) if head else trees.WorkTree(root)
    try:
        rep = validate.run(cfg, tree)
    finally:
        tree.close()
    return [p.text() for p in rep.problems if p.severity == "error"]


def check(
    root: Path,
    cfg: Any,
    base: str | None = None,
    head: str | None = None,
    *,
    seed: int = 0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    correction: str = "holm",
    validate_set: bool = True,
) -> GateResult:
    d = diff_mod.compute(
        root,
        cfg,
        base,
        head,
        seed=seed,
        n_boot=n_boot,
        alpha=alpha,
        correction=correction,
        outputs=0,
    )
    invalid = invalid_set(root, cfg, head) if validate_set else []
    shown = invalid[:20]
    if len(invalid) > len(shown):
        shown.append(f"... and {len(invalid) - len(shown)} more (run `goldset validate`)")
    v = report.verdict(d, invalid=shown)
    failures = list(v["failures"])
    return GateResult(
        ok=not failures,
        failures=failures,
        warnings=list(v["warnings"]),
        base=d["base"]["rev"],
        head=d["head"]["rev"] or d["head"]["label"],
        verdict=v["text"].replace("**", ""),
    )
