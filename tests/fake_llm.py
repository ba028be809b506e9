"""A small OpenAI-compatible chat server on 127.0.0.1 that stands in for a provider.

Tests point litellm's real client at it (``model="openai/fake-model"``,
``api_base=server.url``). It speaks just enough HTTP/1.1 (keep-alive,
Content-Length bodies) for httpx, on its own asyncio loop in a thread, so
hundreds of slow requests cost no threads.

Behaviours, selected per server (``server.behaviour = "first"``) or per model
name (``server.by_model["openai/judge-first"] = "first"``, matched on the
model field the client sends, i.e. without the ``openai/`` prefix):

- ``normal``: a generation gets ``"answer: <last line of the prompt>"``; a
  pointwise judge prompt gets every criterion passed unless the output
  contains ``FAIL``; a pairwise prompt prefers the longer answer (so it is
  position-consistent and shows a length preference).
- ``first``: a pairwise judge that always prefers the answer shown first.
- ``slow``: ``normal`` after ``server.delay`` seconds.
- ``429``: each distinct request body is refused once with 429 and
  ``Retry-After: server.retry_after``, then answered normally.
- ``5xx``: each distinct request body gets a 503 once, then a normal answer.
- ``garbage``: a reply that is not JSON and names no verdict.

Run standalone for benchmarks: ``python tests/fake_llm.py --delay 0.2``
prints ``PORT <n>`` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

Responder = Callable[[dict[str, Any]], str]

_CRITERIA_RE = re.compile(r'"([A-Za-z0-9_.-]+)": \{"pass": true\|false')
_OUTPUT_RE = re.compile(r"<<<OUTPUT ?([AB]?)>>>\n(.*?)\n<<<END OUTPUT ?\1>>>", re.DOTALL)


def _prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for m in body.get("messages") or []:
        c = m.get("content")
        if isinstance(c, str):
            parts.append(c)
    return "\n".join(parts)


def normal_answer(body: dict[str, Any]) -> str:
    text = _prompt_text(body)
    answers = dict(_OUTPUT_RE.findall(text))
    if "A" in answers and "B" in answers:
        la, lb = len(answers["A"]), len(answers["B"])
        winner = "A" if la > lb else "B" if lb > la else "tie"
        return json.dumps({"reasoning": "the longer answer is more complete", "winner": winner})
    names = _CRITERIA_RE.findall(text)
    if names:
        output = next(iter(answers.values()), text)
        ok = "FAIL" not in output
        return json.dumps(
            {
                "criteria": {
                    n: {"pass": ok, "reason": "looks right" if ok else "says FAIL"} for n in names
                }
            }
        )
    last = text.strip().splitlines()[-1] if text.strip() else ""
    return f"answer: {last}"


def first_answer(body: dict[str, Any]) -> str:
    if len(_OUTPUT_RE.findall(_prompt_text(body))) >= 2:
        return json.dumps({"reasoning": "the first one reads better", "winner": "A"})
    return normal_answer(body)


def garbage_answer(body: dict[str, Any]) -> str:
    return "Well, it depends. Both have merits and I could not possibly say."


class FakeLLM:
    """The server. Use as a context manager, or start()/stop()."""

    def __init__(self, behaviour: str = "normal", delay: float = 0.0) -> None:
        self.behaviour = behaviour
        self.by_model: dict[str, str] = {}
        self.delay = delay
        self.retry_after = "1"
        self.responders: dict[str, Responder] = {
            "normal": normal_answer,
            "slow": normal_answer,
            "429": normal_answer,
            "5xx": normal_answer,
            "first": first_answer,
            "garbage": garbage_answer,
        }
        self.port = 0
        self.requests: list[dict[str, Any]] = []
        self.statuses: Counter[int] = Counter()
        self.max_in_flight = 0
        self._in_flight = 0
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.record = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> FakeLLM:
        self._thread = threading.Thread(target=self._run, name="fake-llm", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake LLM server did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            tasks = asyncio.all_tasks(loop)
            for t in tasks:
                t.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    # -- counting ----------------------------------------------------------
    def calls(self, status: int = 200) -> int:
        return self.statuses[status]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self._seen.clear()
            self.max_in_flight = 0

    # -- HTTP --------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, extra, payload = await self._respond(method, path, body)
                out = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}"]
                out.append("Content-Type: application/json")
                out.append(f"Content-Length: {len(payload)}")
                out.extend(f"{k}: {v}" for k, v in extra.items())
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(RuntimeError):
                writer.close()

    async def _respond(
        self, method: str, path: str, raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            return 404, {}, b'{"error": {"message": "not found"}}'
        body = json.loads(raw)
        model = str(body.get("model", ""))
        behaviour = self.by_model.get(model, self.behaviour)
        key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            self._seen[key] += 1
            attempt = self._seen[key]
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if behaviour == "slow" or self.delay:
                await asyncio.sleep(self.delay)
            if behaviour == "429" and attempt == 1:
                status, extra, payload = (
                    429,
                    {"Retry-After": self.retry_after},
                    _error("rate limited"),
                )
            elif behaviour == "5xx" and attempt == 1:
                status, extra, payload = 503, {}, _error("overloaded")
            else:
                content = self.responders[behaviour](body)
                status, extra, payload = 200, {}, _completion(model, body, content)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self.statuses[status] += 1
            if self.record:
                self.requests.append(
                    {"model": model, "status": status, "body": body, "at": time.time()}
                )
        return status, extra, payload


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "server_error"}}).encode()


def _completion(model: str, body: dict[str, Any], content: str) -> bytes:
    prompt_tokens = max(1, len(_prompt_text(body).split()))
    completion_tokens = max(1, len(content.split()))
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1764432000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    ).encode()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--behaviour", default="normal")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    server = FakeLLM(args.behaviour, delay=args.delay)
    server.port = args.port
    server.record = False
    server.start()
    sys.stdout.write(f"PORT {server.port}\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()


# -- a goldset project wired to the server, for the tests --------------------


def write_examples(root: Any, examples: list[dict[str, Any]]) -> None:
    """Write ``examples`` as the golden set of the project at ``root`` (canonical form)."""
    from pathlib import Path

    from goldset import golden

    folder = Path(root) / "evals" / "golden"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for ex in examples:
        ex = {"slice": {}, "stratum": "real_traffic", **ex}
        ex.pop("content_hash", None)
        ex["content_hash"] = golden.content_hash(ex)
        lines.append(golden.canonical_bytes(ex) + b"\n")
    (folder / "set.jsonl").write_bytes(b"".join(lines))


def make_project(root: Any, server: FakeLLM, config: str, examples: list[dict[str, Any]]) -> Any:
    """A goldset project at ``root``: goldset.yaml (``{api_base}`` filled in) and examples."""
    from pathlib import Path

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    (root / "goldset.yaml").write_text(config.replace("{api_base}", server.url), "utf-8")
    write_examples(root, examples)
    return root
