from __future__ import annotations

from pathlib import Path

import click


@click.command("merge-driver")
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("ours", type=click.Path(dir_okay=False))
@click.argument("theirs", type=click.Path(dir_okay=False))
@click.argument("path", required=False)
def command(base: str, ours: str, theirs: str, path: str | None) -> int:
    """Git merge driver for golden JSONL (%O %A %B [%P]): merge by example id.

    Writes the result to OURS; exits 1 if a record was changed differently on
    both sides (marked with conflict markers), 0 otherwise.
    """
    from goldset import atomic, merge

    def read(p: str) -> bytes:
        try:
            return Path(p).read_bytes()
        except FileNotFoundError:
            return b""

    name = path or ours
    try:
        res = merge.merge(read(base), read(ours), read(theirs))
    except merge.Unmergeable as exc:
        click.echo(f"goldset merge-driver: {name}: {exc}; leaving a plain conflict", err=True)
        return 1
    atomic.write_bytes(ours, res.data)
    if res.conflicts:
        click.echo(
            f"goldset merge-driver: {name}: {len(res.conflicts)} example(s) changed on both sides: "
            + ", ".join(res.conflicts),
            err=True,
        )
        return 1
    return 0
