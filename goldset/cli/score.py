"""`goldset score`: apply the programmatic checks of goldset.yaml to the results."""

from __future__ import annotations

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option


@click.command("score")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    help="Variant to score (repeatable; default: all with results).",
)
@format_option("text", "json", "md")
@repo_option
def command(variants: tuple[str, ...], fmt: str, repo: str | None) -> int:
    """Score results with the checks declared under `checks:` (free: no model calls).

    Exact match (with normalisation), regex, contains / not contains, valid
    JSON, JSON-Schema-valid output, numeric tolerance and Python callables
    `module:function`. Scores are written into each record's `scores`.
    """
    from goldset import config, project, scoring

    root = project.find_root(repo)
    project.require_config(root)
    cfg = config.load(root)
    report = scoring.score(cfg, list(variants))
    if fmt == "json":
        emit_json(report)
        return 0
    if fmt == "md":
        echo("| variant | check | pass rate | SE | n |")
        echo("|---|---|---|---|---|")
    for v in report["variants"]:
        for name, s in v["checks"].items():
            mean = "n/a" if s["mean"] is None else f"{s['mean']:.3f}"
            se = "n/a" if s["se"] is None else f"{s['se']:.3f}"
            if fmt == "md":
                echo(f"| {v['variant']} | {name} | {mean} | {se} | {s['n']} |")
            else:
                echo(f"{v['variant']:<20} {name:<20} {mean:>6} ± {se:<6} n={s['n']}")
        if v["stale"] and fmt == "text":
            echo(
                f"  {v['variant']}: {v['stale']} results are stale (their example changed): re-run",
                err=True,
            )
    return 0
