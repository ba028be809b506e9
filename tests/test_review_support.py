"""Builders for review and labels tests: real git repositories in tmp dirs.

No tests here; the review and labels test modules import these helpers.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from goldset.golden import canonical_bytes, content_hash

RUBRIC = [
    {
        "name": "faithful",
        "question": "Does the answer stick to the facts given?",
        "pass_example": "Cites the refund window from the policy.",
        "fail_example": "Invents a 90-day refund window.",
    },
    {
        "name": "concise",
        "question": "Is it short enough to read at a glance?",
        "pass_example": "Two sentences.",
        "fail_example": "Four paragraphs of preamble.",
    },
]


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(days: float) -> str:
    return iso(datetime.now(UTC) - timedelta(days=days))


def example(ex_id: str, category: str, text: str | None = None, **extra: Any) -> dict[str, Any]:
    ex: dict[str, Any] = {
        "id": ex_id,
        "input": text or f"Question {ex_id}?",
        "reference": f"Reference for {ex_id}.",
        "slice": {"category": category},
        "stratum": "real_traffic",
        "tags": [],
        **extra,
    }
    ex["provenance"] = {
        "added_by": "Ada <ada@example.com>",
        "added_at": "2026-11-01T00:00:00Z",
        "why": "test",
        "source": "test",
    }
    ex["content_hash"] = content_hash(ex)
    return ex


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def make_repo(
    root: Path,
    examples: list[dict[str, Any]],
    *,
    results: dict[str, dict[str, str]] | None = None,
    labels: dict[str, list[dict[str, Any]]] | None = None,
    judgments: dict[str, list[dict[str, Any]]] | None = None,
    rubric: list[dict[str, str]] | None = None,
    remind_after_days: int = 7,
) -> Path:
    """A git repository with goldset.yaml, a golden set, results, labels and judgments."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "Ada Lovelace"], check=True)
    subprocess.run(["git", "-C", str(root), "config", "user.email", "ada@example.com"], check=True)
    cfg = {
        "version": 1,
        "slices": ["category"],
        "rubric": {"criteria": RUBRIC if rubric is None else rubric},
        "review": {"remind_after_days": remind_after_days},
    }
    # JSON is YAML: no need for a YAML writer in the tests.
    (root / "goldset.yaml").write_text(json.dumps(cfg, indent=2) + "\n")
    gold = root / "evals" / "golden" / "set.jsonl"
    gold.parent.mkdir(parents=True, exist_ok=True)
    gold.write_bytes(b"".join(canonical_bytes(ex) + b"\n" for ex in examples))
    by_id = {ex["id"]: ex for ex in examples}
    for variant, outs in (results or {}).items():
        rows = [
            {
                "example_id": ex_id,
                "example_hash": by_id[ex_id]["content_hash"],
                "output": out,
                "scores": {},
                "error": None,
            }
            for ex_id, out in outs.items()
        ]
        write_jsonl(root / "evals" / "results" / f"{variant}.jsonl", rows)
    for who, rows in (labels or {}).items():
        write_jsonl(root / "evals" / "labels" / f"{who}.jsonl", rows)
    for judge, rows in (judgments or {}).items():
        write_jsonl(root / "evals" / "judgments" / f"{judge}.jsonl", rows)
    return root


def read_labels(root: Path, who: str) -> list[dict[str, Any]]:
    """Every line of a labels file, parsed strictly (a partial line fails the test)."""
    path = root / "evals" / "labels" / f"{who}.jsonl"
    if not path.exists():
        return []
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "labels file ends mid-line"
    return [orjson.loads(line) for line in data.splitlines()]


def simple_repo(root: Path, n_per_slice: int = 2) -> Path:
    """Three slices, two variants, no labels yet."""
    exs = [
        example(f"{cat}-{i}", cat)
        for cat in ("billing", "math", "writing")
        for i in range(1, n_per_slice + 1)
    ]
    results = {v: {ex["id"]: f"{v} answer to {ex['id']}" for ex in exs} for v in ("gpt", "claude")}
    return make_repo(root, exs, results=results)


# ------------------------------------------------------------ a real terminal


class Terminal:
    """`goldset` under a pseudo-terminal: the review reads real keystrokes."""

    def __init__(self, root: Path, *args: str, lines: int = 400, columns: int = 120) -> None:
        self.master, slave = pty.openpty()
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        env = dict(os.environ)
        env.update(
            {
                "NO_COLOR": "1",
                "LINES": str(lines),
                "COLUMNS": str(columns),
                "TERM": "dumb",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "goldset", "review", *args],
            cwd=root,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.buffer = ""
        self.seen = 0  # expect() searches from here on

    def _read(self, timeout: float) -> bool:
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.buffer += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        """Wait until ``pattern`` appears in output not yet matched; return the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buffer, self.seen)
            if m:
                self.seen = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self.proc.poll() is not None):
                # One last read: the process may have exited after writing.
                while self._read(0.05):
                    pass
                m = rx.search(self.buffer, self.seen)
                if m:
                    self.seen = m.end()
                    return m
                raise AssertionError(
                    f"did not see {pattern!r}; output so far:\n{self.buffer[-3000:]}"
                )

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        rc = self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        return rc

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        with contextlib.suppress(OSError):
            os.close(self.master)
