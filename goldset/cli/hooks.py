from __future__ import annotations

from pathlib import Path

import click


@click.group("hooks")
def group() -> None:
    """Install or remove goldset's plain git pre-commit hook."""


@group.command("install")
@click.option("-C", "--repo", type=click.Path(file_okay=False), default=None)
def install(repo: str | None) -> int:
    """Write .git/hooks/pre-commit (respects core.hooksPath; never clobbers a foreign hook)."""
    from goldset import githooks, project

    for r in githooks.install(project.find_root(repo or Path.cwd())):
        click.echo(f"{r.action}: {r.path}")
    return 0


@group.command("uninstall")
@click.option("-C", "--repo", type=click.Path(file_okay=False), default=None)
def uninstall(repo: str | None) -> int:
    """Remove goldset's hook (only one that goldset wrote)."""
    from goldset import githooks, project

    for r in githooks.uninstall(project.find_root(repo or Path.cwd())):
        note = " (not goldset's; left alone)" if r.action == "foreign" else ""
        click.echo(f"{r.action}: {r.path}{note}")
    return 0
