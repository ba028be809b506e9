"""Shared fixtures: real git repositories in tmp dirs, and two ways to run goldset.

``git_repo``       a fresh ``git init`` repository (user.name/email set) as a ``Repo``
``goldset_repo``   the same after ``goldset init`` and a first commit
``cli``            run the CLI in-process: ``cli("validate", cwd=root)`` -> ``CliResult``
``run_goldset``    run ``python -m goldset ...`` in a subprocess (same interpreter)
``run_hook``       run ``python -m goldset.hook ...`` in a subprocess

Fixtures here are deliberately generic; other test files rely on them too.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

VENV_BIN = str(Path(sys.executable).parent)
MAIN_REPO = Path(__file__).resolve().parent.parent

GIT_IDENT = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}


def subprocess_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git and goldset subprocesses: this venv first on PATH
    (git's merge driver and hooks call ``goldset``), no system/global git config."""
    env = dict(os.environ)
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    env.pop("GIT_WORK_TREE", None)
    env.setdefault("LC_ALL", "C.UTF-8")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


@dataclass
class Proc:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


class Repo:
    """A real git repository in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def git(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> Proc:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            env=subprocess_env(env),
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return Proc(proc.returncode, proc.stdout, proc.stderr)

    def write(self, rel: str, content: str | bytes) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8"))
        return p

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text("utf-8")

    def read_bytes(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def commit(self, message: str = "change", *, all: bool = True, verify: bool = False) -> Proc:
        """``git add -A`` (unless all=False) and ``git commit``; hooks skipped unless verify."""
        if all:
            self.git("add", "-A")
        args = ["commit", "-q", "--allow-empty", "-m", message]
        if not verify:
            args.append("--no-verify")
        return self.git(*args, check=not verify)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").out.strip()


def make_repo(root: Path, branch: str = "main") -> Repo:
    root.mkdir(parents=True, exist_ok=True)
    repo = Repo(root)
    repo.git("init", "-q", "-b", branch)
    repo.git("config", "user.name", "Ada Lovelace")
    repo.git("config", "user.email", "ada@example.com")
    repo.git("config", "commit.gpgsign", "false")
    return repo


@pytest.fixture
def git_repo(tmp_path: Path) -> Repo:
    """A fresh git repository (``git init``) with user.name/email configured."""
    return make_repo(tmp_path / "repo")


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def _run_in_process(
    fn: Callable[[list[str]], int],
    argv: list[str],
    cwd: Path | None,
    input: str | bytes | None,
    env: Mapping[str, str] | None,
) -> CliResult:
    from click.testing import CliRunner

    runner = CliRunner()
    full_env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, **(env or {})}
    with runner.isolation(input=input, env=full_env) as streams:
        chdir = contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext()
        with chdir:
            try:
                code = fn(argv)
            except SystemExit as exc:  # pragma: no cover - run() should never exit
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
        out = streams[0].getvalue().decode("utf-8", "replace")
        err = streams[1].getvalue().decode("utf-8", "replace") if streams[1] else ""
    return CliResult(code, out, err)


# Bound once, at import: the in-process entry point of the CLI.
from goldset.cli import run as _goldset_run  # noqa: E402


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``goldset`` in-process through goldset.cli.run(argv)."""
    run = _goldset_run

    def invoke(
        *args: str,
        cwd: Path | None = None,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> CliResult:
        return _run_in_process(run, list(args), cwd, input, env)

    return invoke


def _subprocess(
    module: str,
    args: tuple[str, ...],
    cwd: Path | None,
    input: str | bytes | None,
    env: Mapping[str, str] | None,
    timeout: float,
) -> Proc:
    data = input.encode("utf-8") if isinstance(input, str) else input
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        input=data,
        stdin=subprocess.DEVNULL if data is None else None,
        capture_output=True,
        env=subprocess_env(env),
        timeout=timeout,
    )
    return Proc(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture
def run_goldset() -> Callable[..., Proc]:
    """Run ``python -m goldset ARGS`` in a subprocess."""

    def invoke(
        *args: str,
        cwd: Path | None = None,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> Proc:
        return _subprocess("goldset", args, cwd, input, env, timeout)

    return invoke


@pytest.fixture
def run_hook() -> Callable[..., Proc]:
    """Run ``python -m goldset.hook ARGS`` in a subprocess."""

    def invoke(
        *args: str,
        cwd: Path | None = None,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> Proc:
        return _subprocess("goldset.hook", args, cwd, input, env, timeout)

    return invoke


@pytest.fixture
def goldset_repo(git_repo: Repo) -> Repo:
    """A git repository after ``goldset init``, committed (with --no-verify)."""
    res = _run_in_process(_goldset_run, ["init"], git_repo.root, None, None)
    assert res.code == 0, res.output
    git_repo.commit("goldset init")
    return git_repo


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


# ------------------------------------------------ docs/formats.md, re-implemented
# Written from the prose of docs/formats.md, not from goldset.golden, so tests can
# check goldset's output against an independent reading of the contract.

DOC_HEAD_KEYS = ("id", "input", "reference", "slice", "stratum", "tags")
DOC_TAIL_KEYS = ("provenance", "content_hash")


def _doc_sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _doc_sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_doc_sorted(v) for v in value]
    return value


def doc_canonical(ex: Mapping[str, Any]) -> str:
    """Canonical line per docs/formats.md: compact JSON, keys id, input, reference,
    slice, stratum, tags, <others sorted>, provenance, content_hash; nested keys sorted."""
    head = [k for k in DOC_HEAD_KEYS if k in ex]
    tail = [k for k in DOC_TAIL_KEYS if k in ex]
    middle = sorted(k for k in ex if k not in DOC_HEAD_KEYS and k not in DOC_TAIL_KEYS)
    obj = {k: _doc_sorted(ex[k]) for k in head + middle + tail}
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def doc_content_hash(ex: Mapping[str, Any]) -> str:
    """First 16 hex digits of SHA-256 over the canonical JSON of the example
    without id, provenance and content_hash (docs/formats.md)."""
    body = {k: v for k, v in ex.items() if k not in ("id", "provenance", "content_hash")}
    return hashlib.sha256(doc_canonical(body).encode("utf-8")).hexdigest()[:16]


def golden_example(
    ex_id: str,
    input: Any = None,
    *,
    stratum: str | None = "real_traffic",
    why: str = "a real support ticket the bot answered wrongly",
    **fields: Any,
) -> dict[str, Any]:
    """A complete, valid golden example with an independently computed content hash."""
    ex: dict[str, Any] = {"id": ex_id, "input": input if input is not None else f"question {ex_id}"}
    if stratum is not None:
        ex["stratum"] = stratum
    ex.update(fields)
    ex["provenance"] = {
        "added_by": "Ada Lovelace <ada@example.com>",
        "added_at": "2026-11-29T12:00:00Z",
        "why": why,
    }
    ex["content_hash"] = doc_content_hash(ex)
    return ex


def golden_lines(*examples: Mapping[str, Any]) -> str:
    """Canonical JSONL text for ``examples`` (docs/formats.md form)."""
    return "".join(doc_canonical(e) + "\n" for e in examples)


def changelog_bullet(action: str, ids: list[str], reason: str) -> str:
    names = ", ".join(f"`{i}`" for i in ids)
    return f"- {action} {names}: {reason}\n"
