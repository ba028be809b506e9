"""``goldset rank``: Bradley-Terry ratings of the variants from pairwise votes."""

from __future__ import annotations

from typing import Any

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option


def _f(x: Any, nd: int = 1) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _pct(x: Any) -> str:
    return "   -" if x is None else f"{100 * x:4.0f}"


def _rounds(s: dict[str, Any]) -> str:
    kind = {"bayesian": "Bayesian bootstrap, ", "multinomial": "classic bootstrap, "}
    return f" ({kind.get(s.get('resample') or '', '')}{s['n_boot']} rounds, seed {s['seed']})"


def render_text(rep: dict[str, Any]) -> str:
    s = rep["settings"]
    nd = 1 if s["scale"] == "elo" else 3
    lines = [
        f"goldset rank: {rep['n_comparisons']:.0f} comparisons ({rep['by_source']['labels']} from "
        f"labels, {rep['by_source']['judgments']} from judgments); Bradley-Terry, ties: {s['ties']}, "
        f"scale: {s['scale']}; {s['level'] * 100:.0f}% {s['ci_method']} intervals"
        + (_rounds(s) if s["ci_method"] == "bootstrap" else ""),
        "",
    ]
    width = max(7, *(len(r["variant"]) for r in rep["ratings"]))
    lines.append(
        f"{'#':>3}  {'variant':<{width}}  {'rating':>8}  {'se':>6}  {'interval':<21} {'games':>6}  win%"
    )
    for r in rep["ratings"]:
        ci = f"[{_f(r['ci'][0], nd)}, {_f(r['ci'][1], nd)}]"
        lines.append(
            f"{r['rank']:>3}  {r['variant']:<{width}}  {_f(r['rating'], nd):>8}  {_f(r['se'], nd):>6}  "
            f"{ci:<21} {r['games']:>6.0f}  {_pct(r['win_rate'])}"
        )
    wr = rep["win_rates"]
    lines.append("")
    lines.append("win rate of the row variant against the column variant (ties count half), %:")
    names = wr["variants"]
    short = [n[:10] for n in names]
    lines.append(" " * (width + 2) + "".join(f"{n:>11}" for n in short))
    for n, row in zip(names, wr["matrix"], strict=True):
        lines.append(f"{n:<{width}}  " + "".join(f"{_pct(x):>11}" for x in row))
    if rep["tie_parameter"] is not None:
        lines.append(f"\nDavidson tie parameter nu = {rep['tie_parameter']:.3f}")
    for w in rep["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


def render_md(rep: dict[str, Any]) -> str:
    from goldset.markdown_safe import inline

    s = rep["settings"]
    nd = 1 if s["scale"] == "elo" else 3
    out = [
        "### Ranking (Bradley-Terry)",
        "",
        f"{rep['n_comparisons']:.0f} comparisons; ties: {s['ties']}; scale: {s['scale']}; "
        f"{s['level'] * 100:.0f}% {s['ci_method']} intervals"
        + (_rounds(s) + "." if s["ci_method"] == "bootstrap" else "."),
        "",
        "| # | variant | rating | se | interval | games | win rate |",
        "|---:|---|---:|---:|---|---:|---:|",
    ]
    for r in rep["ratings"]:
        wr = "n/a" if r["win_rate"] is None else f"{100 * r['win_rate']:.0f}%"
        out.append(
            f"| {r['rank']} | {inline(r['variant'])} | {_f(r['rating'], nd)} | {_f(r['se'], nd)} | "
            f"[{_f(r['ci'][0], nd)}, {_f(r['ci'][1], nd)}] | {r['games']:.0f} | {wr} |"
        )
    if rep["warnings"]:
        out.append("")
        out.extend(f"- {inline(w)}" for w in rep["warnings"])
    return "\n".join(out)


@click.command("rank")
@click.option(
    "--source",
    type=click.Choice(["labels", "judgments", "all"]),
    default="all",
    show_default=True,
    help="Which pairwise votes to use.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed (reported).")
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(0, 100_000),
    default=1000,
    show_default=True,
    help="Bootstrap rounds (0: Wald intervals from the Fisher information).",
)
@click.option(
    "--ties",
    type=click.Choice(["half", "davidson", "drop"]),
    default="half",
    show_default=True,
    help="A tie is half a win each, a Davidson tie, or ignored.",
)
@click.option(
    "--prior",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Virtual ties per variant against an average one (keeps an unbeaten variant finite).",
)
@click.option(
    "--scale",
    type=click.Choice(["elo", "natural"]),
    default="elo",
    show_default=True,
    help="Elo display (1000 + 400 log10-odds) or natural log-odds.",
)
@click.option(
    "--resample",
    type=click.Choice(["bayesian", "multinomial"]),
    default="bayesian",
    show_default=True,
    help="Bootstrap: Rubin's Bayesian bootstrap (every vote kept, reweighted) or the classic "
    "redraw of the votes with replacement (multinomial).",
)
@click.option("--reference", help="Report ratings relative to this variant (default: centred).")
@click.option("--turn", type=click.IntRange(1), help="Only votes on this turn.")
@click.option("--include-stale", is_flag=True, help="Keep votes on examples changed since.")
@format_option("text", "json", "md")
@repo_option
def command(
    source: str,
    seed: int,
    n_boot: int,
    ties: str,
    prior: float,
    scale: str,
    resample: str,
    reference: str | None,
    turn: int | None,
    include_stale: bool,
    fmt: str,
    repo: str | None,
) -> int:
    """Bradley-Terry ratings with intervals, and win rates, from pairwise votes.

    A judge's two orders count as one verdict when they agree; an
    inconsistent verdict counts as a tie or is dropped, per
    agreement.pairwise_inconsistent in goldset.yaml.
    """
    from goldset import config, project, ranking

    root = project.find_root(repo)
    cfg = config.load(root)
    rep = ranking.compute(
        cfg,
        source=source,
        seed=seed,
        n_boot=n_boot,
        ties=ties,
        prior=prior,
        scale=scale,
        reference=reference,
        turn=turn,
        include_stale=include_stale,
        resample=resample,
    )
    if fmt == "json":
        emit_json(rep)
    elif fmt == "md":
        echo(render_md(rep))
    else:
        echo(render_text(rep))
    return 0
