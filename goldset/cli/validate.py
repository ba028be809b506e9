from __future__ import annotations

import click

from goldset.cli._common import emit_json, format_option, repo_option


@click.command("validate")
@click.argument("paths", nargs=-1)
@click.option(
    "--staged", is_flag=True, help="Validate the index (what is staged), not the working tree."
)
@click.option("--rev", help="Validate the set as of this commit.")
@click.option(
    "--jobs", type=click.IntRange(1, 64), help="Processes for large files (default: up to 2)."
)
@repo_option
@format_option("text", "json", "github")
def command(
    paths: tuple[str, ...],
    staged: bool,
    rev: str | None,
    jobs: int | None,
    repo: str | None,
    fmt: str,
) -> int:
    """Check the golden set: JSONL syntax, JSON Schema, unique ids, canonical form,
    stratification, and that results, labels and judgments point at real examples.

    Exit 0 when clean, 1 when problems were found, 2 on a usage or config error.
    """
    from goldset import config, project, trees, validate
    from goldset.errors import UsageError
    from goldset.problems import render

    if staged and rev:
        raise UsageError("--staged and --rev are exclusive")
    root = project.find_root(repo)
    project.require_config(root)
    cfg = config.load(root)
    rel_paths = [project.inside(root, p).relative_to(root).as_posix() for p in paths]
    tree: trees.Tree
    if staged:
        tree = trees.IndexTree(root)
    elif rev:
        tree = trees.RevTree(root, rev)
    else:
        tree = trees.WorkTree(root)
    try:
        report = validate.run(cfg, tree, paths=rel_paths or None, jobs=jobs)
    finally:
        tree.close()
    if fmt == "json":
        emit_json(report.as_dict())
    else:
        summary = (
            f"goldset validate ({report.source}): {report.examples} examples in {report.files} files: "
            f"{report.errors} errors, {report.warnings} warnings"
        )
        out = render(report.problems, fmt, summary)
        click.echo(out, nl=False)
    return 1 if report.errors else 0
