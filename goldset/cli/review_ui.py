"""The interactive review: shows each picked item and records the answers.

This is the prompt layer (click's getchar and prompt); selection, sessions and
label records live in goldset.review. Every answer is appended to the labels
file the moment it is given, so quitting (or a crash) keeps what was rated.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator
from itertools import zip_longest
from typing import Any

import click

from goldset.review import REASON_TEXT, Item, Session

# C0/C1 control characters other than tab and newline: an output must not be
# able to move the cursor, recolour or retitle the reviewer's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\t", "    ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def as_text(value: Any) -> str:
    """An input or output as readable text: strings as-is, turns numbered, others as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict) and isinstance(value.get("turns"), list):
        return "\n\n".join(f"[turn {i}] {as_text(t)}" for i, t in enumerate(value["turns"], 1))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n\n".join(f"[turn {i}] {sanitize(t)}" for i, t in enumerate(value, 1))
    import orjson

    return sanitize(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


def wrap(text: str, width: int) -> list[str]:
    """Wrap each line to ``width``, keeping blank lines and indentation."""
    width = max(width, 10)
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            out.append("")
            continue
        indent = line[: len(line) - len(line.lstrip(" "))][: width // 2]
        out.extend(
            textwrap.wrap(
                line.strip(" "),
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=True,
                break_on_hyphens=False,
            )
            or [""]
        )
    return out


@contextlib.contextmanager
def cbreak() -> Iterator[None]:
    """Keys arrive one press at a time, unechoed, for the whole session.

    Switching the terminal mode per key press (as click.getchar does) loses
    keys typed between two prompts in the line buffer; holding cbreak mode
    (Ctrl-C still interrupts) does not.
    """
    try:
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
        yield
        return
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def cooked() -> Iterator[None]:
    """Line editing back on for a typed note, inside a cbreak session."""
    try:
        import termios

        fd = sys.stdin.fileno()
        now = termios.tcgetattr(fd)
        line = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
        yield
        return
    line[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, line)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, now)


def read_keys() -> str:
    """Whatever keys are waiting (at least one); '' at end of input."""
    try:
        data = os.read(sys.stdin.fileno(), 64)
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


class Quit(Exception):
    """The reviewer asked to stop."""


class _Nav(Exception):
    def __init__(self, where: str) -> None:
        self.where = where  # "skip" | "back"


class ReviewUI:
    """Drives one session through the terminal. Keys are single presses (no Enter)."""

    def __init__(
        self,
        session: Session,
        cfg: Any,
        *,
        getchar: Callable[[], str] = read_keys,
        prompt: Callable[..., Any] = click.prompt,
        echo: Callable[[str], None] = click.echo,
    ) -> None:
        self.s = session
        self.cfg = cfg
        self._getchar = getchar
        self._prompt = prompt
        self._echo = echo
        self._pending = ""
        size = shutil.get_terminal_size((100, 40))
        self.width = max(40, min(size.columns, 160))
        self.height = max(10, size.lines)
        self.color = "NO_COLOR" not in os.environ
        self.answers = 0

    # -- low level

    def out(self, text: str = "") -> None:
        self._echo(text)

    def bold(self, text: str) -> str:
        return click.style(text, bold=True) if self.color else text

    def dim(self, text: str) -> str:
        return click.style(text, dim=True) if self.color else text

    def key(self) -> str:
        # getchar can hand back several keys typed quickly (or an escape
        # sequence); keys are taken one at a time and escape sequences dropped.
        while not self._pending:
            try:
                ch = self._getchar()
            except EOFError:
                raise Quit() from None
            if ch == "" or ch.startswith("\x04"):
                raise Quit()
            if ch.startswith("\x03"):
                raise KeyboardInterrupt
            if ch.startswith("\x1b"):
                continue
            self._pending += ch
        k, self._pending = self._pending[0], self._pending[1:]
        return k

    # -- rendering

    def section(self, title: str, text: str) -> list[str]:
        return [self.bold(title), *("  " + ln for ln in wrap(text, self.width - 2)), ""]

    def side_by_side(self, left: str, right: str) -> list[str]:
        if self.width < 80:
            return self.section("Output 1 (left)", left) + self.section("Output 2 (right)", right)
        col = (self.width - 3) // 2
        lw, rw = wrap(left, col), wrap(right, col)
        lines = [self.bold("Output 1 (left)".ljust(col)) + " │ " + self.bold("Output 2 (right)")]
        lines.append("─" * col + "─┼─" + "─" * col)
        for a, b in zip_longest(lw, rw, fillvalue=""):
            lines.append(a.ljust(col) + " │ " + b)
        lines.append("")
        return lines

    def render(self, idx: int, item: Item) -> list[str]:
        c = item.candidate
        view = self.s.view(item)
        where = f"{c.example_id} · {c.slice}"
        if c.kind == "pointwise":
            where += f" · variant {c.variant}"
        else:
            where += " · pairwise, blind"
        head = f"── {idx + 1}/{len(self.s.items)} ── {where} "
        lines = [self.bold(head + "─" * max(0, self.width - len(head)))]
        # The verdicts behind a reason are not shown: seeing the judge's answer
        # (or a variant's name) before rating would anchor the reviewer.
        lines.append(self.dim("picked: " + "; ".join(REASON_TEXT.get(r, r) for r in item.why)))
        lines.append("")
        lines += self.section("Input", as_text(view["input"]))
        if view.get("reference") not in (None, ""):
            lines += self.section("Reference", as_text(view["reference"]))
        outs = view["outputs"]
        if c.kind == "pointwise":
            lines += self.section("Output", as_text(outs[0]))
        else:
            lines += self.side_by_side(as_text(outs[0]), as_text(outs[1]))
        return lines

    def page(self, lines: list[str]) -> None:
        """Print ``lines`` a screen at a time; any other key jumps to the questions."""
        room = self.height - 3
        i = 0
        while i < len(lines):
            chunk = lines[i : i + room]
            for ln in chunk:
                self.out(ln)
            i += len(chunk)
            if i >= len(lines):
                return
            self.out(
                self.dim(
                    f"-- more ({i}/{len(lines)} lines): space next page · a all"
                    " · enter questions · s skip · b back · q quit --"
                )
            )
            k = self.key()
            if k == " ":
                continue
            if k == "a":
                room = len(lines)
            elif k in "sbq":
                self._nav_key(k)
            else:
                return

    def _nav_key(self, k: str) -> None:
        if k == "q":
            raise Quit()
        if k == "s":
            raise _Nav("skip")
        if k == "b":
            raise _Nav("back")

    # -- questions

    def ask_criterion(self, crit: dict[str, str], qi: int, total: int) -> tuple[bool, str | None]:
        note: str | None = None
        self.out(f"[{qi + 1}/{total}] {self.bold(crit['name'])}: {crit['question']}")
        while True:
            self.out(
                self.dim(
                    "  p pass · f fail · ? examples · n note · r reprint · s skip · b back · q quit"
                )
            )
            k = self.key().lower()
            if k in ("p", "y"):
                return True, note
            if k in ("f", "x"):
                return False, note
            if k == "?":
                self.out(
                    f"  pass, e.g.: {sanitize(crit['pass_example']) or '(no example in the rubric)'}"
                )
                self.out(
                    f"  fail, e.g.: {sanitize(crit['fail_example']) or '(no example in the rubric)'}"
                )
            elif k == "n":
                note = self.ask_note() or note
            elif k == "r":
                raise _Nav("reprint")
            elif k in "sbq":
                self._nav_key(k)
            else:
                self.out(f"  {k!r} is not an answer here")

    def ask_pair(self) -> tuple[str, str | None]:
        note: str | None = None
        self.out(
            f"Which output is better? {self.dim('(the variants are hidden and their sides shuffled)')}"
        )
        while True:
            self.out(
                self.dim(
                    "  1 left · 2 right · t tie · ? rubric · n note · r reprint · s skip · b back · q quit"
                )
            )
            k = self.key().lower()
            if k == "1":
                return "left", note
            if k == "2":
                return "right", note
            if k in ("t", "="):
                return "tie", note
            if k == "?":
                for c in self.s.criteria:
                    self.out(f"  {c['name']}: {c['question']}")
                if not self.s.criteria:
                    self.out("  (the rubric has no criteria; judge overall quality)")
            elif k == "n":
                note = self.ask_note() or note
            elif k == "r":
                raise _Nav("reprint")
            elif k in "sbq":
                self._nav_key(k)
            else:
                self.out(f"  {k!r} is not an answer here")

    def ask_note(self) -> str | None:
        with cooked():
            text = self._prompt("  note (Enter for none)", default="", show_default=False)
        text = str(text).strip()
        return text or None

    # -- the loop

    def steps(self, item: Item) -> list[str]:
        if item.candidate.kind == "pairwise":
            return ["pair"]
        return [c["name"] for c in self.s.criteria]

    def _open(self, i: int, qi: int) -> tuple[int, int] | None:
        """The first unanswered step at or after (i, qi), passing over skipped items."""
        items = self.s.items
        while i < len(items):
            item = items[i]
            if item.key not in self.s.skipped:
                todo = set(self.s.todo(item))
                steps = self.steps(item)
                for q in range(qi, len(steps)):
                    if steps[q] in todo:
                        return i, q
            i, qi = i + 1, 0
        return None

    def run(self) -> dict[str, Any]:
        s = self.s
        total = len(s.items)
        done_items = sum(1 for it in s.items if not s.todo(it))
        self.out(self.bold(f"goldset review · {s.annotator} · {total} items · seed {s.seed}"))
        if s.resumed:
            self.out(
                f"Resuming the review started {s.started_at}: {done_items} of {total} items done."
                " (`--restart` starts a fresh one.)"
            )
        pos = self._open(0, 0)
        shown_item: int | None = None
        quit_early = False
        with cbreak():
            return self._loop(pos, shown_item, quit_early)

    def _loop(
        self, pos: tuple[int, int] | None, shown_item: int | None, quit_early: bool
    ) -> dict[str, Any]:
        s = self.s
        try:
            while pos is not None:
                i, qi = pos
                item = s.items[i]
                try:
                    if shown_item != i:
                        self.out("")
                        self.page(self.render(i, item))
                        shown_item = i
                    steps = self.steps(item)
                    if item.candidate.kind == "pairwise":
                        choice, note = self.ask_pair()
                        rec = s.record(item, choice=choice, note=note)
                        s.answer(self.cfg, item, rec)
                        self.answers += 1
                        self.out(f"  recorded: {choice}")
                    else:
                        crit = next(c for c in s.criteria if c["name"] == steps[qi])
                        value, note = self.ask_criterion(crit, qi, len(steps))
                        rec = s.record(item, criterion=crit["name"], value=value, note=note)
                        s.answer(self.cfg, item, rec)
                        self.answers += 1
                        self.out(f"  recorded: {crit['name']} {'pass' if value else 'fail'}")
                    nxt = self._open(i, qi + 1)
                    pos = nxt
                except _Nav as nav:
                    if nav.where == "reprint":
                        shown_item = None
                    elif nav.where == "skip":
                        s.skip(item)
                        self.out(f"  skipped {item.candidate.example_id}")
                        pos = self._open(i + 1, 0)
                    else:  # back: the previous question, answered or not
                        if qi > 0:
                            pos = (i, qi - 1)
                        elif i > 0:
                            prev = s.items[i - 1]
                            if prev.key in s.skipped:
                                s.skipped.remove(prev.key)
                            pos = (i - 1, len(self.steps(prev)) - 1)
                            shown_item = None
                        else:
                            self.out("  already at the first question")
                        if pos is not None and pos[0] == i and qi > 0:
                            # Re-asking an answered question: its new answer supersedes.
                            s.answered.get(item.key, set()).discard(self.steps(item)[pos[1]])
                        elif pos is not None and pos[0] != i:
                            prev = s.items[pos[0]]
                            s.answered.get(prev.key, set()).discard(self.steps(prev)[pos[1]])
        except Quit:
            quit_early = True
        s.save()
        left = sum(1 for it in s.items if s.todo(it) and it.key not in s.skipped)
        return {
            "answers": self.answers,
            "quit": quit_early,
            "items_left": left,
            "skipped": len(s.skipped),
            "finished": s.finished(),
        }
