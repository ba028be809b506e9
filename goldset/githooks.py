"""Plain git hooks: install and uninstall goldset's pre-commit shim.

The shim is package data carrying an ID line, so uninstall removes only a hook
goldset wrote, and install never clobbers someone else's hook.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from goldset import atomic, gitio, resources
from goldset.errors import UsageError

HOOK_ID = "goldset-hook-id: 5e0b6c1f-goldset-pre-commit"
HOOK_NAMES = ("pre-commit",)


@dataclass
class HookResult:
    path: Path
    action: str  # installed | updated | unchanged | removed | absent | foreign


def _shim() -> str:
    return resources.read_text("hooks", "pre-commit").replace("@PYTHON@", sys.executable)


def install(root: Path) -> list[HookResult]:
    if not gitio.is_repo(root):
        raise UsageError(f"{root}: not a git repository", hint="run `git init` first")
    folder = gitio.hooks_dir(root)
    out: list[HookResult] = []
    for name in HOOK_NAMES:
        path = folder / name
        text = _shim()
        if path.exists():
            current = path.read_text("utf-8", "replace")
            if HOOK_ID not in current:
                raise UsageError(
                    f"{path}: a hook that goldset did not write is already there; not touching it",
                    hint="call `goldset-hook validate --staged && goldset-hook check-changelog --staged` "
                    "from it, or use the pre-commit framework (.pre-commit-hooks.yaml)",
                )
            if current == text:
                out.append(HookResult(path, "unchanged"))
                continue
            action = "updated"
        else:
            action = "installed"
        atomic.write_text(path, text)
        os.chmod(path, 0o755)
        out.append(HookResult(path, action))
    return out


def uninstall(root: Path) -> list[HookResult]:
    if not gitio.is_repo(root):
        raise UsageError(f"{root}: not a git repository")
    folder = gitio.hooks_dir(root)
    out: list[HookResult] = []
    for name in HOOK_NAMES:
        path = folder / name
        if not path.exists():
            out.append(HookResult(path, "absent"))
        elif HOOK_ID not in path.read_text("utf-8", "replace"):
            out.append(HookResult(path, "foreign"))
        else:
            path.unlink()
            out.append(HookResult(path, "removed"))
    return out
