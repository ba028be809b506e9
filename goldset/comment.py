"""``goldset comment``: the report as ONE sticky pull request comment.

The bot's comment is the one that starts with the hidden marker AND is by the
token's author; anyone else's comment carrying the marker (a user pasting it,
another bot) is left alone. Found: it is updated, unless the body is already
the same. Not found: one is created. The body may come from an untrusted
artifact (the workflow_run pattern, docs/github.md), so it is sanitised and
fitted under GitHub's limit here, whoever rendered it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldset.errors import InputError, UsageError
from goldset.github import (
    ACTIONS_BOT,
    GitHub,
    GitHubServerError,
    GitHubUnreachable,
    check_repo,
)
from goldset.markdown_safe import GITHUB_COMMENT_LIMIT, MARKER, fit_markdown

MAX_BODY_BYTES = 16 * 1024 * 1024
"""A report file larger than this is refused rather than read into memory."""

_SHA_RE = re.compile(r"^[0-9a-fA-F]{7,64}$")


@dataclass
class CommentResult:
    """What ``goldset comment`` did (or, with --dry-run, would do)."""

    repo: str
    pr: int
    action: str | None  # create | update | unchanged | skip | None (dry run, no token)
    dry_run: bool
    body: str
    author: str | None = None
    author_source: str | None = None  # option | token | fallback
    comment_id: int | None = None
    url: str | None = None
    cut: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    reason: str | None = None
    limit: int = GITHUB_COMMENT_LIMIT

    @property
    def chars(self) -> int:
        return len(self.body)

    def to_json(self, *, include_body: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "repo": self.repo,
            "pr": self.pr,
            "action": self.action,
            "dry_run": self.dry_run,
            "comment_id": self.comment_id,
            "url": self.url,
            "author": self.author,
            "author_source": self.author_source,
            "chars": self.chars,
            "limit": self.limit,
            "cut_sections": list(self.cut),
            "truncated_sections": list(self.truncated),
            "duplicates": list(self.duplicates),
            "reason": self.reason,
        }
        if include_body:
            data["body"] = self.body
        return data


def token_from_env(env: Mapping[str, str]) -> str | None:
    return env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None


def resolve_repo(repo: str | None, env: Mapping[str, str]) -> str:
    value = repo or env.get("GITHUB_REPOSITORY")
    if not value:
        raise UsageError(
            "which repository? no --repo given and GITHUB_REPOSITORY is not set",
            hint="pass --repo OWNER/NAME",
        )
    check_repo(value)
    return value


def resolve_pr(pr: str | int | None, env: Mapping[str, str]) -> int:
    """The PR number from ``--pr`` or the event payload at GITHUB_EVENT_PATH."""
    if pr is not None:
        return _pr_number(str(pr), "--pr")
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        raise UsageError(
            "which pull request? no --pr given and GITHUB_EVENT_PATH is not set",
            hint="pass --pr N",
        )
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{event_path}: cannot read the event payload ({exc})") from None
    number = _number_from_event(payload)
    if number is None:
        raise UsageError(
            f"{event_path}: this event carries no pull request number",
            hint="pass --pr N (with workflow_run from a fork, read it from the report artifact)",
        )
    return _pr_number(str(number), f"{event_path}: pull request number")


def _number_from_event(payload: Any) -> Any:
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("pull_request"), dict):
        return payload["pull_request"].get("number", payload.get("number"))
    issue = payload.get("issue")
    if isinstance(issue, dict) and "pull_request" in issue:
        return issue.get("number")
    run = payload.get("workflow_run")
    if isinstance(run, dict):
        # Empty for a pull request from a fork: that is why the artifact carries it.
        prs = run.get("pull_requests") or []
        if prs and isinstance(prs[0], dict):
            return prs[0].get("number")
    return None


def _pr_number(value: str, where: str) -> int:
    text = value.strip()
    # Digits only: the number may come from an untrusted artifact.
    if not text.isascii() or not text.isdigit() or int(text) <= 0 or len(text) > 12:
        raise UsageError(f"{where}: {value[:40]!r} is not a pull request number")
    return int(text)


def read_body_file(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BODY_BYTES:
            raise InputError(
                f"{p}: {size:,} bytes is more than a report can be ({MAX_BODY_BYTES:,})",
                hint="is this the right file?",
            )
        return p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{p}: no such file", hint="pass the report from `goldset report --out`"
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read ({exc.strerror})") from None


def _default_body(root: Path) -> str:
    """The report rendered by goldset itself, for when no --body-file is given
    (imported lazily: jinja2 and numpy are heavy)."""
    from goldset import report

    return report.comment_body(root)


def is_own_comment(comment: Mapping[str, Any], author: str, marker: str = MARKER) -> bool:
    """The bot's sticky comment: by ``author`` and starting with ``marker``."""
    user = comment.get("user") or {}
    login = str(user.get("login", "")) if isinstance(user, Mapping) else ""
    body = str(comment.get("body") or "")
    return login.lower() == author.lower() and body.lstrip().startswith(marker)


def _same(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return s.replace("\r\n", "\n").rstrip()

    return norm(a) == norm(b)


def run(
    *,
    body_text: str,
    repo: str | None = None,
    pr: str | int | None = None,
    api_url: str | None = None,
    author: str | None = None,
    head_sha: str | None = None,
    dry_run: bool = False,
    limit: int = GITHUB_COMMENT_LIMIT,
    env: Mapping[str, str] | None = None,
    client_factory: Callable[..., GitHub] = GitHub,
) -> CommentResult:
    """Post ``body_text`` as the sticky goldset comment on a pull request."""
    env = os.environ if env is None else env
    repo_name = resolve_repo(repo, env)
    number = resolve_pr(pr, env)
    if head_sha is not None and not _SHA_RE.match(head_sha):
        raise UsageError(f"--head-sha: {head_sha[:80]!r} is not a commit SHA")
    fit = fit_markdown(body_text, limit=limit)
    result = CommentResult(
        repo=repo_name,
        pr=number,
        action=None,
        dry_run=dry_run,
        body=fit.body,
        cut=fit.cut,
        truncated=fit.truncated,
        limit=limit,
    )
    token = token_from_env(env)
    if not token:
        if dry_run:
            result.reason = "no GITHUB_TOKEN or GH_TOKEN: showing the body only"
            return result
        raise UsageError(
            "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)",
            hint="in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    client = client_factory(token, api_url=api_url or env.get("GITHUB_API_URL") or None)
    try:
        _post(client, result, author=author, head_sha=head_sha)
    except GitHubUnreachable as exc:
        if not dry_run:
            raise
        result.reason = f"GitHub unreachable, showing the body only: {exc.message}"
    return result


def _post(
    client: GitHub, result: CommentResult, *, author: str | None, head_sha: str | None
) -> None:
    if head_sha is not None:
        head = (client.get_pull(result.repo, result.pr).get("head") or {}).get("sha", "")
        if not str(head).lower().startswith(head_sha.lower()):
            # The artifact names a pull request whose head is not the commit the
            # report was built from: stale (a newer push) or forged. Either way, stay quiet.
            result.action = "skip"
            result.reason = (
                f"{result.repo}#{result.pr} is at {str(head)[:12] or '?'}, not {head_sha[:12]}: "
                "the report is for another commit; not commenting"
            )
            return
    if author:
        result.author, result.author_source = author, "option"
    else:
        login = client.token_login()
        if login:
            result.author, result.author_source = login, "token"
        else:
            result.author, result.author_source = ACTIONS_BOT, "fallback"
    existing = _find_own(client, result)
    if existing is not None:
        result.comment_id = int(existing["id"])
        result.url = existing.get("html_url")
        if _same(str(existing.get("body") or ""), result.body):
            result.action = "unchanged"
            return
        result.action = "update"
        if not result.dry_run:
            updated = client.update_issue_comment(result.repo, result.comment_id, result.body)
            result.url = updated.get("html_url", result.url)
        return
    result.action = "create"
    if result.dry_run:
        return
    created = _create_without_duplicating(client, result)
    result.comment_id = int(created["id"]) if created.get("id") is not None else None
    result.url = created.get("html_url")


def _find_own(client: GitHub, result: CommentResult) -> dict[str, Any] | None:
    assert result.author is not None
    own = [
        c
        for c in client.list_issue_comments(result.repo, result.pr)
        if is_own_comment(c, result.author)
    ]
    if not own:
        return None
    # Two of ours can exist after a race between runs; keep editing the oldest.
    own.sort(key=lambda c: (str(c.get("created_at") or ""), int(c.get("id") or 0)))
    result.duplicates = [int(c["id"]) for c in own[1:]]
    return own[0]


def _create_without_duplicating(client: GitHub, result: CommentResult) -> dict[str, Any]:
    """POST the comment; after a 5xx, look before posting again.

    GitHub sometimes answers 502 to a POST it carried out; a blind retry would
    leave two sticky comments.
    """
    attempts = max(1, client.max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            return client.create_issue_comment(result.repo, result.pr, result.body)
        except (GitHubServerError, GitHubUnreachable):
            if attempt == attempts:
                raise
            client.pause(attempt, f"commenting on {result.repo}#{result.pr}")
            existing = _find_own(client, result)
            if existing is not None:
                if _same(str(existing.get("body") or ""), result.body):
                    return existing
                return client.update_issue_comment(result.repo, int(existing["id"]), result.body)
    raise AssertionError("unreachable")
