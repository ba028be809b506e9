"""The one home of git: plumbing commands and a long-lived object reader.

The hook path and the history walks talk to git through its plumbing
(``ls-files``, ``diff --cached``, ``cat-file --batch``) in subprocesses:
gitpython's import alone costs more than the whole hook budget, so it is used
only off the hot path (``config_writer`` for ``init``).
"""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path

from goldset import spawn
from goldset.errors import UsageError

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import IO, Any

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class GitError(UsageError):
    pass


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A hook runs with GIT_INDEX_FILE etc. set by git; keep them, but never page.
    env["GIT_PAGER"] = "cat"
    env.setdefault("LC_ALL", "C")
    return env


def _git(
    root: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> spawn.Completed:
    """``git -C root args`` to the end (``-C`` rather than a working directory: the hook
    path spawns without the subprocess module)."""
    try:
        return spawn.run(["git", "-C", str(root), *args], env or _env(), input)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None


def run(root: Path, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
    """Run ``git args`` in ``root`` and return stdout; raise GitError with git's message."""
    proc = _git(root, *args, input=input)
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed"
        raise GitError(f"git {' '.join(args[:2])}: {msg}")
    return proc.stdout


def toplevel(root: Path) -> Path | None:
    """The working tree's top folder at or above ``root`` (no git process)."""
    here = root.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def is_repo(root: Path) -> bool:
    return toplevel(root) is not None


def git_dir(root: Path) -> Path | None:
    """The git folder for ``root``: ``.git``, or where a linked worktree's ``.git`` file points."""
    top = toplevel(root)
    if top is None:
        return None
    dot = top / ".git"
    if dot.is_dir():
        return dot
    try:
        text = dot.read_text("utf-8").strip()
    except OSError:
        return None
    if text.startswith("gitdir:"):
        p = Path(text[len("gitdir:") :].strip())
        return p if p.is_absolute() else (top / p).resolve()
    return None


def repo_prefix(root: Path) -> str:
    """``root`` relative to the top of its working tree, as ``sub/dir/`` (or ``""``)."""
    top = toplevel(root)
    if top is None:
        return ""
    rel = root.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel + "/"


def has_head(root: Path) -> bool:
    proc = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    return proc.returncode == 0


def is_shallow(root: Path) -> bool:
    out = run(root, "rev-parse", "--is-shallow-repository", check=False).strip()
    return out == b"true"


def resolve(root: Path, rev: str) -> str:
    """The full commit hash of ``rev``, with a clear error (and a fetch hint) if unknown."""
    if rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a revision")
    proc = _git(root, "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}")
    if proc.returncode == 0:
        return proc.stdout.decode().strip()
    if is_shallow(root):
        raise UsageError(
            f"unknown revision {rev!r}: this is a shallow clone and it may not hold that commit",
            hint="fetch the history: `git fetch --unshallow` (or actions/checkout with fetch-depth: 0)",
        )
    raise UsageError(f"unknown revision {rev!r}", hint="check the name with `git log --oneline`")


def _entries(out: bytes) -> Iterator[tuple[list[bytes], str]]:
    """(metadata fields, path) for each entry of a -z listing (ls-tree, ls-files -s)."""
    for entry in out.split(b"\0"):
        if entry:
            meta, _, path = entry.partition(b"\t")
            yield meta.split(b" "), _path(path)


def ls_tree(root: Path, rev: str, prefix: str = "") -> dict[str, str]:
    """path -> blob hash for the files under ``prefix`` in commit ``rev``, relative to
    ``root`` (a project in a sub-folder sees only its own files)."""
    args = ["ls-tree", "-r", "-z", rev]
    if prefix:
        args += ["--", prefix]
    # fields: mode, type, hash
    return {p: f[2].decode() for f, p in _entries(run(root, *args)) if f[1] == b"blob"}


def ls_index(root: Path, prefix: str = "") -> dict[str, str]:
    """path -> blob hash for the staged files under ``prefix`` (stage 0 only)."""
    args = ["ls-files", "-s", "-z"]
    if prefix:
        args += ["--", prefix]
    # fields: mode, hash, stage
    return {p: f[1].decode() for f, p in _entries(run(root, *args)) if f[2] == b"0"}


# status: A, M, D, R (renamed), C, T; old_path for renames and copies.
Change = namedtuple("Change", ["status", "path", "old_path"], defaults=[None])


def diff_names(root: Path, base: str | None, head: str | None, prefix: str = "") -> list[Change]:
    """Files changed between ``base`` and ``head`` (None for head means the index)."""
    # --relative: paths relative to (and limited to) root, for a project in a sub-folder.
    args = ["diff", "--name-status", "-z", "-M", "--relative"]
    if head is None:
        args += ["--cached", base or EMPTY_TREE]
    else:
        args += [base or EMPTY_TREE, head]
    if prefix:
        args += ["--", prefix]
    out = run(root, *args).split(b"\0")
    changes: list[Change] = []
    i = 0
    while i < len(out) and out[i]:
        status = out[i].decode()
        code = status[0]
        if code in "RC":
            old, new = _path(out[i + 1]), _path(out[i + 2])
            changes.append(Change(code, new, old))
            i += 3
        else:
            changes.append(Change(code, _path(out[i + 1])))
            i += 2
    return changes


def _path(raw: bytes) -> str:
    # File names need not be UTF-8; keep their bytes round-trippable.
    return raw.decode("utf-8", "surrogateescape")


def _pipe(root: Path, *args: str) -> spawn.Pipe:
    try:
        return spawn.Pipe(["git", "-C", str(root), *args], _env())
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None


class CatFile:
    """A long-lived ``git cat-file --batch`` reader: one process for many objects."""

    def __init__(self, root: Path) -> None:
        self._proc = _pipe(root, "cat-file", "--batch")
        self._in: IO[bytes] = self._proc.stdin
        self._out: IO[bytes] = self._proc.stdout

    def read(self, obj: str) -> bytes | None:
        """The contents of ``obj`` (a hash or ``rev:path``), or None if it does not exist."""
        if "\n" in obj:
            raise ValueError("object name contains a newline")
        self._in.write(obj.encode("utf-8", "surrogateescape") + b"\n")
        self._in.flush()
        header = self._out.readline()
        if not header or header.endswith(b"missing\n") or header.endswith(b"ambiguous\n"):
            return None
        size = int(header.split()[2])
        data = self._out.read(size)
        self._out.read(1)
        return data

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def show(root: Path, rev: str, path: str) -> bytes | None:
    """One file at one revision (``git show`` style, one process per call)."""
    proc = _git(root, "cat-file", "blob", f"{rev}:{path}")
    return proc.stdout if proc.returncode == 0 else None


def user_ident(root: Path) -> str:
    """``Name <email>`` from git config, or the OS user when git has none."""
    name = run(root, "config", "user.name", check=False).decode().strip()
    email = run(root, "config", "user.email", check=False).decode().strip()
    if not name:
        import getpass

        name = getpass.getuser()
    return f"{name} <{email}>" if email else name


def rev_list(root: Path, spec: str, *extra: str) -> list[str]:
    out = run(root, "rev-list", *extra, spec)
    return [line for line in out.decode().split("\n") if line]


def parents(root: Path, commit: str) -> list[str]:
    out = run(root, "rev-list", "--parents", "-n", "1", commit).decode().split()
    return out[1:]


def hooks_dir(root: Path) -> Path:
    """Where git looks for hooks here (respects core.hooksPath)."""
    out = run(root, "rev-parse", "--git-path", "hooks").decode().strip()
    p = Path(out)
    return p if p.is_absolute() else (root / p)


def set_config(root: Path, key: str, value: str) -> None:
    """Set a repository-local git config value (through gitpython, off the hot path)."""
    import git

    repo = git.Repo(root, search_parent_directories=True)
    section, _, option = key.rpartition(".")
    if "." in section:  # merge.goldset.driver -> [merge "goldset"] driver
        head, _, sub = section.partition(".")
        section = f'{head} "{sub}"'
    with repo.config_writer(config_level="repository") as writer:
        writer.set_value(section, option, value)


def ls_tree_paths(root: Path, rev: str, prefixes: list[str]) -> dict[str, str]:
    """path -> blob hash for the files under any of ``prefixes`` in ``rev`` (one process)."""
    paths = [p.strip("/") for p in prefixes if p and p.strip("/")]
    if not paths:
        return {}
    out = run(root, "ls-tree", "-r", "-z", "--full-tree", rev, "--", *paths)
    files: dict[str, str] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        _mode, kind, sha = meta.split(b" ")
        if kind == b"blob":
            files[path.decode("utf-8", "surrogateescape")] = sha.decode()
    return files


def default_branch(root: Path) -> str | None:
    """The default branch to compare against: origin's HEAD, else origin/main, main, ..."""
    proc = _git(root, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
    if proc.returncode == 0:
        ref = proc.stdout.decode().strip()
        if ref:
            return ref.removeprefix("refs/remotes/")
    for cand in ("origin/main", "origin/master", "main", "master"):
        probe = _git(root, "rev-parse", "--verify", "-q", f"{cand}^{{commit}}")
        if probe.returncode == 0:
            return cand
    return None


def merge_base(root: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None when they share no history."""
    proc = _git(root, "merge-base", a, b)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


def batch_check(root: Path, names: list[str]) -> list[str | None]:
    """The object hash of each name (``rev:path``), or None if missing (one process)."""
    if not names:
        return []
    data = "".join(n + "\n" for n in names).encode("utf-8", "surrogateescape")
    out = run(root, "cat-file", "--batch-check=%(objectname)", input=data)
    hashes: list[str | None] = []
    for line in out.decode().splitlines():
        hashes.append(None if line.endswith(" missing") or " " in line else line.strip())
    return hashes


def init_repo(root: Path, branch: str = "main") -> None:
    """``git init`` a new repository at ``root`` with ``branch`` as its first branch."""
    root.mkdir(parents=True, exist_ok=True)
    run(root, "init", "-q", "-b", branch)


def commit_all(root: Path, message: str, *, author: str, email: str, date: str) -> str:
    """Stage everything and commit it as ``author`` at ``date``; return the full hash.

    Identity and dates are passed explicitly so a scripted history (the demo)
    is the same on every machine, whatever the user's git config says.
    """
    env = _env()
    env.update(
        {
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        }
    )
    for args in (
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message],
    ):
        proc = _git(root, *args, env=env)
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {args[0]}: {msg}")
    return run(root, "rev-parse", "HEAD").decode().strip()


if TYPE_CHECKING:
    from collections.abc import Iterator


def read_many(root: Path, names: list[str]) -> Iterator[bytes | None]:
    """The contents of each object in ``names``, in order, from one pipelined reader.

    Unlike CatFile.read (one request, one answer), every request is written up
    front by a helper thread while the answers stream back, so a thousand
    objects cost one process and no round trips.
    """
    import contextlib
    import threading

    if not names:
        return
    proc = _pipe(root, "cat-file", "--batch")
    payload = "".join(n + "\n" for n in names).encode("utf-8", "surrogateescape")
    stdin = proc.stdin

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError):
            stdin.write(payload)
        with contextlib.suppress(BrokenPipeError):
            stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for _ in names:
            header = out.readline()
            if not header or header.endswith(b"missing\n") or header.endswith(b"ambiguous\n"):
                yield None
                continue
            size = int(header.split()[2])
            data = out.read(size)
            out.read(1)
            yield data
    finally:
        writer.join(timeout=10)
        out.close()
        proc.wait()
