"""`goldset calibrate`: judge-vs-human agreement; untrusted judges are marked."""

from __future__ import annotations

import click

from goldset.cli._common import echo, emit_json, format_option, repo_option


@click.command("calibrate")
@click.option(
    "--judge", "judges", multiple=True, help="Judge to calibrate (repeatable; default: all)."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap intervals."
)
@click.option(
    "--n-boot",
    type=click.IntRange(0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples (0: asymptotic intervals).",
)
@format_option("text", "json", "md")
@repo_option
def command(judges: tuple[str, ...], seed: int, n_boot: int, fmt: str, repo: str | None) -> int:
    """Measure each judge against the human labels (Cohen's kappa with CI, per criterion).

    A judge under agreement.judge_threshold (default 0.5) on any criterion is
    marked untrusted in evals/judgments/<judge>.calibration.json, which every
    report and gate reads; the mark goes stale when the judge's model,
    prompt or rubric changes. Exit 1 when a judge is untrusted or uncalibrated.
    """
    from goldset import calibration, config, project

    root = project.find_root(repo)
    project.require_config(root)
    cfg = config.load(root)
    docs = calibration.calibrate(cfg, list(judges), seed=seed, n_boot=n_boot)
    if fmt == "json":
        emit_json({"judges": docs})
    else:
        if fmt == "md":
            echo("| judge | criterion | kappa | 95% CI | n | status |")
            echo("|---|---|---|---|---|---|")
        for d in docs:
            if fmt == "text":
                echo(
                    f"{d['judge']} ({d['model']}): {d['status'].upper()} (threshold {d['threshold']}) -> {d['path']}"
                )
            for crit, c in d["criteria"].items():
                k = "n/a" if c["kappa"] is None else f"{c['kappa']:.2f}"
                ci = c.get("ci") or [None, None]
                cis = "n/a" if ci[0] is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"
                if fmt == "md":
                    echo(f"| {d['judge']} | {crit} | {k} | {cis} | {c['n']} | {d['status']} |")
                else:
                    echo(f"  {crit:<28} kappa {k:>5} {cis:<16} n={c['n']}")
            if fmt == "text":
                for r in d["reasons"]:
                    echo(f"  - {r}")
    return 0 if all(d["status"] == "trusted" for d in docs) else 1
