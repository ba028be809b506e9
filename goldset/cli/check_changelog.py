from __future__ import annotations

import click

from goldset.cli._common import emit_json, format_option, repo_option


@click.command("check-changelog")
@click.option("--staged", is_flag=True, help="Check the staged change (the pre-commit hook).")
@click.option(
    "--range", "spec", metavar="BASE..HEAD", help="Check a commit range as one change (CI)."
)
@repo_option
@format_option("text", "json", "github")
def command(staged: bool, spec: str | None, repo: str | None, fmt: str) -> int:
    """Refuse any added, changed or removed example that the same change does not
    justify in the CHANGELOG. CI runs it over the PR's range, so --no-verify
    cannot bypass it."""
    from goldset import changes, config, project
    from goldset.errors import UsageError
    from goldset.problems import render

    if staged == bool(spec):
        raise UsageError("give exactly one of --staged or --range BASE..HEAD")
    root = project.find_root(repo)
    project.require_config(root)
    cfg = config.load(root)
    result = changes.check_range(cfg, spec) if spec else changes.check_staged(cfg)
    if fmt == "json":
        emit_json(
            {
                "ok": not result.problems,
                "range": result.range,
                "changes": [c._asdict() for c in result.changes],
                "justified": {k: [e.reason for e in v] for k, v in result.justified.items()},
                "problems": [p.as_dict() for p in result.problems],
            }
        )
    else:
        n = len(result.changes)
        summary = (
            f"goldset check-changelog: {len(result.problems)} problem(s) in {result.range}"
            if result.problems
            else f"goldset check-changelog: {n} example change(s) in {result.range}, all justified"
        )
        click.echo(render(result.problems, fmt, summary), nl=False)
    return 1 if result.problems else 0
