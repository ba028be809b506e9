"""Named exit codes and the domain errors that map onto them.

The core raises these with a message written for the user (what is wrong,
where, what to do); the CLI's single error boundary turns them into exit codes.
"""

from __future__ import annotations

OK = 0
CHECK_FAILED = 1
USAGE = 2
INTERNAL = 3
INTERRUPTED = 130


class GoldsetError(Exception):
    """An expected failure with a message for the user."""

    exit_code = USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(GoldsetError):
    """Bad arguments, bad configuration, missing setup: exit 2."""

    exit_code = USAGE


class ConfigError(UsageError):
    """goldset.yaml or a schema cannot be used."""


class CheckFailed(GoldsetError):
    """A check ran and found problems: exit 1."""

    exit_code = CHECK_FAILED


class InputError(UsageError):
    """User-supplied data (a file, stdin) cannot be read: exit 2."""
