from __future__ import annotations

import click

from goldset.cli._common import emit_json, format_option, repo_option


@click.command("fmt")
@click.option(
    "--check",
    is_flag=True,
    help="Report files that are not canonical; change nothing (exit 1 if any).",
)
@repo_option
@format_option("text", "json")
def command(check: bool, repo: str | None, fmt: str) -> int:
    """Rewrite golden files in canonical form: one example per line, fixed key order,
    UTF-8, \\n line endings, fresh content hashes."""
    from goldset import config, project
    from goldset import fmt as fmt_core

    root = project.find_root(repo)
    project.require_config(root)
    res = fmt_core.run(config.load(root), check=check)
    if fmt == "json":
        emit_json({"changed": res.changed, "unchanged": res.unchanged, "check": check})
    else:
        verb = "would reformat" if check else "reformatted"
        for p in res.changed:
            click.echo(f"{verb} {p}")
        click.echo(f"{len(res.changed)} file(s) {verb}, {len(res.unchanged)} already canonical")
    return 1 if (check and res.changed) else 0
