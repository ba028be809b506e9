"""`goldset gate`: exit 1 when a change should not merge, saying why."""

from __future__ import annotations

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option
from goldset.cli.diff import stats_options


@click.command()
@click.option("--base", default=None, help="Base revision (default: merge-base with main).")
@click.option("--head", default=None, help="Head revision (default: the working tree).")
@click.option("--no-validate", is_flag=True, help="Skip validating the head's golden set.")
@format_option("text", "json")
@stats_options
@repo_option
def command(
    base: str | None,
    head: str | None,
    no_validate: bool,
    fmt: str,
    seed: int,
    n_boot: int,
    correction: str,
    alpha: float,
    repo: str | None,
) -> int:
    """Fail (exit 1) when a high-stakes slice regresses, a judge is untrusted
    or uncalibrated, or the golden set is invalid; exit 0 otherwise.

    High-stakes slices are listed in goldset.yaml (high_stakes_slices); a
    regression counts when it is flagged after the multiple-comparison
    correction. Warnings (other regressions, unjustified changes) are printed.
    """
    from goldset import config, gate, project

    root = project.find_root(repo)
    cfg = config.load(root)
    res = gate.check(
        root,
        cfg,
        base,
        head,
        seed=seed,
        n_boot=n_boot,
        alpha=alpha,
        correction=correction,
        validate_set=not no_validate,
    )
    if fmt == "json":
        emit_json(res.as_dict())
    else:
        echo(f"goldset gate: {'passed' if res.ok else 'FAILED'}")
        for f in res.failures:
            echo(f"  fail: {f}")
        for w in res.warnings:
            echo(f"  warning: {w}")
        if res.ok and not res.warnings:
            echo("  no high-stakes regression, every judge trusted, the set is valid")
    return 0 if res.ok else 1
