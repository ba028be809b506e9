"""Untrusted text in a GitHub comment: escape it, fence it, and fit the comment.

Model outputs, example inputs, annotator notes and CHANGELOG reasons are
written by someone else (or by a model someone else prompted). Pasted raw into
a PR comment they could close a ``<details>`` block, open an HTML comment that
hides the rest of the report, break a table, draw a link or an image, notify
``@someone``, or forge goldset's hidden marker. Every piece of untrusted text
goes through one of these functions before it reaches the markdown:

``inline(text, *, max_chars=None, newline="<br>")``
    Text inside a sentence or a table cell. Markdown punctuation is
    backslash-escaped, ``<``, ``>`` and ``&`` become entities (so no raw HTML,
    no ``</details>``, no ``<!-- ... -->``), ``|`` cannot split a table cell,
    newlines become ``<br>`` (pass ``newline=" "`` for one line), links,
    images and bare URLs do not form, ``@user`` / ``@org/team`` do not
    notify and ``#123`` does not cross-reference another issue. ``max_chars``
    shortens the text (before escaping) and ends it with ``…``.

``code(text, *, in_table=False)``
    A one-line inline code span (ids, file names). Pass ``in_table=True``
    inside a table row: GFM splits cells on ``|`` before it sees code spans.

``fence(text, lang="")``
    A fenced code block the text cannot close: the fence is one backtick
    longer than the longest run of backticks inside. Control characters are
    shown as visible symbols (NUL as ``␀``, ESC as ``␛``, a bidi override
    as ``<U+202E>``), mentions and forged markers are neutralised.

``details(summary, body_markdown)``
    A collapsed block; ``summary`` is untrusted text (escaped with
    ``inline``), ``body_markdown`` is markdown you built (fence untrusted
    parts first).

``neutralise_mentions(text)`` / ``neutralise_marker(text)``
    The two building blocks, idempotent: a zero-width joiner after ``@``
    stops GitHub from notifying; one inside ``<!--`` stops a forged
    ``<!-- goldset-report -->`` from matching.

``MARKER`` and ``fit_comment(sections, *, limit=65536, marker=MARKER)``
    The report is a list of :class:`Section` (``title``, ``markdown``,
    ``required``). ``fit_comment`` returns the comment body: the marker on
    the first line, then the sections in order. When the body would exceed
    GitHub's limit it drops whole droppable sections, largest first, and ends
    with a short note naming what was cut; the marker and the required
    sections (the headline) are never dropped. ``fit_sections`` returns the
    same body together with the list of cut titles.

``split_sections(markdown)`` and ``fit_markdown(markdown, ...)``
    For a report that arrives as one markdown string (a file, an artifact):
    split it at its ``##`` headings (never inside a code fence or a
    ``<details>`` block) and fit it. ``fit_markdown`` also drops a marker the
    text already carries and neutralises forged ones.

Lengths are measured as GitHub does for its 65,536-character limit, counting
conservatively: a character outside the Basic Multilingual Plane (an emoji)
counts twice, as in UTF-16, and a safety margin is kept below the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MARKER = "<!-- goldset-report -->"
"""The hidden first line of goldset's sticky PR comment."""

GITHUB_COMMENT_LIMIT = 65536
DEFAULT_MARGIN = 1024
ZWJ = "\u200d"

# Markdown punctuation that can start or end an inline construct. `<`, `>`
# and `&` are not here: they become entities, since a backslash before `&`
# would still let `&lt;` through as an entity.
_MD_PUNCT = frozenset("\\`*_{}[]()#+-.!|~:=^$")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}

# Mentions, as GitHub finds them: `@` at the start or after a character that
# is not an ASCII word character, then a login. Emails (ada@example.com) are
# left alone because a word character precedes the `@`.
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])")
# `#123` creates a cross-reference (a timeline event) in that issue.
_ISSUE_REF_RE = re.compile(r"(?<![A-Za-z0-9_])#(?=[0-9])")
_FORGED_MARKER_RE = re.compile(r"<!--(?=\s*goldset-report)", re.IGNORECASE)

# Bidi controls reorder text on screen ("trojan source"); the BOM and the
# Unicode line/paragraph separators break lines in some viewers.
_FORMAT_CHARS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_LINE_SEPARATORS = frozenset("\u2028\u2029\x85")


@dataclass(frozen=True)
class Section:
    """One named part of a report. ``required`` sections are never dropped."""

    title: str
    markdown: str
    required: bool = False


@dataclass(frozen=True)
class Fit:
    """A comment body that fits, and what had to go to make it fit."""

    body: str
    cut: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        return comment_length(self.body)


def comment_length(text: str) -> int:
    """Length as counted against GitHub's limit (UTF-16 code units, conservative)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for sep in _LINE_SEPARATORS:
        text = text.replace(sep, "\n")
    return text


def _visible_control(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␁ ... ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return (
        (code < 0x20 and ch not in "\t\n")
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF  # a lone surrogate is not text; GitHub would refuse it
        or ch in _FORMAT_CHARS
    )


def strip_controls(text: str) -> str:
    """Remove control and bidi characters (keeping tab and newline); CRLF becomes LF."""
    text = _normalise_newlines(text)
    return "".join(ch for ch in text if not _is_control(ch))


def neutralise_mentions(text: str) -> str:
    """Stop ``@user`` and ``@org/team`` from notifying (a zero-width joiner after ``@``)."""
    return _MENTION_RE.sub("@" + ZWJ, text)


def neutralise_marker(text: str) -> str:
    """Break any copy of goldset's marker so no comment can be mistaken for the bot's."""
    return _FORGED_MARKER_RE.sub("<!-" + ZWJ + "-", text)


def _neutralise_issue_refs(text: str) -> str:
    return _ISSUE_REF_RE.sub("#" + ZWJ, text)


def inline(text: object, *, max_chars: int | None = None, newline: str = "<br>") -> str:
    """``text`` made safe inside a sentence or a markdown table cell."""
    s = strip_controls(str(text)).replace("\t", " ")
    if max_chars is not None and len(s) > max_chars:
        s = s[: max(0, max_chars - 1)].rstrip() + "…"
    s = _neutralise_issue_refs(neutralise_mentions(s))
    out: list[str] = []
    for ch in s:
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append(newline)
        else:
            out.append(ch)
    return "".join(out)


def code(text: object, *, in_table: bool = False) -> str:
    """``text`` as a one-line inline code span that it cannot close."""
    s = strip_controls(str(text)).replace("\n", " ").replace("\t", " ")
    s = neutralise_marker(neutralise_mentions(s))
    if in_table:
        # A backslash right before our `\|` would pair with it and free the pipe.
        s = s.replace("\\|", "\\" + ZWJ + "|").replace("|", "\\|")
    if not s.strip():
        # An all-space code span is rendered as nothing; show the emptiness.
        return "`\u2423`" if s else ""
    ticks = "`" * (_longest_run(s, "`") + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def fence(text: object, lang: str = "") -> str:
    """``text`` in a fenced code block it cannot break out of (no trailing newline)."""
    s = _normalise_newlines(str(text))
    s = "".join(_visible_control(ch) if _is_control(ch) else ch for ch in s)
    s = neutralise_marker(neutralise_mentions(s))
    ticks = "`" * max(3, _longest_run(s, "`") + 1)
    # An info string is only a language name; anything else could smuggle text.
    info = lang if re.fullmatch(r"[A-Za-z0-9_+.#-]{1,32}", lang or "") else ""
    if not s.endswith("\n"):
        s += "\n"
    return f"{ticks}{info}\n{s}{ticks}"


def details(summary: object, body_markdown: str, *, open: bool = False) -> str:
    """A collapsed ``<details>`` block; ``summary`` is untrusted text."""
    attr = " open" if open else ""
    return (
        f"<details{attr}><summary>{inline(summary, newline=' ')}</summary>\n\n"
        f"{body_markdown.strip(chr(10))}\n\n</details>"
    )


def _longest_run(s: str, ch: str) -> int:
    runs = re.findall(re.escape(ch) + "+", s)
    return max((len(r) for r in runs), default=0)


# --- fitting a comment under the size limit ---------------------------------


def _assemble(marker: str, kept: Sequence[Section], note: str) -> str:
    parts = [s.markdown.strip("\n") for s in kept if s.markdown.strip()]
    if note:
        parts.append(note)
    return marker + "\n" + "\n\n".join(parts) + "\n"


def _note_title(title: str) -> str:
    # Titles may come from an untrusted report's headings: escape and bound them.
    return f"**{inline(title, max_chars=80, newline=' ')}**"


def _cut_note(cut: Sequence[str], truncated: Sequence[str], limit: int) -> str:
    if not cut and not truncated:
        return ""
    bits = []
    if cut:
        bits.append("left out " + ", ".join(_note_title(t) for t in cut))
    if truncated:
        bits.append("shortened " + ", ".join(_note_title(t) for t in truncated))
    return (
        f"---\n_This comment {' and '.join(bits)} to stay under GitHub's {limit:,}-character "
        "limit. Run `goldset report` locally for the full report._"
    )


def fit_sections(
    sections: Iterable[Section],
    *,
    limit: int = GITHUB_COMMENT_LIMIT,
    marker: str = MARKER,
    margin: int = DEFAULT_MARGIN,
) -> Fit:
    """Join ``sections`` under ``marker`` and keep the result under ``limit``.

    Droppable sections go whole, largest first; if the required ones alone are
    still too long, they are shortened at a line boundary (closing any open
    code fence), the headline (the first section) last.
    """
    secs = list(sections)
    budget = max(limit - margin, limit // 2)
    kept = set(range(len(secs)))

    def body(keep: set[int], shortened: dict[int, str]) -> str:
        cut = [secs[i].title for i in range(len(secs)) if i not in keep]
        trunc = [secs[i].title for i in sorted(shortened)]
        parts = [
            Section(s.title, shortened.get(i, s.markdown), s.required)
            for i, s in enumerate(secs)
            if i in keep
        ]
        return _assemble(marker, parts, _cut_note(cut, trunc, limit))

    droppable = sorted(
        (i for i, s in enumerate(secs) if not s.required),
        key=lambda i: (-comment_length(secs[i].markdown), i),
    )
    for victim in droppable:
        if comment_length(body(kept, {})) <= budget:
            break
        kept.discard(victim)

    shortened: dict[int, str] = {}
    if comment_length(body(kept, shortened)) > budget:
        # The required sections alone are too long: shorten the largest first
        # and the headline (the first section) only as a last resort.
        rest = sorted((i for i in kept if i != 0), key=lambda i: -comment_length(secs[i].markdown))
        for victim in [*rest, *([0] if 0 in kept else [])]:
            shortened[victim] = ""
            room = budget - comment_length(body(kept, shortened))
            shortened[victim] = _truncate_markdown(secs[victim].markdown, room)
            if comment_length(body(kept, shortened)) <= budget:
                break
    final = body(kept, shortened)
    return Fit(
        body=final,
        cut=[secs[i].title for i in range(len(secs)) if i not in kept],
        truncated=[secs[i].title for i in sorted(shortened)],
    )


_TRUNCATED = "\n\n_… (shortened)_"


def _truncate_markdown(md: str, room: int) -> str:
    """The longest prefix of ``md`` ending at a line break that fits in ``room``,
    with its open code fence and ``<details>`` blocks closed."""
    room -= comment_length(_TRUNCATED)
    if room <= 0:
        return ""
    cut = md[:room]
    while True:
        # Each character counts once or twice, so dropping half the excess never overshoots.
        while (excess := comment_length(cut) - room) > 0:
            cut = cut[: len(cut) - max(1, (excess + 1) // 2)]
        nl = cut.rfind("\n")
        if nl > 0:
            cut = cut[:nl]
        closed = cut + _closers(cut)
        if comment_length(closed) <= room or not cut:
            return closed + _TRUNCATED
        # Closing tags need room too: give it back line by line.
        cut = cut[: max(0, len(cut) - (comment_length(closed) - room))]


_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def fit_comment(
    sections: Iterable[Section],
    *,
    limit: int = GITHUB_COMMENT_LIMIT,
    marker: str = MARKER,
    margin: int = DEFAULT_MARGIN,
) -> str:
    """The comment body for ``sections``: marker first, under ``limit`` characters."""
    return fit_sections(sections, limit=limit, marker=marker, margin=margin).body


_HEADING_RE = re.compile(r"^ {0,3}##(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_DETAILS_OPEN_RE = re.compile(r"<details[\s>]", re.IGNORECASE)
_DETAILS_CLOSE_RE = re.compile(r"</details\s*>", re.IGNORECASE)


def _fence_step(opener: str | None, line: str) -> tuple[bool, str | None]:
    """Whether ``line`` is a code-fence line, and the fence open after it
    (``opener`` is the run that opened the current fence, or None)."""
    m = _FENCE_RE.match(line)
    if not m:
        return False, opener
    run, rest = m.group(1), m.group(2)
    if opener is None and not (run[0] == "`" and "`" in rest):
        return True, run
    if opener is not None and run[0] == opener[0] and len(run) >= len(opener) and not rest.strip():
        return True, None
    return True, opener


def _details_depth(depth: int, line: str) -> int:
    """``<details>`` nesting after ``line``, outside code fences."""
    depth += len(_DETAILS_OPEN_RE.findall(line)) - len(_DETAILS_CLOSE_RE.findall(line))
    return max(depth, 0)


def split_sections(markdown: str) -> list[Section]:
    """Split a report at its ``##`` headings; the text before the first one is the headline.

    A heading inside a code fence or a ``<details>`` block does not split. When
    nothing precedes the first heading, that first section is the headline.
    """
    sections: list[tuple[str, list[str]]] = [("headline", [])]
    opener: str | None = None
    depth = 0
    for line in _normalise_newlines(markdown).split("\n"):
        fenced, opener = _fence_step(opener, line)
        if not fenced and opener is None:
            h = _HEADING_RE.match(line)
            if h and depth == 0:
                sections.append((h.group(1) or "section", [line]))
                continue
            depth = _details_depth(depth, line)
        sections[-1][1].append(line)
    out = [Section(title, "\n".join(lines).strip("\n")) for title, lines in sections]
    if not out[0].markdown.strip() and len(out) > 1:
        out = out[1:]
    first = out[0]
    return [Section(first.title, first.markdown, True), *out[1:]]


def fit_markdown(
    markdown: str,
    *,
    limit: int = GITHUB_COMMENT_LIMIT,
    marker: str = MARKER,
    margin: int = DEFAULT_MARGIN,
) -> Fit:
    """A whole markdown report (possibly untrusted) as a marked comment that fits.

    Control characters go, a leading marker is replaced by ours, any other copy
    of the marker is broken, and mentions are neutralised (idempotent, so a
    report goldset rendered itself passes through unchanged).
    """
    text = strip_controls(markdown).lstrip()
    if text.startswith(marker):
        text = text[len(marker) :]
    text = _balance(neutralise_marker(neutralise_mentions(text)).strip("\n"))
    return fit_sections(split_sections(text), limit=limit, marker=marker, margin=margin)


def _balance(md: str) -> str:
    """Close a code fence or ``<details>`` left open at the end, so that the
    note fit_sections appends is shown, not swallowed."""
    return md + _closers(md)


def _closers(md: str) -> str:
    """What closes the code fence and ``<details>`` blocks still open at the end of ``md``."""
    opener: str | None = None
    depth = 0
    for line in md.split("\n"):
        fenced, opener = _fence_step(opener, line)
        if not fenced and opener is None:
            depth = _details_depth(depth, line)
    return ("\n" + opener if opener else "") + "\n\n</details>" * depth
