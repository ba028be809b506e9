"""`goldset judge`: LLM-as-judge verdicts into evals/judgments/<judge>.jsonl."""

from __future__ import annotations

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option
from goldset.cli.run_cmd import llm_options, progress_factory, settings


def _rate(r: dict | None) -> str:
    if not r or r.get("rate") is None:
        return "n/a"
    lo, hi = r["ci"]
    return f"{r['rate']:.2f} [{lo:.2f}, {hi:.2f}] (n={r['n']})"


@click.command("judge")
@click.option("--judge", "judges", multiple=True, help="Judge to run (repeatable; default: all).")
@click.option("--variant", "variants", multiple=True, help="Only judge these variants' outputs.")
@llm_options
@format_option("text", "json")
@repo_option
def command(
    judges: tuple[str, ...],
    variants: tuple[str, ...],
    concurrency: int,
    timeout: float,
    retries: int,
    max_cost: float | None,
    no_cache: bool,
    workers: int,
    seed: int,
    fmt: str,
    repo: str | None,
) -> int:
    """Judge the current results with the judges declared under `judges:`.

    Pointwise judges answer a binary checklist per output; pairwise judges
    compare two variants in both orders (an order-dependent verdict is a
    tie, see docs/formats-llm.md). Unchanged items are never judged twice.
    Exit 1 when calls failed or --max-cost stopped the run.
    """
    from goldset import config, judging, project

    root = project.find_root(repo)
    project.require_config(root)
    cfg = config.load(root)
    bars = progress_factory()
    try:
        runs = judging.run(
            cfg,
            list(judges),
            settings(concurrency, timeout, retries, max_cost, seed, workers),
            variants_filter=list(variants) or None,
            use_cache=not no_cache,
            progress=bars,
        )
    finally:
        bars.close()
    data = [r.as_dict() for r in runs]
    for r in data:
        for w in r["warnings"]:
            echo(f"goldset: warning: {w}", err=True)
    if fmt == "json":
        emit_json({"judges": data})
    else:
        for r in data:
            echo(
                f"{r['judge']} ({r['kind']}, {r['model']}): {r['units']} items -> {r['path']}  "
                f"[{r['kept']} kept, {r['cache_hits']} from cache, {r['calls']} calls, ${r['cost_fresh']:.4f} spent]"
            )
            verdicts = ", ".join(f"{k} {v}" for k, v in sorted(r["verdicts"].items()))
            echo(
                f"  verdicts: {verdicts or 'none'}; unparseable {r['unparseable']}; failed calls {r['call_errors']}; injection attempts {r['injections']}"
            )
            if r["bias"]:
                b = r["bias"]
                echo(f"  position-inconsistent: {_rate(b['inconsistent'])}")
                echo(f"  first-position preference: {_rate(b['first_position'])}")
                echo(f"  longer-answer preference: {_rate(b['longer_preference'])}")
            if r["skipped"]:
                echo(
                    f"  stopped at --max-cost: {r['skipped']} calls not made; re-run to resume",
                    err=True,
                )
    bad = any(r["call_errors"] or r["skipped"] for r in data)
    return 1 if bad else 0
