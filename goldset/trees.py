"""One read interface over the three places a set can be read from:
the working tree, the index (what is staged), and a commit."""

from __future__ import annotations

from pathlib import Path

from goldset import gitio
from goldset.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs the hook path ~2 ms to import
    from typing import Protocol

    class Tree(Protocol):
        label: str

        def files(self, prefix: str) -> list[str]: ...

        def read(self, path: str) -> bytes | None: ...

        def close(self) -> None: ...


def _under(prefix: str, path: str) -> bool:
    prefix = prefix.strip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


class WorkTree:
    label = "working tree"

    def __init__(self, root: Path) -> None:
        self.root = root

    def check_inside(self, rel: str) -> None:
        """Refuse a path that resolves (through a symlink) outside the repository."""
        p = self.root / rel
        if not p.exists():
            return
        target = p.resolve()
        try:
            target.relative_to(self.root.resolve())
        except ValueError:
            raise UsageError(
                f"{rel}: resolves to {target}, outside the repository; goldset does not follow it"
            ) from None

    def files(self, prefix: str) -> list[str]:
        self.check_inside(prefix)
        base = self.root / prefix
        if base.is_file():
            return [prefix.strip("/")]
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(self.root).parts
        )

    def read(self, path: str) -> bytes | None:
        p = self.root / path
        self.check_inside(path)
        try:
            return p.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def close(self) -> None:
        pass


class _GitTree:
    """Reads ``<rev>:<path>`` (or ``:<path>`` for the index) through one
    ``cat-file --batch`` process, which trees of one command may share."""

    prefix = ""

    def __init__(self, root: Path, cat: gitio.CatFile | None = None) -> None:
        self.root = root
        self._cat = cat
        self._owns_cat = cat is None
        self._listing: list[str] | None = None

    def _list(self) -> list[str]:
        raise NotImplementedError

    def files(self, prefix: str) -> list[str]:
        if self._listing is None:
            self._listing = self._list()
        return sorted(p for p in self._listing if _under(prefix, p))

    def read(self, path: str) -> bytes | None:
        if self._cat is None:
            self._cat = gitio.CatFile(self.root)
        # ./ makes the path relative to root, for a project in a sub-folder.
        return self._cat.read(f"{self.prefix}:./{path}")

    def close(self) -> None:
        if self._cat is not None and self._owns_cat:
            self._cat.close()
        self._cat = None


class IndexTree(_GitTree):
    label = "index (staged)"

    def _list(self) -> list[str]:
        return list(gitio.ls_index(self.root))


class RevTree(_GitTree):
    def __init__(
        self, root: Path, rev: str, cat: gitio.CatFile | None = None, *, resolved: bool = False
    ) -> None:
        super().__init__(root, cat)
        self.rev = rev if resolved else gitio.resolve(root, rev)
        self.prefix = self.rev
        self.label = f"commit {self.rev[:12]}"

    def _list(self) -> list[str]:
        return list(gitio.ls_tree(self.root, self.rev))


class EmptyTree:
    label = "empty tree"

    def files(self, prefix: str) -> list[str]:
        return []

    def read(self, path: str) -> bytes | None:
        return None

    def close(self) -> None:
        pass
