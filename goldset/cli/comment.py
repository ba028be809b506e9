"""``goldset comment``: post the report as one sticky pull request comment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from goldset.cli._common import echo, emit_json, format_option
from goldset.markdown_safe import GITHUB_COMMENT_LIMIT

if TYPE_CHECKING:
    from goldset.comment import CommentResult


@click.command("comment")
@click.option(
    "--repo", "repo", metavar="OWNER/NAME", help="Repository (default: $GITHUB_REPOSITORY)."
)
@click.option(
    "--pr",
    "pr",
    metavar="N",
    help="Pull request number (default: from the event at $GITHUB_EVENT_PATH).",
)
@click.option(
    "--body-file",
    "body_file",
    metavar="FILE|-",
    help="The report markdown (`goldset report --out FILE`); - reads stdin.",
)
@click.option(
    "--api-url",
    "api_url",
    metavar="URL",
    help="GitHub API URL (default: $GITHUB_API_URL or https://api.github.com; "
    "GitHub Enterprise: https://HOST/api/v3).",
)
@click.option(
    "--author",
    "author",
    metavar="LOGIN",
    help="Login the token comments as, when GitHub will not tell (an app token: "
    "'my-app[bot]'). Default: asked from GitHub, else github-actions[bot].",
)
@click.option(
    "--head-sha",
    "head_sha",
    metavar="SHA",
    help="Comment only if the pull request's head is still this commit "
    "(guards the workflow_run pattern against stale or forged artifacts).",
)
@click.option(
    "--limit",
    "limit",
    type=click.IntRange(min=1000),
    default=GITHUB_COMMENT_LIMIT,
    show_default=True,
    help="Comment size limit in characters.",
)
@click.option(
    "-C",
    "project_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Project folder, for rendering the report when no --body-file is given.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be posted; send nothing.")
@format_option("text", "json")
def command(
    repo: str | None,
    pr: str | None,
    body_file: str | None,
    api_url: str | None,
    author: str | None,
    head_sha: str | None,
    limit: int,
    project_dir: str | None,
    dry_run: bool,
    fmt: str,
) -> int:
    """Post the report as ONE sticky comment on a pull request.

    Finds goldset's earlier comment (its hidden marker, by the same author)
    and updates it, or creates one. The token comes from GITHUB_TOKEN or
    GH_TOKEN. The body is sanitised and cut to fit GitHub's size limit, so it
    may come from an untrusted artifact (see docs/github.md).
    """
    from goldset import comment

    if body_file == "-":
        body_text = click.get_text_stream("stdin").read()
    elif body_file:
        body_text = comment.read_body_file(body_file)
    else:
        from goldset.project import find_root

        body_text = comment._default_body(find_root(project_dir))

    result = comment.run(
        body_text=body_text,
        repo=repo,
        pr=pr,
        api_url=api_url,
        author=author,
        head_sha=head_sha,
        dry_run=dry_run,
        limit=limit,
    )
    if fmt == "json":
        emit_json(result.to_json(include_body=dry_run))
        return 0
    _render_text(result)
    return 0


def _render_text(result: CommentResult) -> None:
    where = f"{result.repo}#{result.pr}"
    notes: list[str] = []
    if result.cut:
        notes.append("left out to fit: " + ", ".join(result.cut))
    if result.truncated:
        notes.append("shortened to fit: " + ", ".join(result.truncated))
    if result.duplicates:
        ids = ", ".join(str(i) for i in result.duplicates)
        notes.append(f"other goldset comments by the same author left as they are: {ids}")
    if result.author_source == "fallback":
        notes.append(
            f"GitHub would not say who the token is; matched comments by {result.author} "
            "(pass --author for an app token)"
        )
    if result.dry_run:
        plan = {
            None: f"would post to {where}",
            "create": f"would create a comment on {where}",
            "update": f"would update comment {result.comment_id} on {where}",
            "unchanged": f"comment {result.comment_id} on {where} is up to date; would send nothing",
            "skip": f"would not comment on {where}",
        }[result.action]
        echo(f"goldset: dry run: {plan} ({result.chars:,} characters); nothing sent", err=True)
        for line in [*notes, *([result.reason] if result.reason else [])]:
            echo(f"goldset: {line}", err=True)
        # The body alone on stdout, so `--dry-run > preview.md` is the comment.
        click.echo(result.body, nl=False)
        return
    if result.action == "create":
        echo(f"created the goldset comment on {where}: {result.url or result.comment_id}")
    elif result.action == "update":
        echo(f"updated the goldset comment on {where}: {result.url or result.comment_id}")
    elif result.action == "unchanged":
        echo(f"the goldset comment on {where} is up to date: {result.url or result.comment_id}")
    else:
        echo(f"did not comment: {result.reason}")
    for line in notes:
        echo(f"note: {line}")
