"""`goldset review`: the weekly read of ten fresh outputs, and its summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option
from goldset.errors import OK, UsageError


@click.command("review")
@click.option("-n", "n", type=int, default=10, show_default=True, help="How many items to read.")
@click.option(
    "--variant", default=None, help="Rate this variant's outputs (default: every variant's)."
)
@click.option(
    "--pair",
    nargs=2,
    default=None,
    metavar="A B",
    help="Compare two variants blind, side by side (A, B or tie).",
)
@click.option(
    "--slice",
    "slices",
    multiple=True,
    metavar="KEY=VALUE",
    help="Only items of this slice (repeatable).",
)
@click.option(
    "--seed", type=int, default=None, help="Selection seed (default: this ISO week, YYYYWW)."
)
@click.option("--annotator", default=None, help="Who is rating (default: git config user.name).")
@click.option("--restart", is_flag=True, help="Drop an unfinished review and pick new items.")
@click.option(
    "--items",
    "items_file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Review exactly the items in this file (from `--list --format json`), e.g. for a calibration round.",
)
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="Print the items that would be picked, and why; rate nothing.",
)
@click.option(
    "--summary", "summary_only", is_flag=True, help="Summarise the last --days of review."
)
@click.option("--days", type=int, default=7, show_default=True, help="The summary's window.")
@format_option("text", "json", "md")
@repo_option
def command(
    n: int,
    variant: str | None,
    pair: tuple[str, str] | None,
    slices: tuple[str, ...],
    seed: int | None,
    annotator: str | None,
    restart: bool,
    items_file: str | None,
    list_only: bool,
    summary_only: bool,
    days: int,
    fmt: str,
    repo: str | None,
) -> int:
    """Read about ten fresh outputs and rate them; the answers become labels.

    Picks outputs no human has labelled, outputs that changed since they were
    labelled, and outputs where the judge disagrees with the humans or with
    itself, across every slice. Each answer is appended at once to
    evals/labels/<annotator>.jsonl; quit any time and run it again to continue.
    """
    from goldset import config, project, review

    if variant and pair:
        raise UsageError("--variant and --pair: give one or the other")
    root = project.find_root(repo)
    cfg = config.load(root)
    if summary_only:
        data = review.summary(cfg, days=days)
        _render_summary(data, fmt)
        return OK
    pair_t = (pair[0], pair[1]) if pair else None
    if list_only:
        data = review.plan(cfg, n=n, variant=variant, pair=pair_t, slices=slices, seed=seed)
        _render_plan(data, fmt)
        return OK
    if not sys.stdin.isatty():
        raise UsageError(
            "goldset review is interactive and needs a terminal (stdin is not one)",
            hint="`goldset review --list` prints the picks, `--summary` the findings;"
            " `goldset labels import` takes ratings made elsewhere",
        )
    from goldset import gitio, labels
    from goldset.cli.review_ui import ReviewUI

    who = labels.safe_name(annotator or gitio.user_ident(root))
    session = review.start(
        cfg,
        annotator=who,
        n=n,
        variant=variant,
        pair=pair_t,
        slices=slices,
        seed=seed,
        restart=restart,
        items_file=Path(items_file) if items_file else None,
    )
    result = ReviewUI(session, cfg).run()
    target = labels.file_for(cfg, who).relative_to(root).as_posix()
    echo("")
    if result["finished"]:
        echo(f"Done: {result['answers']} answer(s) this run, in {target}.")
        echo(f"Commit them: git add {target} && git commit -m 'weekly review'")
        echo("See what the week found: goldset review --summary")
    else:
        echo(
            f"Saved {result['answers']} answer(s) this run in {target};"
            f" {result['items_left']} item(s) left. Run `goldset review` again to continue."
        )
    return OK


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _render_plan(data: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit_json(data)
        return
    items = data["items"]
    if fmt == "md":
        echo(f"Review picks (seed {data['seed']}):\n")
        echo("| # | example | slice | output(s) | why |")
        echo("|---|---|---|---|---|")
        for i, it in enumerate(items, 1):
            what = it.get("variant") or f"{it['a']} vs {it['b']}"
            why = "; ".join(_why(it))
            echo(f"| {i} | `{it['example_id']}` | {it['slice']} | {what} | {why} |")
        return
    echo(f"{len(items)} item(s) picked with seed {data['seed']} (same seed, same picks):")
    for i, it in enumerate(items, 1):
        what = it.get("variant") or f"{it['a']} vs {it['b']}"
        echo(f"{i:>3}. {it['example_id']}  [{it['slice']}]  {what}")
        echo(f"       why: {'; '.join(_why(it))}")


def _why(it: dict[str, Any]) -> list[str]:
    from goldset.review import REASON_TEXT

    return [REASON_TEXT.get(r, r) for r in it["reasons"]] + list(it["details"])


def _render_summary(d: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit_json(d)
        return
    md = fmt == "md"
    w = d["window"]
    title = f"Review, {w['since'][:10]} to {w['until'][:10]}"
    echo(f"## {title}" if md else title)
    echo("")
    who = ", ".join(d["annotators"]) or "nobody"
    echo(f"{d['items_read']} item(s) read, {d['labels']} label(s), by {who}.")
    if d["reminder"]:
        echo("")
        echo(f"> **Reminder:** {d['reminder']}" if md else f"Reminder: {d['reminder']}")
    echo("")
    if md:
        echo("| slice | items read |")
        echo("|---|---|")
        for row in d["per_slice"]:
            echo(f"| {row['slice']} | {row['items']} |")
    else:
        echo("Items read per slice:")
        for row in d["per_slice"]:
            echo(f"  {row['slice']:<30} {row['items']}")
    echo("")
    if d["criteria"]:
        if md:
            echo("| criterion | pass rate | 95% CI | n |")
            echo("|---|---|---|---|")
        else:
            echo("Pass rate per criterion (95% Wilson interval):")
        for c in d["criteria"]:
            lo, hi = c["ci95"]
            ci = f"{_pct(lo)}–{_pct(hi)}" if c["n"] else "-"
            if md:
                echo(f"| {c['criterion']} | {_pct(c['rate'])} | {ci} | {c['n']} |")
            else:
                echo(f"  {c['criterion']:<20} {_pct(c['rate']):>5}  [{ci}]  n={c['n']}")
        echo("")
    for p in d["pairwise"]:
        echo(
            f"{p['a']} vs {p['b']}: {p['a_wins']} / {p['b_wins']} wins, {p['ties']} tie(s), n={p['n']}"
        )
    if d["pairwise"]:
        echo("")
    dis = d["disagreements"]
    echo(f"Disagreements with the judge: {len(dis)}")
    for x in dis:
        what = x.get("criterion") or " vs ".join(x.get("pair", []))
        tail = f" ({x['variant']})" if x.get("variant") else ""
        line = (
            f"{x['example_id']}{tail} {what}: {x['annotator']} said {x['human']},"
            f" {x['judge']} said {x['judge_says']}"
        )
        echo(
            f"- `{x['example_id']}`{tail} {what}: {x['annotator']} said {x['human']}, {x['judge']} said {x['judge_says']}"
            if md
            else f"  {line}"
        )
