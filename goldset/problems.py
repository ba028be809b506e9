"""A problem found by a check, and how it is printed (text, JSON, GitHub annotations)."""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs the hook path ~2 ms to import
    from typing import Any, Literal

    Severity = Literal["error", "warning"]

# A namedtuple, not a dataclass: this sits on the hook path, where importing
# dataclasses (and inspect) costs more than the check itself.
_ProblemBase = namedtuple(
    "_ProblemBase",
    ["path", "line", "message", "code", "severity", "column", "example_id", "field"],
    defaults=["error", None, None, None],
)


class Problem(_ProblemBase):
    """One finding: where (path, line, column), what (message, code), which example and field.

    ``field`` is a JSON path such as ``$.slice.category``.
    """

    __slots__ = ()

    def location(self) -> str:
        out = self.path
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out

    def text(self) -> str:
        bits = [f"{self.location()}: {self.severity}"]
        if self.example_id is not None:
            bits.append(f"[{self.example_id}]")
        if self.field:
            bits.append(f"{self.field}:")
        bits.append(self.message)
        return " ".join(bits)

    def github(self) -> str:
        props = [f"file={_gh_prop(self.path)}"]
        if self.line is not None:
            props.append(f"line={self.line}")
        if self.column is not None:
            props.append(f"col={self.column}")
        props.append(f"title={_gh_prop('goldset ' + self.code)}")
        level = "error" if self.severity == "error" else "warning"
        where = f"[{self.example_id}] " if self.example_id else ""
        field = f"{self.field}: " if self.field else ""
        return f"::{level} {','.join(props)}::{_gh_data(where + field + self.message)}"

    def as_dict(self) -> dict[str, Any]:
        return dict(self._asdict())


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def render(problems: list[Problem], fmt: str, summary: str = "") -> str:
    """Problems as text (one per line, then a summary) or GitHub annotations."""
    lines = [p.github() for p in problems] if fmt == "github" else [p.text() for p in problems]
    if summary and fmt != "github":
        lines.append(summary)
    return "\n".join(lines) + ("\n" if lines else "")
