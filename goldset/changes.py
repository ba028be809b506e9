"""Which examples a change added, removed, changed or moved, and whether each
one is justified by a CHANGELOG entry added by the same change."""

from __future__ import annotations

from collections import namedtuple

from goldset import changelog, gitio, jsonl
from goldset.config import Config
from goldset.problems import Problem
from goldset.trees import EmptyTree, IndexTree, RevTree

# typing costs the hook path ~2 ms to import: annotations are for checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from goldset.trees import Tree

# kind: added | removed | changed | moved; path: where it is now (or was, when removed).
ExampleChange = namedtuple(
    "ExampleChange", ["id", "kind", "path", "line", "old_path"], defaults=[None]
)


def _lines(tree: Tree, files: list[str]) -> dict[bytes, tuple[str, int]]:
    """raw line -> (file, line number) of its first occurrence."""
    out: dict[bytes, tuple[str, int]] = {}
    for f in files:
        data = tree.read(f) or b""
        if data.startswith(jsonl.BOM):
            data = data[len(jsonl.BOM) :]
        for lineno, raw in jsonl.split_lines(data):
            raw = raw.rstrip(b"\r")
            if raw.strip():
                out.setdefault(raw, (f, lineno))
    return out


def _example(raw: bytes) -> dict[str, Any] | None:
    try:
        ex = jsonl.loads(raw)
    except jsonl.JsonLineError:
        return None  # validate reports it
    return ex if isinstance(ex, dict) and isinstance(ex.get("id"), str) else None


def _content(ex: dict[str, Any]) -> dict[str, Any]:
    # Key order and formatting are not a change; everything else is, provenance
    # included: rewriting who added an example and why is rewriting history.
    return ex


def between(
    old: Tree, new: Tree, old_files: list[str], new_files: list[str]
) -> list[ExampleChange]:
    """Example-level changes between ``old_files`` in ``old`` and ``new_files`` in ``new``.

    Lines identical on both sides are unchanged examples and are not parsed:
    a commit touching one example of thousands parses two lines.
    """
    old_lines = _lines(old, old_files)
    new_lines = _lines(new, new_files)
    before: dict[str, tuple[Any, int, str]] = {}
    after: dict[str, tuple[Any, int, str]] = {}
    out: list[ExampleChange] = []
    for raw, (f, ln) in old_lines.items():
        where = new_lines.get(raw)
        if where is None:
            ex = _example(raw)
            if ex is not None:
                before.setdefault(ex["id"], (ex, ln, f))
        elif where[0] != f:
            ex = _example(raw)
            if ex is not None:
                out.append(ExampleChange(ex["id"], "moved", where[0], where[1], f))
    for raw, (f, ln) in new_lines.items():
        if raw not in old_lines:
            ex = _example(raw)
            if ex is not None:
                after.setdefault(ex["id"], (ex, ln, f))
    for ex_id, (ex, ln, f) in after.items():
        if ex_id not in before:
            out.append(ExampleChange(ex_id, "added", f, ln))
            continue
        old_ex, _, old_f = before[ex_id]
        if _content(old_ex) != _content(ex):
            out.append(ExampleChange(ex_id, "changed", f, ln, old_f))
        elif old_f != f:
            out.append(ExampleChange(ex_id, "moved", f, ln, old_f))
    for ex_id, (_, ln, f) in before.items():
        if ex_id not in after:
            out.append(ExampleChange(ex_id, "removed", f, ln))
    return out


def _golden_diff(cfg: Config, base: str | None, head: str | None) -> tuple[list[str], list[str]]:
    prefix = cfg.rel("golden")
    old_files: list[str] = []
    new_files: list[str] = []
    for ch in gitio.diff_names(cfg.root, base, head, prefix=prefix):
        if ch.status in "RC" and ch.old_path:
            if ch.old_path.endswith(".jsonl"):
                old_files.append(ch.old_path)
        elif ch.status != "A" and ch.path.endswith(".jsonl"):
            old_files.append(ch.path)
        if ch.status != "D" and ch.path.endswith(".jsonl"):
            new_files.append(ch.path)
    return old_files, new_files


class CheckResult:
    """Example-level changes of a change, what justified them, and what is unjustified."""

    def __init__(
        self,
        changes: list[Any],
        justified: dict[str, list[Any]],
        problems: list[Problem],
        range: str,
    ) -> None:
        self.changes = changes
        self.justified = justified
        self.problems = problems
        self.range = range


def check(
    cfg: Config, old: Tree, new: Tree, base: str | None, head: str | None, label: str
) -> CheckResult:
    old_files, new_files = _golden_diff(cfg, base, head)
    # A moved example's old or new file may be unchanged in the diff; read the
    # whole set on both sides only when a file moved, which is rare.
    changes = between(old, new, old_files, new_files) if (old_files or new_files) else []
    cl = cfg.rel("changelog")
    old_text = (old.read(cl) or b"").decode("utf-8", "replace")
    new_text = (new.read(cl) or b"").decode("utf-8", "replace")
    fresh = changelog.added_entries(old_text, new_text)
    justified: dict[str, list[changelog.Entry]] = {}
    problems: list[Problem] = []
    for entry in fresh:
        issue = changelog.reason_problem(entry.reason)
        if issue:
            problems.append(
                Problem(
                    cl,
                    entry.line,
                    f"this entry does not justify anything: {issue}",
                    "changelog-reason",
                )
            )
            continue
        for ex_id in entry.ids:
            justified.setdefault(ex_id, []).append(entry)
    for ch in changes:
        if ch.kind == "moved" or ch.id in justified:
            continue
        verb = {"added": "added", "changed": "changed", "removed": "removed"}[ch.kind]
        fix = {
            "added": f"goldset add --why '...' (or add `- added `{ch.id}`: <reason>` to {cl})",
            "changed": f"goldset edit {ch.id} --why '...' (or add `- changed `{ch.id}`: <reason>` to {cl})",
            "removed": f"goldset remove {ch.id} --why '...' (or add `- removed `{ch.id}`: <reason>` to {cl})",
        }[ch.kind]
        problems.append(
            Problem(
                ch.path,
                ch.line if ch.kind != "removed" else None,
                f"example {ch.id!r} was {verb} but {label} adds no {cl} entry naming it; fix: {fix}, then stage {cl}",
                "unjustified",
                example_id=ch.id,
            )
        )
    return CheckResult(changes, justified, problems, label)


def check_staged(cfg: Config) -> CheckResult:
    head = "HEAD" if gitio.has_head(cfg.root) else None
    with gitio.CatFile(cfg.root) as cat:
        old: Tree = RevTree(cfg.root, "HEAD", cat, resolved=True) if head else EmptyTree()
        new = IndexTree(cfg.root, cat)
        return check(cfg, old, new, head, None, "the staged change")


def check_range(cfg: Config, spec: str) -> CheckResult:
    """Check ``BASE..HEAD`` as one change: the net diff from their merge base.

    Using the merge base keeps commits merged in from the base branch (already
    checked there) out of the verdict, and a merge commit is judged like any other.
    """
    base_rev, sep, head_rev = spec.partition("..")
    if not sep:
        base_rev, head_rev = spec, "HEAD"
    head_rev = head_rev.lstrip(".") or "HEAD"
    head = gitio.resolve(cfg.root, head_rev)
    old: Tree
    if base_rev in ("", gitio.EMPTY_TREE):
        base = None
        old = EmptyTree()
    else:
        resolved = gitio.resolve(cfg.root, base_rev)
        mb = gitio.run(cfg.root, "merge-base", resolved, head, check=False).decode().strip()
        base = mb or resolved
        old = RevTree(cfg.root, base, resolved=True)
    new = RevTree(cfg.root, head, resolved=True)
    try:
        return check(cfg, old, new, base, head, f"the range {spec}")
    finally:
        old.close()
        new.close()
