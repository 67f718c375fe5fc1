"""Errors the CLI turns into exit codes, and the codes themselves (docs/contracts.md)."""

from __future__ import annotations

import signal

EXIT_OK = 0
EXIT_INCOMPATIBLE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class BadInput(Exception):
    """Input the user owns is wrong: exit 2 with one line naming the file and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived: unwind (so temporary directories go), kill the tools, exit.

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED
        self.message = "terminated" if signum == signal.SIGTERM else "interrupted"
