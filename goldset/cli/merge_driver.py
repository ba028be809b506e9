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
        # Fall back to git's own line merge so both sides stay visible as markers.
        import subprocess

        proc = subprocess.run(
            [
                "git",
                "merge-file",
                "-p",
                "-L",
                "ours",
                "-L",
                "base",
                "-L",
                "theirs",
                ours,
                base,
                theirs,
            ],
            capture_output=True,
        )
        if proc.returncode < 0 or proc.returncode > 127:
            click.echo(f"goldset merge-driver: {name}: {exc}; git merge-file failed", err=True)
            return 1
        atomic.write_bytes(ours, proc.stdout)
        click.echo(f"goldset merge-driver: {name}: {exc}; merged line by line instead", err=True)
        return 1 if proc.returncode else 0
    atomic.write_bytes(ours, res.data)
    if res.conflicts:
        click.echo(
            f"goldset merge-driver: {name}: {len(res.conflicts)} example(s) changed on both sides: "
            + ", ".join(res.conflicts),
            err=True,
        )
        return 1
    return 0
