"""goldset.history: one results file through many commits, one cat-file reader."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitrepo import GitRepo

from goldset import history

PATH = "evals/results/v.jsonl"


def line(ex: str, ok: bool) -> str:
    return f'{{"example_id":"{ex}","scores":{{"ok":{str(ok).lower()}}}}}\n'


def test_walk_matches_git_show_at_every_commit(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    repo.commit_files({"README.md": "no results yet\n"}, message="start")
    contents = [
        line("a", True) + line("b", False),
        line("a", True) + line("b", True),
        None,  # the file is deleted in this commit
        line("a", False),
    ]
    for i, c in enumerate(contents):
        repo.commit_files({PATH: c}, message=f"run {i}")
    repo.commit_files({"README.md": "unrelated change\n"}, message="docs")

    revs = history.revisions(repo.root, "main")
    assert len(revs) == 6 and all(len(r) == 40 for r in revs)
    walked = list(history.walk(repo.root, PATH, revs))
    assert [r for r, _ in walked] == revs
    for rev, data in walked:
        proc = subprocess.run(["git", "show", f"{rev}:{PATH}"], cwd=repo.root, capture_output=True)
        assert data == (proc.stdout if proc.returncode == 0 else None)

    series = history.metric_series(repo.root, PATH, revs)
    # newest first: docs (same blob as run 3), run 3, deleted, run 1, run 0, start
    assert [s["n"] for s in series] == [1, 1, 0, 2, 2, 0]
    assert [s["means"].get("ok") for s in series] == [0.0, 0.0, None, 1.0, 0.5, None]


def test_revisions_max_count(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "r")
    for i in range(5):
        repo.commit_files({PATH: line("a", i % 2 == 0)}, message=f"run {i}")
    assert len(history.revisions(repo.root, "main", max_count=3)) == 3
