"""A one-line progress bar on stderr: calls, cache hits, cost so far, ETA.

Plain ``\\r`` rewrites (no rich): quiet when stderr is not a terminal, so CI
logs and captured output stay clean, and redrawn at most ten times a second.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

WIDTH = 24


def _eta(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    def __init__(
        self, label: str, *, stream: IO[str] | None = None, enabled: bool | None = None
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self._last = 0.0
        self._start = time.monotonic()
        self._drawn = False

    def line(self, stats: Any) -> str:
        total = max(1, stats.total)
        done = stats.calls + stats.hits
        filled = int(WIDTH * done / total)
        bar = "#" * filled + "." * (WIDTH - filled)
        elapsed = time.monotonic() - self._start
        fresh_left = max(0, stats.total - done - stats.skipped)
        eta = "--:--"
        if stats.calls:
            eta = _eta(elapsed / stats.calls * fresh_left)
        elif fresh_left == 0:
            eta = _eta(0)
        cost = stats.cost_fresh
        return (
            f"{self.label} [{bar}] {done}/{stats.total}  calls {stats.calls}  "
            f"cached {stats.hits}  errors {stats.errors}  ${cost:.4f}  ETA {eta}"
        )

    def __call__(self, stats: Any) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and stats.calls + stats.hits < stats.total:
            return
        self._last = now
        self.stream.write("\r" + self.line(stats) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
