"""Real git history in a line, DVC-style, for tests that diff commits.

    repo = GitRepo.init(tmp_path)
    base = repo.commit_files({"evals/golden/a.jsonl": "..."}, message="base")
    head = repo.commit_files({"evals/results/v.jsonl": "..."}, message="head")

Every call makes a real commit with ``git``; a value of None deletes the file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-11-29T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-29T12:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def init(cls, root: Path, branch: str = "main") -> GitRepo:
        root.mkdir(parents=True, exist_ok=True)
        repo = cls(root)
        repo.git("init", "-q", "-b", branch)
        repo.git("config", "user.name", "Test Author")
        repo.git("config", "user.email", "author@example.com")
        repo.git("config", "commit.gpgsign", "false")
        return repo

    def git(self, *args: str) -> str:
        env = {**os.environ, **_ENV}
        proc = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, env=env
        )
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write_files(self, files: dict[str, str | bytes | None]) -> None:
        for rel, content in files.items():
            p = self.root / rel
            if content is None:
                if p.exists():
                    p.unlink()
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")

    def commit_files(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Write (or delete, for None) the files, commit them all, return the full hash."""
        self.write_files(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def move(self, old: str, new: str, message: str = "move") -> str:
        (self.root / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


# --- goldset project content --------------------------------------------------

CONFIG = """version: 1
slices: [category]
high_stakes_slices: ["category=math"]
"""


def invoke(root: Path, *args: str) -> tuple[int, str, str]:
    """Run a goldset command in ``root`` with CliRunner; return (exit code, stdout, stderr).

    standalone_mode=False, as goldset's own entry point runs it, so the int a
    command returns is its exit code.
    """
    from click.testing import CliRunner

    from goldset.cli import cli

    old = os.getcwd()
    os.chdir(root)
    try:
        res = CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)
    finally:
        os.chdir(old)
    code = res.return_value if isinstance(res.return_value, int) else res.exit_code
    return code, res.stdout, res.stderr


def example(
    ex_id: str,
    text: str,
    category: str = "general",
    *,
    reference: str | None = None,
    stratum: str = "real_traffic",
    tags: list[str] | None = None,
) -> dict:
    """A golden example in canonical form, with its content hash."""
    from goldset import golden

    ex: dict = {"id": ex_id, "input": text}
    if reference is not None:
        ex["reference"] = reference
    ex["slice"] = {"category": category}
    ex["stratum"] = stratum
    if tags:
        ex["tags"] = tags
    ex["provenance"] = {
        "added_at": "2026-11-01T12:00:00Z",
        "added_by": "Test Author <author@example.com>",
        "why": "a fixture example for goldset's tests",
    }
    ex["content_hash"] = golden.content_hash(ex)
    return golden.canonical_obj(ex)


def golden_text(examples: list[dict]) -> str:
    from goldset import golden

    return "".join(golden.canonical_bytes(e).decode() + "\n" for e in examples)


def results_text(examples: list[dict], scores: dict[str, dict], **extra: object) -> str:
    """Results JSONL for ``examples``: scores maps example id -> {metric: value}."""
    from goldset import results

    recs = []
    for ex in examples:
        if ex["id"] not in scores:
            continue
        rec = {
            "example_id": ex["id"],
            "example_hash": ex["content_hash"],
            "output": extra.get("output", f"answer to {ex['id']}"),
            "scores": scores[ex["id"]],
            "cost": extra.get("cost"),
            "latency_ms": extra.get("latency_ms"),
            "tokens": None,
            "error": None,
        }
        recs.append(rec)
    return results.dump_records(recs).decode()


def changelog_text(*blocks: str) -> str:
    return "# Golden set changelog\n" + "".join(blocks)


def changelog_block(date: str, bullets: list[str]) -> str:
    return f"\n## {date} · Test Author <author@example.com>\n" + "".join(b + "\n" for b in bullets)
