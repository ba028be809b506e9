"""A small GitHub REST API on 127.0.0.1 for the comment bot's tests.

It speaks the endpoints goldset uses (GET /user, list/create issue comments
with Link-header pagination, PATCH a comment, GET a pull request), checks the
bearer token, enforces GitHub's 65,536-character body limit and that only a
comment's author edits it, records every request, and can be told to fail:
``fail("GET", r"/comments$", 502)`` answers the next matching request with a
502; ``after_apply=True`` carries the request out first (GitHub sometimes
answers 502 to a POST it did create).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BODY_LIMIT = 65536


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    after_apply: bool = False


class FakeGitHub:
    def __init__(self, *, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        # token -> login; None is an integration token (GITHUB_TOKEN): /user is
        # forbidden and its comments are by github-actions[bot].
        self.tokens: dict[str, str | None] = {}
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.pulls: dict[tuple[str, int], str] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self._next_id = 1000
        self._clock = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                fake._dispatch(self)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.origin + self.prefix

    # --- test set-up and inspection ---------------------------------------------

    def add_token(self, token: str, login: str | None) -> None:
        self.tokens[token] = login

    def add_comment(self, repo: str, number: int, body: str, login: str) -> dict[str, Any]:
        with self._lock:
            return self._new_comment(repo, number, body, login)

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        after_apply: bool = False,
    ) -> None:
        self.faults.append(
            Fault(method, re.compile(pattern), status, headers or {}, body, times, after_apply)
        )

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]

    def comments_on(self, repo: str, number: int) -> list[dict[str, Any]]:
        return self.comments.get((repo, number), [])

    # --- the API ---------------------------------------------------------------

    def _new_comment(self, repo: str, number: int, body: str, login: str) -> dict[str, Any]:
        self._next_id += 1
        self._clock += 1
        cid = self._next_id
        stamp = f"2026-11-29T12:{self._clock // 60:02d}:{self._clock % 60:02d}Z"
        comment = {
            "id": cid,
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{cid}",
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        parts = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        method = h.command
        path = parts.path
        with self._lock:
            self.requests.append(
                Recorded(method, path, query, {k.lower(): v for k, v in h.headers.items()}, body)
            )
            fault = next(
                (f for f in self.faults if f.method == method and f.pattern.search(path)), None
            )
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                if not fault.after_apply:
                    self._send(h, fault.status, fault.body or {"message": "fault"}, fault.headers)
                    return
            status, data, headers = self._route(method, path, query, body, h)
        if fault is not None:
            self._send(h, fault.status, fault.body or {"message": "fault"}, fault.headers)
            return
        self._send(h, status, data, headers)

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        h: BaseHTTPRequestHandler,
    ) -> tuple[int, Any, dict[str, str]]:
        if not path.startswith(self.prefix + "/"):
            return 404, {"message": "Not Found"}, {}
        path = path[len(self.prefix) :]
        auth = h.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if token not in self.tokens:
            return 401, {"message": "Bad credentials"}, {}
        login = self.tokens[token]
        author = login or "github-actions[bot]"

        if path == "/user" and method == "GET":
            if login is None:
                return 403, {"message": "Resource not accessible by integration"}, {}
            return 200, {"login": login, "type": "User"}, {}

        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path)
        if m:
            repo, number = m.group(1), int(m.group(2))
            if method == "GET":
                return self._page(path, query, self.comments_on(repo, number))
            if method == "POST":
                text = (body or {}).get("body")
                if not isinstance(text, str) or not text:
                    return 422, {"message": "Validation Failed"}, {}
                if len(text) > BODY_LIMIT:
                    return 422, _too_long(), {}
                return 201, self._new_comment(repo, number, text, author), {}

        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path)
        if m and method == "PATCH":
            repo, cid = m.group(1), int(m.group(2))
            for (r, _n), items in self.comments.items():
                for c in items:
                    if r == repo and c["id"] == cid:
                        if c["user"]["login"] != author:
                            return 403, {"message": "Must have admin rights to Repository."}, {}
                        text = (body or {}).get("body")
                        if not isinstance(text, str) or len(text) > BODY_LIMIT:
                            return 422, _too_long(), {}
                        self._clock += 1
                        c["body"] = text
                        c["updated_at"] = f"2026-11-29T13:00:{self._clock % 60:02d}Z"
                        return 200, c, {}
            return 404, {"message": "Not Found"}, {}

        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/pulls/(\d+)", path)
        if m and method == "GET":
            key = (m.group(1), int(m.group(2)))
            if key not in self.pulls:
                return 404, {"message": "Not Found"}, {}
            return 200, {"number": key[1], "head": {"sha": self.pulls[key]}}, {}

        return 404, {"message": "Not Found"}, {}

    def _page(
        self, path: str, query: dict[str, str], items: list[Any]
    ) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        headers: dict[str, str] = {}
        if page < last:
            base = self.url + path
            nxt = f"{base}?per_page={per_page}&page={page + 1}"
            end = f"{base}?per_page={per_page}&page={last}"
            headers["Link"] = f'<{nxt}>; rel="next", <{end}>; rel="last"'
        return 200, chunk, headers

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, data: Any, headers: dict[str, str]) -> None:
        payload = json.dumps(data).encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)


def _too_long() -> dict[str, Any]:
    return {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "IssueComment",
                "code": "unprocessable",
                "field": "data",
                "message": "Body is too long (maximum is 65536 characters)",
            }
        ],
    }
