"""`goldset demo`: build a real repository from MT-Bench data and print its PR report."""

from __future__ import annotations

import click

from goldset.cli._common import echo


@click.command()
@click.argument("folder", required=False, default="goldset-demo", type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
def command(folder: str, seed: int) -> int:
    """Build a demo repository in FOLDER (default ./goldset-demo) and print its report.

    The first commit holds the 80 MT-Bench questions as the golden set and the
    expert human votes as labels; the second changes the set with justified
    CHANGELOG entries and brings in the GPT-4 judge's verdicts. The report of
    that change (kappa, Bradley-Terry, per-slice deltas) is printed. FOLDER
    must be new or empty.
    """
    from pathlib import Path

    from goldset import demo

    res = demo.build(Path(folder), seed=seed)
    echo(res.report.rstrip("\n"))
    echo()
    echo(f"Built {res.root}: base {res.base[:12]}, head {res.head[:12]}.")
    echo(f"Try: cd {res.root} && goldset diff {res.base[:12]} {res.head[:12]}")
    echo(res.credit)
    return 0
