"""Where the project is: the repository root and its goldset.yaml."""

from __future__ import annotations

import os
from pathlib import Path

from goldset.errors import UsageError

CONFIG_NAME = "goldset.yaml"


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder at or above ``start`` holding goldset.yaml or .git.

    goldset.yaml wins over .git so a project can live in a sub-folder of a
    monorepo. Walking the file system avoids spawning git on the hook path.
    """
    here = Path(start or os.getcwd()).resolve()
    git_root: Path | None = None
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
        if git_root is None and (folder / ".git").exists():
            git_root = folder
    if git_root is not None:
        return git_root
    raise UsageError(
        f"{here}: not inside a git repository or a goldset project",
        hint="run `git init` and `goldset init` first",
    )


def require_config(root: Path) -> Path:
    cfg = root / CONFIG_NAME
    if not cfg.is_file():
        raise UsageError(
            f"{root}: no {CONFIG_NAME} here", hint="run `goldset init` to scaffold a project"
        )
    return cfg


def inside(root: Path, path: str | os.PathLike[str]) -> Path:
    """Resolve ``path`` (relative to ``root``) and refuse one outside the repository."""
    p = (root / path).resolve()
    try:
        p.relative_to(root.resolve())
    except ValueError:
        raise UsageError(f"{path}: outside the repository {root}") from None
    return p
