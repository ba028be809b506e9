"""add, remove and edit: every change to the golden set carries a reason."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from goldset.cli._common import emit_json, format_option, repo_option


def _cfg(repo: str | None) -> Any:
    from goldset import config, project

    root = project.find_root(repo)
    project.require_config(root)
    return config.load(root)


def _report(res: Any, fmt: str) -> None:
    if fmt == "json":
        emit_json(
            {"action": res.action, "ids": res.ids, "file": res.file, "warnings": res.warnings}
        )
        return
    click.echo(f"{res.action} {len(res.ids)} example(s) in {res.file}: {', '.join(res.ids)}")
    for w in res.warnings:
        click.echo(f"warning: {w}", err=True)


WHY_HELP = "Why this change: what was wrong or missing, and where it came from (required)."


@click.command("add")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--input", "input_", help="The example's input text.")
@click.option("--reference", help="The reference answer.")
@click.option(
    "--slice", "slices", multiple=True, metavar="KEY=VALUE", help="A slice value (repeatable)."
)
@click.option("--stratum", help="real_traffic, failure_mode or edge_case (as configured).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--id", "ex_id", help="The id (default: generated, readable and stable).")
@click.option("--why", help=WHY_HELP)
@click.option("--source", help="Where the examples came from (ticket, trace, file).")
@click.option("--to", help="Golden file to append to (default: the only one, or golden.jsonl).")
@click.option(
    "--from-format", type=click.Choice(["jsonl", "json", "csv"]), help="Format of FILE or stdin."
)
@repo_option
@format_option("text", "json")
def add(
    file: str | None,
    input_: str | None,
    reference: str | None,
    slices: tuple[str, ...],
    stratum: str | None,
    tags: tuple[str, ...],
    ex_id: str | None,
    why: str | None,
    source: str | None,
    to: str | None,
    from_format: str | None,
    repo: str | None,
    fmt: str,
) -> int:
    """Add examples from flags, from FILE (JSONL, JSON or CSV), or from stdin (FILE = -).

    Everything is validated before anything is written; the CHANGELOG entry is
    written with the examples.
    """
    from goldset import editing
    from goldset.errors import UsageError

    cfg = _cfg(repo)
    examples: list[dict[str, Any]] = []
    if file is not None:
        if input_ is not None:
            raise UsageError("give either --input or FILE, not both")
        if reference is not None or ex_id is not None:
            raise UsageError(
                "--reference and --id describe one example: use them with --input, "
                "or put them in FILE (--slice, --stratum and --tag do apply to every example of FILE)"
            )
        if file == "-":
            data = sys.stdin.buffer.read()
            name = "<stdin>"
        else:
            try:
                data = Path(file).read_bytes()
            except OSError as exc:
                raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
            name = file
        examples = editing.read_examples(data, name, from_format)
        source = source or (None if file == "-" else file)
        # Flags given with a file apply to every example that lacks them.
        for ex in examples:
            if stratum and "stratum" not in ex:
                ex["stratum"] = stratum
            if slices:
                ex.setdefault("slice", {}).update(
                    {
                        k: v
                        for k, v in editing.parse_slice(slices).items()
                        if k not in ex.get("slice", {})
                    }
                )
            if tags:
                ex["tags"] = list(dict.fromkeys([*ex.get("tags", []), *tags]))
    elif input_ is not None:
        ex: dict[str, Any] = {"input": input_}
        if ex_id:
            ex["id"] = ex_id
        if reference is not None:
            ex["reference"] = reference
        if slices:
            ex["slice"] = editing.parse_slice(slices)
        if stratum:
            ex["stratum"] = stratum
        if tags:
            ex["tags"] = list(dict.fromkeys(tags))
        examples = [ex]
    elif not sys.stdin.isatty():
        examples = editing.read_examples(sys.stdin.buffer.read(), "<stdin>", from_format)
    res = editing.add(cfg, examples, why=why, source=source, to=to)
    _report(res, fmt)
    return 0


@click.command("remove")
@click.argument("ids", nargs=-1, required=True)
@click.option("--why", help=WHY_HELP)
@repo_option
@format_option("text", "json")
def remove(ids: tuple[str, ...], why: str | None, repo: str | None, fmt: str) -> int:
    """Remove examples by id, with a reason recorded in the CHANGELOG."""
    from goldset import editing

    res = editing.remove(_cfg(repo), list(ids), why=why)
    _report(res, fmt)
    return 0


@click.command("edit")
@click.argument("example_id")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="e.g. reference=42, slice.category=math (repeatable). Without --set, opens $EDITOR.",
)
@click.option("--why", help=WHY_HELP)
@repo_option
@format_option("text", "json")
def edit(
    example_id: str, assignments: tuple[str, ...], why: str | None, repo: str | None, fmt: str
) -> int:
    """Change one example, with a reason recorded in the CHANGELOG."""
    import json

    from goldset import editing, golden
    from goldset.errors import UsageError

    cfg = _cfg(repo)
    editing.require_reason(why)
    replacement = None
    if not assignments:
        current = golden.read_set(cfg).get(example_id)
        if current is None:
            raise UsageError(f"unknown example id {example_id!r}")
        shown = {k: v for k, v in current.items() if k not in ("provenance", "content_hash")}
        text = click.edit(json.dumps(shown, indent=2, ensure_ascii=False) + "\n", extension=".json")
        if text is None:
            click.echo("no change (editor closed without saving)")
            return 0
        try:
            replacement = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"edited text is not valid JSON (line {exc.lineno}: {exc.msg}); nothing changed"
            ) from None
        if not isinstance(replacement, dict):
            raise UsageError("edited text must be a JSON object; nothing changed")
    res = editing.edit(
        cfg, example_id, why=why, assignments=list(assignments), replacement=replacement
    )
    _report(res, fmt)
    return 0
