"""`goldset report`: the pull-request report (markdown, JSON or HTML)."""

from __future__ import annotations

import click

from goldset.cli._common import emit_json, format_option, repo_option
from goldset.cli.diff import load_diff, stats_options


@click.command()
@click.option("--base", default=None, help="Base revision (default: merge-base with main).")
@click.option("--head", default=None, help="Head revision (default: the working tree).")
@format_option("md", "json", "html", default="md")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the report to this file (atomically) instead of stdout.",
)
@click.option(
    "--limit",
    type=click.IntRange(1000),
    default=65536,
    show_default=True,
    help="Fit the markdown under this many characters (GitHub's comment limit).",
)
@stats_options
@repo_option
def command(
    base: str | None,
    head: str | None,
    fmt: str,
    out: str | None,
    limit: int,
    seed: int,
    n_boot: int,
    correction: str,
    alpha: float,
    repo: str | None,
) -> int:
    """Render the report of a change: verdict, per-slice table, judges,
    rankings, quality/cost/latency, CHANGELOG entries and outputs to read.

    Templates come from goldset's templates/ folder, overridden file by file
    by the folder named in paths.templates. The same inputs give the same bytes.
    """
    import json

    from goldset import atomic, report

    cfg, d = load_diff(
        repo, base, head, seed=seed, n_boot=n_boot, correction=correction, alpha=alpha
    )
    model = report.build(d)
    override = cfg.path("templates") if cfg["paths"].get("templates") else None
    if fmt == "json":
        if out is None:
            emit_json(model)
            return 0
        text = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        text = report.html(model, override=override)
    else:
        text = report.markdown(model, override=override, limit=limit)
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic.write_text(out, text)
        click.echo(f"wrote {out}", err=True)
    return 0
