"""Command-line entry: parse options, run the pipeline, pick a renderer, return an exit code.

Every error path ends here: bad input -> one line and exit 2, a bug -> one line and exit 3
(the traceback only with --debug), SIGINT -> 130, SIGTERM -> 143. A standard output that cannot
be written (a full disk, /dev/full) is exit 2 too; a closed pipe (`| head`) ends quietly.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from pathlib import Path
from typing import Any, Optional, TextIO

from chipdoctor.cli.app import ISSUES_URL, State, app
from chipdoctor.cli.options import Exit, HelpWanted, UsageError, parse
from chipdoctor.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BadInput,
    Stopped,
)
from chipdoctor.printable import clip, visible

__all__ = ["main"]

#: Commands whose module (chipdoctor/cli/<name>.py) alone is imported when argv names them.
#: In the order `chipdoctor --help` lists them.
_ONE_COMMAND = ("check", "fix", "ops", "snapshot", "matrix", "fleet")


def main(argv: Optional[list[str]] = None) -> None:
    """Console-script entry point; the only place that maps outcomes to exit codes.

    SIGINT and SIGTERM unwind the command (its temporary directories go), then every tool
    still running is killed: exit 130 / 143 with one line.
    """
    from chipdoctor.evidence.process import stop_all, stop_on_signals

    restore = stop_on_signals()
    stdout = sys.stdout = _Watched(sys.stdout)
    try:
        code = _exit_code(argv, stdout)
        stdout.flush()
    except Stopped as exc:
        stop_all()
        sys.stderr.write(f"chipdoctor: {exc.message}\n")
        code = exc.exit_code
    except OSError as exc:  # the last flush: what a help or plan text left in the buffer
        code = _stdout_failed(exc)
    finally:
        sys.stdout = stdout.stream
        restore()
    sys.exit(code)


def _exit_code(argv: Optional[list[str]], stdout: _Watched) -> int:
    State.npd = False
    code = _run(argv, stdout)
    if State.npd and code == EXIT_INTERNAL:
        code = EXIT_BAD_INPUT  # Node Problem Detector's Unknown
    return code


def _register(argv: list[str]) -> None:
    """Register the command argv names, or every command when it names none of _ONE_COMMAND
    (--help, a misspelt or new command), or none for --version: `check` need not pay for the
    others' modules (~5 ms of start-up)."""
    named = _command(argv)
    if named is None and "--version" in argv and "--help" not in argv:
        return  # the version is printed before any command is looked up
    for name in (named,) if named in _ONE_COMMAND else _ONE_COMMAND:
        importlib.import_module(f"chipdoctor.cli.{name}")


def _command(argv: list[str]) -> Optional[str]:
    """The command argv names: its first word that is no option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _run(argv: Optional[list[str]], stdout: _Watched) -> int:
    args = sys.argv[1:] if argv is None else argv
    _register(args)
    try:
        code = parse(app, args).run()
    except Exit as exc:
        code = exc.code
    except HelpWanted as wanted:
        code = _help(wanted, args)
    except UsageError as exc:
        code = _usage_error(exc, args)
    except KeyboardInterrupt:
        from chipdoctor.evidence.process import stop_all

        stop_all()
        sys.stderr.write("chipdoctor: interrupted\n")
        code = EXIT_INTERRUPTED
    except BadInput as exc:
        # NOTE: a message quotes input (paths, values): escaped, it stays one line and inert.
        sys.stderr.write(f"chipdoctor: error: {visible(str(exc))}\n")
        _unknown_to_npd(f"error: {exc}")
        code = EXIT_BAD_INPUT
    except BrokenPipeError:  # `| head` closed stdout: what it wanted, it has
        _discard_stdout()
        code = EXIT_OK
    except Exception as exc:
        code = _failed(exc, args, stdout)
    return code


def _failed(exc: Exception, argv: list[str], stdout: _Watched) -> int:
    """A stdout that cannot be written, a file name no system call takes, or a bug."""
    if exc is stdout.failed:
        return _stdout_failed(stdout.failed)
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        # NOTE: a path given on the command line that no system call takes: bad input.
        name = visible(clip(str(exc.filename), 120))
        sys.stderr.write(f"chipdoctor: error: {name}: file name too long\n")
        _unknown_to_npd("error: file name too long")
        return EXIT_BAD_INPUT
    import traceback  # only for a bug: ~5 ms of start-up otherwise

    if State.debug or "--debug" in argv:
        traceback.print_exc()
    where = traceback.extract_tb(exc.__traceback__)[-1]
    sys.stderr.write(
        f"chipdoctor: internal error: {type(exc).__name__}: {visible(str(exc))} "
        f"(at {Path(where.filename).name}:{where.lineno}); this is a bug, please report it "
        f"at {ISSUES_URL} (run with --debug for the traceback)\n"
    )
    _unknown_to_npd(f"internal error: {type(exc).__name__}: {exc}")
    return EXIT_INTERNAL


def _asks_npd(argv: list[str]) -> bool:
    """`check ... --format npd` (or `--format=npd`) on the command line."""
    pairs = zip(argv, argv[1:])
    return _command(argv) == "check" and (
        "--format=npd" in argv or any(pair == ("--format", "npd") for pair in pairs)
    )


def _help(wanted: HelpWanted, argv: list[str]) -> int:
    from chipdoctor.cli import helptext
    from chipdoctor.cli.app import width

    sys.stdout.write(helptext.render(wanted.path, wanted.node, _help_language(argv), width()))
    return EXIT_OK if wanted.asked else EXIT_BAD_INPUT


def _usage_error(exc: UsageError, argv: list[str]) -> int:
    """One line, and exit 2 (Unknown for Node Problem Detector)."""
    sys.stderr.write(
        f"chipdoctor: error: {visible(exc.message)} Try '{' '.join(exc.path)} --help' for help.\n"
    )
    # NOTE: a usage error stops before `check` runs and sets State.npd: read argv for it
    State.npd = State.npd or _asks_npd(argv)
    _unknown_to_npd(f"error: {exc.message}")
    return EXIT_BAD_INPUT


def _help_language(argv: list[str]) -> str:
    """The language of `--help`: the command's --lang where given, else the locale's."""
    from chipdoctor.i18n import choose_language

    pairs = zip(argv, [*argv[1:], ""])
    given = next((value for name, value in pairs if name == "--lang"), None)
    spelt = next((arg[len("--lang=") :] for arg in argv if arg.startswith("--lang=")), given)
    return choose_language(spelt)


class _Watched:
    """sys.stdout while a command runs: the same stream, remembering the error of a write or
    flush that failed, so that error is told from any other OSError."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.failed: Optional[OSError] = None

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError as exc:
            self.failed = exc
            raise

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            self.failed = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _stdout_failed(exc: OSError) -> int:
    """A closed pipe (`| head`) ends quietly with 0; any other failure is exit 2, one line."""
    _discard_stdout()
    if isinstance(exc, BrokenPipeError):
        return EXIT_OK
    sys.stderr.write(f"chipdoctor: error: cannot write to standard output: {exc.strerror or exc}\n")
    return EXIT_BAD_INPUT


def _discard_stdout() -> None:
    """Point fd 1 at /dev/null, so the interpreter's own flush at exit cannot fail again and
    print "Exception ignored" (what the Python docs advise for a closed pipe)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return  # not a file descriptor (a test's captured stream)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def _unknown_to_npd(message: str) -> None:
    """NPD shows a plugin's stdout as the condition's message: say why the node is Unknown."""
    if State.npd:
        from chipdoctor.report.npd import one_line

        sys.stdout.write(one_line(f"chipdoctor could not check this node: {message}") + "\n")
