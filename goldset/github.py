"""The forge: a small GitHub REST client (stdlib only) for the PR comment bot.

One home for everything that talks to GitHub: token auth, GitHub Enterprise
API URLs, JSON, Link-header pagination, and retries. A retry waits
exponentially on 5xx answers and network errors, and on a rate limit (403 or
429 with ``Retry-After``, or with ``x-ratelimit-remaining: 0``, or whose
message says so) waits as long as GitHub asks; attempts and total waiting are
bounded, and the sleep is injectable so tests take no time. Failures become
:class:`GitHubError` (a ``UsageError``, exit 2) naming what to check.

A POST is not idempotent: a 5xx after GitHub created the comment would
duplicate it on retry, so callers pass ``retry_server_errors=False`` and
decide themselves (``goldset.comment`` re-reads the comments first).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from goldset import __version__
from goldset.errors import UsageError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
ACTIONS_BOT = "github-actions[bot]"
"""Who a comment made with the Actions ``GITHUB_TOKEN`` is by."""

_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_NEXT_RE = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class GitHubError(UsageError):
    """GitHub could not be reached, refused, or failed: exit 2 with what to check."""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None):
        super().__init__(message, hint=hint)
        self.status = status


class GitHubAuthError(GitHubError):
    """401: the token is missing, wrong or expired."""


class GitHubForbidden(GitHubError):
    """403 without a rate limit: the token lacks a permission."""


class GitHubNotFound(GitHubError):
    """404: no such repository, issue or comment (or no access to it)."""


class GitHubServerError(GitHubError):
    """5xx that outlasted the retries (or was not retried)."""


class GitHubUnreachable(GitHubError):
    """No HTTP answer at all: DNS, connection refused, timeout."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-cased names
    data: Any
    url: str


def check_repo(repo: str) -> tuple[str, str]:
    """``OWNER/NAME`` split in two, or a UsageError saying what is wrong."""
    if not _REPO_RE.match(repo or ""):
        raise UsageError(
            f"{repo!r}: not a repository name of the form OWNER/NAME",
            hint="pass --repo OWNER/NAME or set GITHUB_REPOSITORY",
        )
    owner, name = repo.split("/")
    return owner, name


def _default_sleep(seconds: float) -> None:
    time.sleep(seconds)


class _SameHostRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects (a renamed repository answers 301) but never carry the
    token to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            old_host = urllib.parse.urlsplit(req.full_url)[:2]
            if urllib.parse.urlsplit(new.full_url)[:2] == old_host:
                auth = req.unredirected_hdrs.get("Authorization")
                if auth:
                    new.add_unredirected_header("Authorization", auth)
        return new


class GitHub:
    """A GitHub REST API client bound to one token and one API URL."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        user_agent: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_wait: float = 180.0,
        backoff: float = 1.0,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], float] | None = None,
    ) -> None:
        if not token:
            raise GitHubAuthError(
                "no GitHub token", hint="set GITHUB_TOKEN (or GH_TOKEN) to a token that can comment"
            )
        self.token = token
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        parts = urllib.parse.urlsplit(self.api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(
                f"{self.api_url!r}: not an http(s) API URL",
                hint="GitHub Enterprise: --api-url https://HOST/api/v3",
            )
        self._origin = (parts.scheme, parts.netloc)
        self.user_agent = user_agent or f"goldset/{__version__}"
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_wait = max_wait
        self.backoff = backoff
        self._sleep = sleep
        self._now = now or time.time
        self._opener = urllib.request.build_opener(_SameHostRedirect())
        self.waited = 0.0  # seconds slept in retries, for the caller's report

    # --- transport -----------------------------------------------------------

    def _url(self, path_or_url: str, params: Mapping[str, Any] | None) -> str:
        if path_or_url.startswith(("http://", "https://")):
            url = path_or_url
            if urllib.parse.urlsplit(url)[:2] != self._origin:
                # A Link header pointing elsewhere must not receive the token.
                raise GitHubError(
                    f"GitHub answered with a link to another host: {url}",
                    hint="check --api-url / GITHUB_API_URL",
                )
        else:
            url = self.api_url + "/" + path_or_url.lstrip("/")
        if params:
            sep = "&" if "?" in url else "?"
            url += sep + urllib.parse.urlencode(params)
        return url

    def _send_once(
        self, method: str, url: str, payload: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(url, data=payload, method=method)
        # Unredirected: urllib would otherwise copy it onto a redirect to any host.
        req.add_unredirected_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", API_VERSION)
        req.add_header("User-Agent", self.user_agent)
        if payload is not None:
            req.add_header("Content-Type", "application/json; charset=utf-8")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return resp.status, _lower(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                body = exc.read() if exc.fp is not None else b""
            return exc.code, _lower(exc.headers), body

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        what: str = "",
        retry_server_errors: bool = True,
    ) -> Response:
        """Send one API request, retrying as described in the module docstring.

        ``what`` names the operation in error messages ("listing comments on
        o/r#7"). Returns the decoded JSON (or None for an empty body).
        """
        url = self._url(path, params)
        what = what or f"{method} {url}"
        payload = None if body is None else json.dumps(body).encode("utf-8")
        attempt = 0
        while True:
            attempt += 1
            try:
                status, headers, raw = self._send_once(method, url, payload)
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if not retry_server_errors or attempt >= self.max_attempts:
                    raise GitHubUnreachable(
                        f"{what}: cannot reach {self.api_url} ({reason})",
                        hint="check the network and --api-url / GITHUB_API_URL",
                    ) from None
                self._wait(self._backoff(attempt), what, "network error")
                continue
            data = _decode(raw)
            if 200 <= status < 300:
                return Response(status, headers, data, url)
            delay = self._rate_limit_delay(status, headers, data, attempt)
            if delay is not None:
                if attempt >= self.max_attempts:
                    raise GitHubError(
                        f"{what}: GitHub rate limit still in force after {attempt} attempts",
                        hint="wait and re-run, or use a token with a higher limit",
                        status=status,
                    )
                self._wait(delay, what, "rate limit")
                continue
            if status >= 500 and retry_server_errors and attempt < self.max_attempts:
                self._wait(self._backoff(attempt), what, f"HTTP {status}")
                continue
            raise self._error(status, data, what, attempt)

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1), 30.0)

    def pause(self, attempt: int, what: str) -> None:
        """Wait before the caller's own retry number ``attempt`` (same budget)."""
        self._wait(self._backoff(attempt), what, "retry")

    def _rate_limit_delay(
        self, status: int, headers: Mapping[str, str], data: Any, attempt: int
    ) -> float | None:
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            seconds = _parse_retry_after(retry_after, self._now())
            if seconds is not None:
                return seconds
        if headers.get("x-ratelimit-remaining") == "0":
            try:
                reset = float(headers.get("x-ratelimit-reset", ""))
            except ValueError:
                return 60.0
            return max(reset - self._now(), 0.0) + 1.0
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        if status == 429 or "rate limit" in message.lower():
            # GitHub's guidance: without headers, wait at least a minute, then longer.
            return 60.0 * 2 ** (attempt - 1)
        return None

    def _wait(self, seconds: float, what: str, why: str) -> None:
        if self.waited + seconds > self.max_wait:
            raise GitHubError(
                f"{what}: GitHub asks to wait {seconds:.0f}s ({why}), more than the "
                f"{self.max_wait:.0f}s retry budget left ({self.max_wait - self.waited:.0f}s)",
                hint="re-run the job later",
            )
        self.waited += seconds
        sleep = self._sleep or _default_sleep
        sleep(seconds)

    def _error(self, status: int, data: Any, what: str, attempts: int) -> GitHubError:
        message = ""
        if isinstance(data, dict):
            message = str(data.get("message", ""))
            errors = data.get("errors")
            if isinstance(errors, list) and errors:
                details = "; ".join(
                    str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                    for e in errors
                )
                message = f"{message}: {details}" if message else details
        said = f" ({message})" if message else ""
        if status == 401:
            return GitHubAuthError(
                f"{what}: GitHub rejected the token (401{said})",
                hint="check that GITHUB_TOKEN / GH_TOKEN is set, not expired, and issued by "
                f"{self.api_url} (GitHub Enterprise: pass --api-url)",
                status=status,
            )
        if status == 403:
            return GitHubForbidden(
                f"{what}: GitHub refused (403{said})",
                hint="the token lacks permission: a workflow needs `permissions: "
                "pull-requests: write`; a fine-grained token needs Pull requests: read and write; "
                "a pull request from a fork gets a read-only token (see docs/github.md)",
                status=status,
            )
        if status == 404:
            return GitHubNotFound(
                f"{what}: not found (404{said})",
                hint="check the repository OWNER/NAME and the pull request number; a token "
                "without access to a private repository also gets 404",
                status=status,
            )
        if status >= 500:
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            return GitHubServerError(
                f"{what}: GitHub failed with HTTP {status}{tries}{said}",
                hint="GitHub may be having an outage (githubstatus.com); re-run the job",
                status=status,
            )
        return GitHubError(f"{what}: GitHub answered HTTP {status}{said}", status=status)

    def paginate(
        self, path: str, *, params: Mapping[str, Any] | None = None, what: str = ""
    ) -> list[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"``."""
        items: list[Any] = []
        next_url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        pages = 0
        while next_url is not None:
            resp = self.request("GET", next_url, params=query, what=what)
            query = None  # the next link carries its own query string
            if not isinstance(resp.data, list):
                raise GitHubError(f"{what or path}: expected a JSON list from GitHub")
            items.extend(resp.data)
            pages += 1
            if pages > 1000:  # a server looping its Link header must not hang a CI job
                raise GitHubError(f"{what or path}: more than 1000 pages; giving up")
            next_url = _next_link(resp.headers.get("link", ""))
        return items

    # --- endpoints -------------------------------------------------------------

    def token_login(self) -> str | None:
        """The login the token acts as, or None when GitHub will not say.

        ``GET /user`` is forbidden for the Actions ``GITHUB_TOKEN`` and for
        GitHub App installation tokens (403 "Resource not accessible by
        integration"); the caller then falls back to ``github-actions[bot]``
        or to ``--author``.
        """
        try:
            resp = self.request("GET", "/user", what="asking GitHub who the token belongs to")
        except GitHubForbidden:
            return None
        login = resp.data.get("login") if isinstance(resp.data, dict) else None
        return str(login) if login else None

    def list_issue_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        owner, name = check_repo(repo)
        return self.paginate(
            f"/repos/{owner}/{name}/issues/{int(number)}/comments",
            what=f"listing the comments on {repo}#{number}",
        )

    def create_issue_comment(
        self, repo: str, number: int, body: str, *, retry_server_errors: bool = False
    ) -> dict[str, Any]:
        owner, name = check_repo(repo)
        resp = self.request(
            "POST",
            f"/repos/{owner}/{name}/issues/{int(number)}/comments",
            body={"body": body},
            what=f"commenting on {repo}#{number}",
            retry_server_errors=retry_server_errors,
        )
        return dict(resp.data or {})

    def update_issue_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        owner, name = check_repo(repo)
        # PATCH with the same body is idempotent, so 5xx answers are retried.
        resp = self.request(
            "PATCH",
            f"/repos/{owner}/{name}/issues/comments/{int(comment_id)}",
            body={"body": body},
            what=f"updating comment {comment_id} on {repo}",
        )
        return dict(resp.data or {})

    def get_pull(self, repo: str, number: int) -> dict[str, Any]:
        owner, name = check_repo(repo)
        resp = self.request(
            "GET",
            f"/repos/{owner}/{name}/pulls/{int(number)}",
            what=f"reading pull request {repo}#{number}",
        )
        return dict(resp.data or {})


def _lower(headers: Any) -> dict[str, str]:
    if headers is None:
        return {}
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        # An HTML error page from a proxy or load balancer: keep a readable excerpt.
        return {"message": raw[:200].decode("utf-8", "replace").strip()}


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        m = _NEXT_RE.search(part)
        if m:
            return m.group(1)
    return None


def _parse_retry_after(value: str, now: float) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)
