"""One read interface over the three places a set can be read from:
the working tree, the index (what is staged), and a commit."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from goldset import gitio


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

    def files(self, prefix: str) -> list[str]:
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
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def close(self) -> None:
        pass


class _GitTree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._cat: gitio.CatFile | None = None
        self._listing: dict[str, str] | None = None

    def _list(self) -> dict[str, str]:
        raise NotImplementedError

    def files(self, prefix: str) -> list[str]:
        if self._listing is None:
            self._listing = self._list()
        return sorted(p for p in self._listing if _under(prefix, p))

    def read(self, path: str) -> bytes | None:
        if self._listing is None:
            self._listing = self._list()
        sha = self._listing.get(path)
        if sha is None:
            return None
        if self._cat is None:
            self._cat = gitio.CatFile(self.root)
        return self._cat.read(sha)

    def close(self) -> None:
        if self._cat is not None:
            self._cat.close()
            self._cat = None


class IndexTree(_GitTree):
    label = "index (staged)"

    def _list(self) -> dict[str, str]:
        return gitio.ls_index(self.root)


class RevTree(_GitTree):
    def __init__(self, root: Path, rev: str) -> None:
        super().__init__(root)
        self.rev = gitio.resolve(root, rev)
        self.label = f"commit {self.rev[:12]}"

    def _list(self) -> dict[str, str]:
        return gitio.ls_tree(self.root, self.rev)


class EmptyTree:
    label = "empty tree"

    def files(self, prefix: str) -> list[str]:
        return []

    def read(self, path: str) -> bytes | None:
        return None

    def close(self) -> None:
        pass
