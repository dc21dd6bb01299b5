"""gomem's errors. Every error a user can cause is a :class:`GomemError`; the CLI turns it
into a message on stderr and an exit code in one place (``gomem.cli.main``)."""

from __future__ import annotations


class GomemError(Exception):
    """A problem the user can fix. ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return where + self.message


class InputError(GomemError):
    """Input that cannot be read: names the file, the line and what was expected."""


class UsageError(GomemError):
    """Options that do not fit together."""


class WorkloadError(GomemError):
    """A workload program raised or misused the runtime API."""

    exit_code = 1


class ToolchainError(GomemError):
    """A Go toolchain that is needed is not installed."""
