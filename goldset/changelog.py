"""evals/CHANGELOG.md: the written reason for every change to the golden set.

Format (documented in docs/formats.md)::

    ## 2026-11-29 · Ada Lovelace <ada@example.com>
    - added `mtb-081`, `mtb-082`: real tickets where the bot missed the refund policy
    - removed `mtb-100`: duplicate of `mtb-101`

A change to an example is justified when the same change (staged together, or
within the same commit range) adds a bullet naming its id with a real reason.
"""

from __future__ import annotations

import re
from collections import Counter, namedtuple

ACTIONS = ("added", "changed", "removed", "moved")
HEADER = "# Golden set changelog\n"
PREAMBLE = (
    "# Golden set changelog\n\n"
    "Why every example was added, changed or removed. `goldset add/edit/remove --why`\n"
    "write these entries; the pre-commit hook refuses a change to an example whose id\n"
    "is not named here by the same commit. One bullet per change:\n"
    "`- <added|changed|removed|moved> `id`, `id`: <reason>`.\n"
)

_HEAD_RE = re.compile(r"^##\s+(\d{4}-\d{2}-\d{2})\s*(?:[·|-]\s*(.*?))?\s*$")
_BULLET_RE = re.compile(r"^[-*]\s+(added|changed|removed|moved)\s+(.*)$", re.IGNORECASE)
_IDS_RE = re.compile(r"^((?:`[^`\n]+`(?:\s*,\s*|\s+and\s+|\s+)?)+)\s*:\s*(.*)$")
_ID_RE = re.compile(r"`([^`\n]+)`")

# Reasons that say nothing: refused by `--why` and by the hook.
PLACEHOLDERS = frozenset(
    {
        "fix",
        "fixes",
        "fixed",
        "fixup",
        "update",
        "updates",
        "updated",
        "wip",
        "misc",
        "change",
        "changes",
        "changed",
        "tweak",
        "tweaks",
        "test",
        "testing",
        "tmp",
        "todo",
        "asdf",
        "stuff",
        "cleanup",
        "clean up",
        "edit",
        "edits",
        "add",
        "added",
        "remove",
        "removed",
        "add examples",
        "added examples",
        "add example",
        "new examples",
        "more examples",
        "examples",
        "example",
        "n/a",
        "na",
        "none",
        "no reason",
        "reason",
        "why",
        "because",
        "see above",
        "see pr",
        "same",
        "ok",
        "x",
        "xxx",
        "foo",
        "bar",
        "initial",
        "minor",
        "small fix",
        "typo",
    }
)
MIN_CHARS = 12
MIN_WORDS = 3


# One bullet: its section's date and author, the action, the ids, the reason, its line.
Entry = namedtuple("Entry", ["date", "author", "action", "ids", "reason", "line"])


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` is not a justification, or None if it is one."""
    text = " ".join(reason.split())
    norm = re.sub(r"[^\w\s/]", "", text.lower()).strip()
    if not text:
        return "the reason is empty"
    if norm in PLACEHOLDERS:
        return f"{text!r} is a placeholder, not a reason"
    words = norm.split()
    if words and all(w in PLACEHOLDERS for w in words):
        return f"{text!r} is only placeholder words, not a reason"
    if len(text) < MIN_CHARS or len(set(words)) < MIN_WORDS:
        return (
            f"{text!r} is too short: say why, in at least {MIN_WORDS} words "
            "(what was wrong or missing, and where it came from)"
        )
    return None


def parse(text: str) -> list[Entry]:
    """Every bullet of the changelog, with the date and author of its section."""
    entries: list[Entry] = []
    date, author = "", ""
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _HEAD_RE.match(line)
        if m:
            date, author = m.group(1), (m.group(2) or "").strip()
            continue
        b = _BULLET_RE.match(line.strip())
        if not b:
            continue
        ids_reason = _IDS_RE.match(b.group(2))
        if not ids_reason:
            continue
        ids = tuple(_ID_RE.findall(ids_reason.group(1)))
        entries.append(
            Entry(date, author, b.group(1).lower(), ids, ids_reason.group(2).strip(), lineno)
        )
    return entries


def added_entries(old_text: str | None, new_text: str) -> list[Entry]:
    """The entries present in ``new_text`` beyond those already in ``old_text``.

    Lines are compared as a multiset, so moving or re-wrapping old text does not
    count as a new justification, and a union merge of two branches keeps both.
    """
    old_lines = Counter(line.strip() for line in (old_text or "").splitlines())
    fresh: list[Entry] = []
    new_lines = new_text.splitlines()
    for entry in parse(new_text):
        key = new_lines[entry.line - 1].strip()
        if old_lines[key] > 0:
            old_lines[key] -= 1
            continue
        fresh.append(entry)
    return fresh


def format_bullet(action: str, ids: list[str] | tuple[str, ...], reason: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    names = ", ".join(f"`{i}`" for i in ids)
    return f"- {action} {names}: {' '.join(reason.split())}"


def format_block(date: str, author: str, bullets: list[str]) -> str:
    return f"\n## {date} · {author}\n" + "".join(b + "\n" for b in bullets)


def appended(current: str | None, date: str, author: str, bullets: list[str]) -> str:
    """``current`` with a new dated block of ``bullets`` at the end."""
    text = current if current else PREAMBLE
    if not text.endswith("\n"):
        text += "\n"
    return text + format_block(date, author, bullets)
