"""`goldset results`: bring eval results produced by any tool into the repository."""

from __future__ import annotations

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option


@click.group()
def group() -> None:
    """Eval results (evals/results/<variant>.jsonl and its run manifest)."""


@group.command("import")
@click.argument("source", type=click.Path(dir_okay=False, exists=True))
@click.option("--variant", required=True, help="The variant these results belong to.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="TARGET=SOURCE",
    help="Take a field from a column (CSV) or a dotted key (JSONL), e.g. "
    "--map example_id=qid --map scores.exact=is_correct. Repeatable.",
)
@click.option(
    "--input-format",
    "input_format",
    type=click.Choice(["auto", "jsonl", "csv"]),
    default="auto",
    show_default=True,
    help="How SOURCE is written (auto: by its extension).",
)
@click.option("--model", default=None, help="The model the variant calls (for the manifest).")
@click.option("--prompt-hash", default=None, help="The prompt or config hash (for the manifest).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A generation parameter to record in the manifest. Repeatable.",
)
@click.option(
    "--created-at", default=None, help="When the run finished (ISO 8601; default: now, UTC)."
)
@format_option("text", "json")
@repo_option
def import_cmd(
    source: str,
    variant: str,
    maps: tuple[str, ...],
    input_format: str,
    model: str | None,
    prompt_hash: str | None,
    params: tuple[str, ...],
    created_at: str | None,
    fmt: str,
    repo: str | None,
) -> int:
    """Import SOURCE (JSONL or CSV) as the results of --variant.

    Every row is validated (its example must be in the golden set; scores are
    booleans or numbers) before anything is written; a bad row is reported
    as file:line:column. The results file and its manifest are replaced
    atomically. Fields not mapped are taken from a column or key of the same
    name (example_id, output, scores.<name>, cost, latency_ms, tokens.<name>, error).
    """
    from pathlib import Path

    from goldset import config, golden, project, results
    from goldset.errors import UsageError

    root = project.find_root(repo)
    cfg = config.load(root)
    mapping = results.parse_mapping(list(maps))
    param_map: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        param_map[key] = value
    res = results.import_file(
        Path(source),
        variant=variant,
        out_dir=cfg.path("results"),
        golden=golden.read_set(cfg),
        mapping=mapping,
        fmt=input_format,
        model=model,
        prompt_hash=prompt_hash,
        params=param_map,
        created_at=created_at,
        display_name=source,
    )
    rel = res.results_path.relative_to(root).as_posix()
    if fmt == "json":
        emit_json(
            {
                "variant": res.variant,
                "results": rel,
                "manifest": res.manifest_path.relative_to(root).as_posix(),
                "records": res.n,
                "metrics": res.metrics,
            }
        )
    else:
        echo(
            f"imported {res.n} results for variant {res.variant} into {rel} "
            f"(metrics: {', '.join(res.metrics) or 'none'})"
        )
    return 0
