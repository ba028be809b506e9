"""The content-addressed call cache, and the durable appender that feeds files.

Where it lives: ``.goldset/cache/calls.jsonl`` at the project root (or
``$GOLDSET_CACHE_DIR``). The folder carries its own ``.gitignore`` (``*``),
like ``.pytest_cache``, so it is never committed and the user's .gitignore is
left alone. Not under ``.git/``: a CI job can persist this folder with a
plain ``actions/cache`` path, it works in a git worktree (where ``.git`` is a
file) and in a project that is not a repository, and deleting it is the
obvious way to start fresh. It survives branch switches like ``.git`` would.

One append-only JSONL log, one line per answered call, keyed by the SHA-256
of everything that can change the answer (goldset.llm.call_key). Appends are
single ``write(2)`` calls on an O_APPEND file, so two goldset processes can
share it; a torn last line (a crash mid-write) is skipped on load. Errors are
never cached: a failed call is retried on the next run.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Any

import orjson

from goldset import atomic
from goldset.llm import Reply

ENV = "GOLDSET_CACHE_DIR"
LOG_NAME = "calls.jsonl"


def cache_dir(root: Path) -> Path:
    env = os.environ.get(ENV)
    return Path(env) if env else root / ".goldset" / "cache"


def _ensure_ignored(folder: Path) -> None:
    top = folder.parent if folder.parent.name == ".goldset" else folder
    ignore = top / ".gitignore"
    if not ignore.exists():
        atomic.write_text(ignore, "# goldset's local call cache and locks: never committed\n*\n")


class CallCache:
    """key -> cached Reply. Loaded once, appended through a DurableAppender."""

    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.folder = cache_dir(root)
        self.path = self.folder / LOG_NAME
        self.enabled = enabled
        self._entries: dict[str, dict[str, Any]] | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, dict[str, Any]] = {}
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            data = b""
        for line in data.split(b"\n"):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # a torn line from a crash: that call is simply made again
            if isinstance(rec, dict) and isinstance(rec.get("key"), str):
                entries[rec["key"]] = rec
        self._entries = entries
        return entries

    def __len__(self) -> int:
        return len(self._load())

    def get(self, key: str) -> Reply | None:
        if not self.enabled:
            return None
        rec = self._load().get(key)
        if rec is None:
            return None
        return Reply(
            text=rec.get("text"),
            cost=rec.get("cost"),
            latency_ms=rec.get("latency_ms"),
            tokens=rec.get("tokens") or {},
            cached=True,
        )

    def line(self, key: str, reply: Reply, model: str) -> bytes | None:
        """The log line for a fresh successful reply (None for errors: never cached)."""
        if reply.error is not None or reply.cached:
            return None
        rec = {"key": key, "model": model, **reply.as_cache_entry()}
        self._load()[key] = rec
        if not self.path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            _ensure_ignored(self.folder)
        return orjson.dumps(rec) + b"\n"


class DurableAppender:
    """Appends lines to files from a background thread, fsynced in small groups.

    fsync costs ~1-2 ms; doing it on the event loop for every reply would cap
    a run at a few hundred calls a second. The thread writes whatever has
    queued since its last write in one ``atomic.append_bytes`` per file, so a
    line is on disk milliseconds after the reply lands, and ``close()`` (also
    on Ctrl-C) flushes the rest.
    """

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[tuple[Path, bytes] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="goldset-appender", daemon=True)
        self._thread.start()

    def put(self, path: Path, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._q.put((path, data))

    def _loop(self) -> None:
        done = False
        while not done:
            item = self._q.get()
            batch: dict[Path, list[bytes]] = {}
            while True:
                if item is None:
                    done = True
                else:
                    batch.setdefault(item[0], []).append(item[1])
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
            for path, chunks in batch.items():
                try:
                    atomic.append_bytes(path, b"".join(chunks))
                except BaseException as exc:
                    self._error = exc

    def close(self) -> None:
        self._q.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> DurableAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
