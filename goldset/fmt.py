"""`goldset fmt`: rewrite golden files in canonical form (and fresh content hashes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from goldset import atomic, golden, jsonl
from goldset.config import Config
from goldset.errors import CheckFailed


@dataclass
class FmtResult:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def canonical_file(data: bytes, name: str) -> bytes:
    """The canonical bytes of a golden file; raise CheckFailed on what fmt cannot fix."""
    if data.startswith(jsonl.BOM):
        data = data[len(jsonl.BOM) :]
    out: list[bytes] = []
    for lineno, raw in jsonl.split_lines(data):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            ex = jsonl.loads(raw)
        except jsonl.JsonLineError as exc:
            col = f":{exc.column}" if exc.column else ""
            raise CheckFailed(
                f"{name}:{lineno}{col}: {exc.message}; fix it by hand, fmt cannot"
            ) from None
        if not isinstance(ex, dict):
            raise CheckFailed(f"{name}:{lineno}: expected a JSON object")
        dup = jsonl.has_duplicate_keys(raw)
        if dup is not None:
            raise CheckFailed(f"{name}:{lineno}: key {dup!r} appears twice; choose one by hand")
        try:
            ex["content_hash"] = golden.content_hash(ex)
            out.append(golden.canonical_bytes(ex) + b"\n")
        except jsonl.JsonLineError as exc:
            raise CheckFailed(f"{name}:{lineno}: {exc.message}; fix it by hand") from None
    return b"".join(out)


def run(cfg: Config, *, check: bool) -> FmtResult:
    if check:
        return _run(cfg, check=True)
    from goldset.editing import lock_path

    # The writer lock: a `goldset add` between our read and our replace would be lost.
    with atomic.lock(lock_path(cfg)):
        return _run(cfg, check=False)


def _run(cfg: Config, *, check: bool) -> FmtResult:
    res = FmtResult()
    for p in golden.golden_files(cfg.path("golden")):
        rel = p.relative_to(cfg.root).as_posix()
        data = p.read_bytes()
        new = canonical_file(data, rel)
        if new == data:
            res.unchanged.append(rel)
            continue
        res.changed.append(rel)
        if not check:
            atomic.write_bytes(p, new)
    return res
