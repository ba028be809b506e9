"""One file through many commits, read with one long-lived ``git cat-file``.

Revisions are resolved to full hashes once (``git rev-list``), the blob each
commit holds for the path is looked up in one ``cat-file --batch-check`` call,
and each distinct blob is read once through a single ``cat-file --batch``
process: a results file that did not change between two commits is neither
read nor parsed twice. Spawning ``git show`` per revision costs a process per
commit; gitpython walks ``main~500`` by following parents one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from goldset import gitio, results


def revisions(root: Path, spec: str = "HEAD", *, max_count: int | None = None) -> list[str]:
    """Full commit hashes of ``spec`` (newest first), resolved in one ``git rev-list``."""
    extra = [f"--max-count={max_count}"] if max_count else []
    return gitio.rev_list(root, spec, *extra)


def walk(root: Path, path: str, revs: list[str]) -> Iterator[tuple[str, bytes | None]]:
    """(commit, the file's bytes at that commit or None) for each of ``revs`` in order."""
    for rev, _blob, data in walk_blobs(root, path, revs):
        yield rev, data


def walk_blobs(
    root: Path, path: str, revs: list[str]
) -> Iterator[tuple[str, str | None, bytes | None]]:
    """(commit, blob hash, bytes) for each of ``revs``; an unchanged blob is read once."""
    blobs = gitio.batch_check(root, [f"{rev}:{path}" for rev in revs])
    # Consecutive commits often share the blob: read each run of them once.
    wanted: list[str] = []
    for b in blobs:
        if b is not None and (not wanted or wanted[-1] != b):
            wanted.append(b)
    contents = gitio.read_many(root, wanted)
    last: tuple[str, bytes | None] | None = None
    for rev, blob in zip(revs, blobs, strict=True):
        if blob is None:
            yield rev, None, None
            continue
        if last is None or last[0] != blob:
            last = (blob, next(contents))
        yield rev, blob, last[1]
    for _ in contents:  # let the reader finish and exit
        pass


def metric_series(root: Path, path: str, revs: list[str]) -> list[dict[str, Any]]:
    """Per commit: how many results the file held and the mean of each score."""
    out: list[dict[str, Any]] = []
    last: tuple[str, dict[str, Any]] | None = None
    for rev, blob, data in walk_blobs(root, path, revs):
        if blob is None or data is None:
            out.append({"commit": rev, "n": 0, "means": {}})
            continue
        if last is None or last[0] != blob:
            res = results.parse(data, path)
            sums: dict[str, list[float]] = {}
            for rec in res.records.values():
                for name, v in (rec.get("scores") or {}).items():
                    if v is not None:
                        sums.setdefault(name, []).append(float(v))
            summary = {
                "n": len(res.records),
                "means": {k: sum(v) / len(v) for k, v in sorted(sums.items())},
            }
            last = (blob, summary)
        out.append({"commit": rev, **last[1]})
    return out
