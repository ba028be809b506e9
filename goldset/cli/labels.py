"""`goldset labels import|export`: ratings made elsewhere, in and out."""

from __future__ import annotations

import sys

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option
from goldset.errors import OK


@click.group("labels")
def group() -> None:
    """Bring human ratings in from other tools, or write them out."""


@group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--from",
    "--format",
    "source_fmt",
    type=click.Choice(["csv", "jsonl", "label-studio", "argilla"]),
    required=True,
    help="What FILE is: CSV, goldset JSONL, a Label Studio JSON export, an Argilla records export.",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Where a label field lives in FILE, e.g. --map example_id=item (repeatable).",
)
@click.option("--annotator", default=None, help="Who rated, when FILE does not say.")
@click.option(
    "--output-format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to report what was imported.",
)
@repo_option
def import_(
    file: str,
    source_fmt: str,
    mapping: tuple[str, ...],
    annotator: str | None,
    fmt: str,
    repo: str | None,
) -> int:
    """Validate and append the ratings in FILE to evals/labels/<annotator>.jsonl.

    Every row is checked (golden ids, rubric criteria, pass/fail values) before
    anything is written; a bad row stops the import and names its line.
    Re-importing the same file adds nothing.
    """
    from pathlib import Path

    from goldset import config, labels, project

    root = project.find_root(repo)
    cfg = config.load(root)
    result = labels.import_file(cfg, Path(file), source_fmt, mapping=mapping, annotator=annotator)
    if fmt == "json":
        emit_json(result.as_dict())
        return OK
    echo(f"imported {result.total} label(s) from {file}")
    for who, k in sorted(result.added.items()):
        echo(f"  {who}: {k}")
    if result.skipped_duplicates:
        echo(f"  {result.skipped_duplicates} already present, skipped")
    return OK


@group.command("export")
@format_option("csv", "jsonl", default="csv")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write here instead of stdout.",
)
@click.option(
    "--annotator", "annotators", multiple=True, help="Only these annotators (repeatable)."
)
@repo_option
def export(fmt: str, output: str | None, annotators: tuple[str, ...], repo: str | None) -> int:
    """Write every label out as CSV or JSONL (for a spreadsheet or another tool)."""
    from goldset import atomic, config, labels, project

    root = project.find_root(repo)
    cfg = config.load(root)
    data = labels.export(cfg, fmt, annotators=annotators)
    if output:
        atomic.write_bytes(output, data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return OK
