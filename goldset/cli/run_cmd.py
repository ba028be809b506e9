"""`goldset run`: generate every variant's outputs into evals/results/<variant>.jsonl."""

from __future__ import annotations

from typing import Any

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option


def llm_options(f: Any) -> Any:
    """Options shared by the commands that call models (run, judge)."""
    for opt in reversed(
        [
            click.option(
                "--concurrency",
                type=click.IntRange(1, 1024),
                default=8,
                show_default=True,
                help="Calls in flight at once.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(0.1),
                default=60.0,
                show_default=True,
                help="Seconds before one call is abandoned (then retried).",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 20),
                default=4,
                show_default=True,
                help="Retries per call on 429 (after Retry-After), 5xx and timeouts (exponential backoff).",
            ),
            click.option(
                "--max-cost",
                type=click.FloatRange(0),
                default=None,
                help="Stop starting calls before this many US dollars (litellm's prices) are spent.",
            ),
            click.option(
                "--no-cache",
                is_flag=True,
                help="Ignore cached answers (fresh answers are still cached).",
            ),
            click.option(
                "--workers",
                type=click.IntRange(1, 64),
                default=1,
                show_default=True,
                help="Processes sharing the calls (litellm costs ~5 ms of CPU per call; more workers use more cores). Ignored with --max-cost.",
            ),
            click.option(
                "--seed", type=int, default=0, show_default=True, help="Seed of the retry jitter."
            ),
        ]
    ):
        f = opt(f)
    return f


def settings(
    concurrency: int,
    timeout: float,
    retries: int,
    max_cost: float | None,
    seed: int,
    workers: int = 1,
) -> Any:
    from goldset.llm import Settings

    return Settings(
        concurrency=concurrency,
        timeout=timeout,
        retries=retries,
        max_cost=max_cost,
        seed=seed,
        workers=workers,
    )


def progress_factory() -> Any:
    from goldset.progress import Progress

    bars: list[Progress] = []

    def make(label: str) -> Any:
        for b in bars:
            b.close()
        bar = Progress(label)
        bars.append(bar)
        return bar

    make.close = lambda: [b.close() for b in bars]  # type: ignore[attr-defined]
    return make


@click.command("run")
@click.option(
    "--variant", "variants", multiple=True, help="Variant to run (repeatable; default: all)."
)
@llm_options
@format_option("text", "json")
@repo_option
def command(
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
    """Generate outputs for every golden example with each variant (model x prompt).

    Results are appended to evals/results/<variant>.jsonl as they arrive, so a
    crash or Ctrl-C loses nothing and the next run resumes; unchanged examples
    are answered from the cache without a call. Exit 1 when calls failed or
    --max-cost stopped the run.
    """
    from goldset import config, generate, project

    root = project.find_root(repo)
    project.require_config(root)
    cfg = config.load(root)
    bars = progress_factory()
    try:
        runs = generate.run(
            cfg,
            list(variants),
            settings(concurrency, timeout, retries, max_cost, seed, workers),
            use_cache=not no_cache,
            progress=bars,
        )
    finally:
        bars.close()
    data = [r.as_dict() for r in runs]
    if fmt == "json":
        emit_json({"variants": data})
    else:
        for r in data:
            echo(
                f"{r['variant']} ({r['model']}): {r['kept'] + r['calls'] + r['cache_hits']}/{r['examples']} examples"
                f" -> {r['path']}  [{r['kept']} kept, {r['cache_hits']} from cache, {r['calls']} calls,"
                f" {r['errors']} errors, ${r['cost_fresh']:.4f} spent]"
            )
            for e in r["errors_sample"]:
                echo(f"  error: {e}", err=True)
            if r["skipped"]:
                echo(
                    f"  stopped at --max-cost: {r['skipped']} examples not run; re-run to resume",
                    err=True,
                )
    return 0 if all(r["complete"] for r in data) else 1
