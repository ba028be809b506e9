"""The command line: a lazy click group and the single error boundary.

Each command lives in its own module and is imported only when run, so
``goldset --help`` and the hooks never pay for numpy, scipy, jinja2 or litellm.
A command parses, calls one core function, renders, and returns an exit code.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from goldset import __version__
from goldset.errors import INTERNAL, INTERRUPTED, USAGE, GoldsetError

# name -> "module:attribute"; the module is imported only when the command runs.
COMMANDS: dict[str, str] = {
    "init": "goldset.cli.init:command",
    "add": "goldset.cli.edit_cmds:add",
    "remove": "goldset.cli.edit_cmds:remove",
    "edit": "goldset.cli.edit_cmds:edit",
    "validate": "goldset.cli.validate:command",
    "fmt": "goldset.cli.fmt:command",
    "check-changelog": "goldset.cli.check_changelog:command",
    "hooks": "goldset.cli.hooks:group",
    "merge-driver": "goldset.cli.merge_driver:command",
    "agree": "goldset.cli.agree:command",
    "rank": "goldset.cli.rank:command",
    "diff": "goldset.cli.diff:command",
    "report": "goldset.cli.report:command",
    "results": "goldset.cli.results:group",
    "gate": "goldset.cli.gate:command",
    "comment": "goldset.cli.comment:command",
    "demo": "goldset.cli.demo:command",
    "run": "goldset.cli.run_cmd:command",
    "score": "goldset.cli.score:command",
    "judge": "goldset.cli.judge:command",
    "calibrate": "goldset.cli.calibrate:command",
    "review": "goldset.cli.review:command",
    "labels": "goldset.cli.labels:group",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        import importlib

        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        cmd: click.Command = getattr(module, attr)
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="goldset")
def cli() -> None:
    """goldset: your golden set as code.

    Validate examples against a JSON Schema, justify every change in the
    CHANGELOG, measure agreement and rankings, and report each pull request.
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI inside the single error boundary."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    try:
        rv: Any = cli.main(args=argv, prog_name="goldset", standalone_mode=False)
    except GoldsetError as exc:
        click.echo(f"goldset: error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("goldset: interrupted", err=True)
        return INTERRUPTED
    except KeyboardInterrupt:
        click.echo("goldset: interrupted", err=True)
        return INTERRUPTED
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except BrokenPipeError:
        return 0
    except Exception:
        import traceback

        traceback.print_exc()
        click.echo(
            "goldset: internal error (a bug in goldset): please report it with the traceback above",
            err=True,
        )
        return INTERNAL
    if isinstance(rv, int):
        return rv
    return 0
