"""``goldset agree``: how far humans agree with each other, and judges with humans."""

from __future__ import annotations

from typing import Any

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option


def _num(x: Any, nd: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _ci(ci: Any) -> str:
    if not ci or ci[0] is None:
        return "[n/a]"
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


_STAT = {"cohen_kappa": "Cohen's kappa", "krippendorff_alpha": "Krippendorff's alpha"}


def _human_line(h: dict[str, Any] | None) -> str:
    if h is None:
        return "humans: no item rated by two or more humans"
    flag = f"  ! under {h['threshold']}: the rubric needs work" if h["below_threshold"] else ""
    return (
        f"humans ({h['n_raters']} raters, {h['n_pairs']} vote pairs on {h['n_items']} items): "
        f"agreement {_pct(h['agreement'])}, {_STAT[h['statistic']]} {_num(h['kappa'])} "
        f"{_ci(h['ci'])}{flag}"
    )


def _judge_line(j: dict[str, Any]) -> str:
    if not j.get("n"):
        return f"judge {j['judge']}: uncalibrated ({j.get('note')})"
    flag = f"  NOT TRUSTWORTHY (kappa under {j['threshold']})" if j["below_threshold"] else ""
    return (
        f"judge {j['judge']} vs humans (n={j['n']} pairs on {j['n_items']} items): agreement "
        f"{_pct(j['agreement'])}, kappa {_num(j['kappa'])} {_ci(j['ci'])}{flag}"
    )


def _matrix(cats: list[Any], rows: list[list[int]], label: str) -> list[str]:
    names = [str(c) for c in cats]
    w = max(6, *(len(n) for n in names))
    out = [f"    {label}: rows x columns"]
    out.append("    " + " " * w + "".join(f"{n:>{w + 1}}" for n in names))
    for n, r in zip(names, rows, strict=True):
        out.append(f"    {n:>{w}}" + "".join(f"{v:>{w + 1}}" for v in r))
    return out


def render_text(rep: dict[str, Any]) -> str:
    s = rep["settings"]
    lines = [
        f"goldset agree: {len(rep['humans'])} human rater(s), judges: "
        f"{', '.join(rep['judges']) or 'none'}; thresholds humans {s['human_threshold']}, "
        f"judges {s['judge_threshold']}; {s['n_boot']} bootstrap rounds, seed {s['seed']}"
    ]
    if not rep["criteria"]:
        lines.append("no labels or judgments to compare (add some under the labels folder)")
    for c in rep["criteria"]:
        lines.append("")
        lines.append(f"{c['criterion']} (categories: {', '.join(str(x) for x in c['categories'])})")
        lines.append("  " + _human_line(c["human"]))
        h = c["human"]
        if h is not None and h.get("prevalence_index") is not None:
            lines.append(
                f"    prevalence index {_num(h['prevalence_index'])}, bias index "
                f"{_num(h['bias_index'])}, PABAK {_num(h['pabak'])}"
            )
        for j in c["judges"]:
            lines.append("  " + _judge_line(j))
            if j.get("n"):
                pi = j.get("prevalence_index")
                lines.append(
                    f"    raw agreement {_pct(j['raw_agreement'])}, expected {_pct(j['expected'])}, "
                    + (f"prevalence index {_num(pi)}, " if pi is not None else "")
                    + f"bias index {_num(j['bias_index'])}, PABAK {_num(j['pabak'])}"
                )
                lines.extend(_matrix(j["categories"], j["confusion"], "judge x humans"))
        if c["slices"]:
            lines.append("  by slice:")
            for sl in c["slices"]:
                bits = []
                h2 = sl["human"]
                if h2 is not None:
                    bits.append(f"humans {_num(h2['kappa'])} {_ci(h2['ci'])} n={h2['n_pairs']}")
                for j in sl["judges"]:
                    if j.get("n"):
                        mark = " !" if j["below_threshold"] else ""
                        bits.append(
                            f"{j['judge']} {_num(j['kappa'])} {_ci(j['ci'])} n={j['n']}{mark}"
                        )
                lines.append(f"    {sl['key']}={sl['value']}: " + "; ".join(bits))
    if rep["warnings"]:
        lines.append("")
        lines.extend(f"warning: {w}" for w in rep["warnings"])
    return "\n".join(lines)


def render_md(rep: dict[str, Any]) -> str:
    from goldset.markdown_safe import inline

    s = rep["settings"]
    out = [
        "### Agreement",
        "",
        f"Thresholds: humans {s['human_threshold']}, judges {s['judge_threshold']}. "
        f"{s['level'] * 100:.0f}% intervals from {s['n_boot']} bootstrap rounds over examples "
        f"(seed {s['seed']}).",
        "",
        "| criterion | raters | n | agreement | coefficient | interval | verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for c in rep["criteria"]:
        crit = inline(c["criterion"])
        h = c["human"]
        if h is not None:
            verdict = "rubric needs work" if h["below_threshold"] else "ok"
            out.append(
                f"| {crit} | humans ({h['n_raters']}) | {h['n_pairs']} | {_pct(h['agreement'])} | "
                f"{_STAT[h['statistic']]} {_num(h['kappa'])} | {_ci(h['ci'])} | {verdict} |"
            )
        for j in c["judges"]:
            if not j.get("n"):
                out.append(
                    f"| {crit} | {inline(j['judge'])} | 0 | n/a | n/a | n/a | uncalibrated |"
                )
                continue
            verdict = "**not trustworthy**" if j["below_threshold"] else "ok"
            out.append(
                f"| {crit} | {inline(j['judge'])} vs humans | {j['n']} | {_pct(j['agreement'])} | "
                f"kappa {_num(j['kappa'])} | {_ci(j['ci'])} | {verdict} |"
            )
    if rep["warnings"]:
        out.append("")
        out.extend(f"- {inline(w)}" for w in rep["warnings"])
    return "\n".join(out)


@click.command("agree")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed (reported).")
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(0, 100_000),
    default=1000,
    show_default=True,
    help="Bootstrap rounds for the intervals (0: asymptotic intervals only).",
)
@click.option("--turn", type=click.IntRange(1), help="Only pairwise votes on this turn.")
@click.option("--criterion", "criteria", multiple=True, help="Only this criterion (repeatable).")
@click.option("--no-slices", is_flag=True, help="Skip the per-slice breakdown.")
@click.option("--include-stale", is_flag=True, help="Keep ratings of examples changed since.")
@click.option("--strict", is_flag=True, help="Exit 1 when a judge is not trustworthy.")
@format_option("text", "json", "md")
@repo_option
def command(
    seed: int,
    n_boot: int,
    turn: int | None,
    criteria: tuple[str, ...],
    no_slices: bool,
    include_stale: bool,
    strict: bool,
    fmt: str,
    repo: str | None,
) -> int:
    """Agreement of humans with each other and of each judge with the humans.

    Per criterion and per slice: Cohen's kappa (Krippendorff's alpha for more
    than two humans) with bootstrap intervals, n, raw agreement, prevalence and
    bias indices, and the confusion matrix. Pairwise votes count too (a/b/tie,
    and without ties as in the MT-Bench paper). A judge under
    agreement.judge_threshold is marked not trustworthy; humans under
    agreement.human_threshold mean the rubric needs work.

    Exit 0; with --strict, 1 when a judge is not trustworthy.
    """
    from goldset import agreement, config, project

    root = project.find_root(repo)
    cfg = config.load(root)
    rep = agreement.compute(
        cfg,
        seed=seed,
        n_boot=n_boot,
        turn=turn,
        criteria=list(criteria) or None,
        include_stale=include_stale,
        by_slice=not no_slices,
    )
    if fmt == "json":
        emit_json(rep)
    elif fmt == "md":
        echo(render_md(rep))
    else:
        echo(render_text(rep))
    return 1 if strict and rep["untrusted"] else 0
