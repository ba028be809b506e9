"""Shared helpers for the benchmarks: timing subprocesses, medians, tables."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    e = dict(os.environ)
    # An installed wheel has its bytecode compiled by pip; measure that state,
    # not a development shell's PYTHONDONTWRITEBYTECODE.
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    return e


def tool(name: str) -> str:
    p = BIN / name
    if p.exists():
        return str(p)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed: pip install -e '.[test,bench]'")
    return found


def time_cmd(argv: list[str], cwd: Path, *, repeat: int, expect: int | None = 0) -> list[float]:
    times: list[float] = []
    e = env()
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=e, capture_output=True)
        times.append(time.perf_counter() - t0)
        if expect is not None and proc.returncode != expect:
            raise SystemExit(
                f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout.decode()}{proc.stderr.decode()}"
            )
    return times


def median_ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env())
