"""`goldset diff`: what changed in the golden set and how every metric moved."""

from __future__ import annotations

from typing import Any

import click

from goldset.cli._common import emit_json, format_option, repo_option


def stats_options(f: Any) -> Any:
    """The options that pin a diff's statistics (shared with report and gate)."""
    f = click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")(f)
    f = click.option(
        "--n-boot",
        type=click.IntRange(100, 100_000),
        default=1000,
        show_default=True,
        help="Bootstrap replicates for intervals.",
    )(f)
    f = click.option(
        "--correction",
        type=click.Choice(["holm", "bh", "none"]),
        default="holm",
        show_default=True,
        help="Multiple-comparison correction applied before flagging.",
    )(f)
    f = click.option(
        "--alpha",
        type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
        default=0.05,
        show_default=True,
        help="Flag a move whose corrected p-value is under this.",
    )(f)
    return f


def load_diff(
    repo: str | None, base: str | None, head: str | None, **stats: Any
) -> tuple[Any, dict[str, Any]]:
    from goldset import config, diff, project

    root = project.find_root(repo)
    cfg = config.load(root)
    return cfg, diff.compute(root, cfg, base, head, **stats)


@click.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@format_option("text", "json", "md")
@stats_options
@repo_option
def command(
    base: str | None,
    head: str | None,
    fmt: str,
    seed: int,
    n_boot: int,
    correction: str,
    alpha: float,
    repo: str | None,
) -> int:
    """Compare the golden set and the results between two revisions.

    BASE defaults to the merge-base with the default branch (origin/main or
    main); HEAD defaults to the working tree. Both are read from git objects,
    nothing is checked out. Metrics are paired on the examples unchanged
    between the two sides; changed and new examples are reported apart.
    """
    from goldset import report

    cfg, d = load_diff(
        repo, base, head, seed=seed, n_boot=n_boot, correction=correction, alpha=alpha
    )
    if fmt == "json":
        emit_json(d)
    elif fmt == "md":
        override = cfg.path("templates") if cfg["paths"].get("templates") else None
        click.echo(report.markdown(report.build(d), override=override), nl=False)
    else:
        click.echo(report.diff_text(d), nl=False)
    return 0
