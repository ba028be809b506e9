from __future__ import annotations

from pathlib import Path

import click

from goldset.cli._common import emit_json, format_option, repo_option


@click.command("init")
@repo_option
@format_option("text", "json")
def command(repo: str | None, fmt: str) -> int:
    """Scaffold goldset in this repository (idempotent; never overwrites a file)."""
    from goldset import scaffold

    root = Path(repo or ".").resolve()
    res = scaffold.init_project(root)
    if fmt == "json":
        emit_json(
            {
                "created": res.created,
                "updated": res.updated,
                "skipped": res.skipped,
                "notes": res.notes,
            }
        )
        return 0
    for p in res.created:
        click.echo(f"  created  {p}")
    for p in res.updated:
        click.echo(f"  updated  {p}")
    for p in res.skipped:
        click.echo(f"  exists   {p} (left as it is)")
    for n in res.notes:
        click.echo(f"  note: {n}")
    click.echo(
        "\nNext steps:\n"
        "  goldset add --input '...' --reference '...' --stratum real_traffic --why 'why this example matters'\n"
        "  goldset validate\n"
        "  goldset hooks install        # or: pre-commit install (uses .pre-commit-config.yaml)\n"
        "  git add -A && git commit -m 'Start the golden set'"
    )
    return 0
