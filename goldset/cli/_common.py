"""Small helpers shared by the command modules (options, output)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """The ``--format`` option every read command offers."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def repo_option(f: F) -> F:
    return click.option(
        "-C",
        "--repo",
        "repo",
        type=click.Path(file_okay=False),
        default=None,
        help="Run as if started in this folder (default: the current one).",
    )(f)


def emit_json(data: Any) -> None:
    """Print ``data`` as stable, indented JSON on stdout."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def echo(text: str = "", *, err: bool = False) -> None:
    click.echo(text, err=err)
