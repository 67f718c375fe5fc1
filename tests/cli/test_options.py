"""The command-line layer without typer or click (issue 16: start-up): every command still has
its help in both languages, its defaults, ranges and choices; a usage error is one line and
exit 2, a near miss corrected once; `--` and the extra arguments of `ops --run` pass through."""

from __future__ import annotations

import pytest

from chipdoctor.cli.options import Argument, Command, Group, Option, UsageError, parse
from tests.conftest import run_cli

COMMANDS = [
    [],
    ["check"],
    ["fix"],
    ["ops"],
    ["snapshot"],
    ["matrix"],
    *(["matrix", sub] for sub in ("lint", "show", "keygen", "bundle", "update", "refresh")),
    ["fleet"],
    ["fleet", "compare"],
]


def _one_line_usage_error(argv: list[str], message: str) -> None:
    result = run_cli(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("chipdoctor: error: ")
    assert message in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_in_both_languages(command: list[str]) -> None:
    english = run_cli(*command, "--help", env={"COLUMNS": "100"})
    chinese = run_cli(*command, "--help", env={"COLUMNS": "100", "LANG": "zh_CN.UTF-8"})
    assert english.returncode == chinese.returncode == 0
    assert english.stdout.startswith(f"Usage: {' '.join(['chipdoctor', *command])} ")
    assert chinese.stdout.startswith(f"用法：{' '.join(['chipdoctor', *command])} ")
    assert "Show this message and exit." in english.stdout
    assert "显示此帮助并退出。" in chinese.stdout
    assert max(len(line) for line in english.stdout.splitlines()) <= 100


def test_help_shows_defaults_ranges_choices_and_hides_the_deprecated() -> None:
    text = run_cli("check", "--help", env={"COLUMNS": "200"}).stdout
    (timeout,) = [line for line in text.splitlines() if "--timeout" in line]
    assert "[default: 10.0; x>=0.1]" in timeout
    (fmt,) = [line for line in text.splitlines() if line.strip().startswith("--format")]
    assert "[table|json|junit|github|markdown|nfd|npd|ansible-facts]" in fmt
    assert "--interpreter" not in run_cli("fix", "--help").stdout
    assert "-o, --output PATH" in run_cli("ops", "--help").stdout


def test_the_lang_option_chooses_the_help_language() -> None:
    assert "用法：chipdoctor check" in run_cli("check", "--lang", "zh", "--help").stdout
    assert "用法：chipdoctor fix" in run_cli("fix", "--lang=zh", "--help").stdout
    zh_env = {"LANG": "zh_CN.UTF-8"}
    assert run_cli("check", "--lang", "en", "--help", env=zh_env).stdout.startswith("Usage:")


def test_a_group_without_its_command_shows_its_help_and_exits_2() -> None:
    for argv in ([], ["matrix"], ["fleet"]):
        result = run_cli(*argv)
        assert result.returncode == 2 and "Commands:" in result.stdout


def test_version() -> None:
    from chipdoctor import __version__

    result = run_cli("--version", "check")
    assert (result.returncode, result.stdout) == (0, f"chipdoctor {__version__}\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--bogus"], "No such option '--bogus'."),
        (["check", "--formt", "json"], "Did you mean one of: '--format', '--force'?"),
        (["--debugg"], "No such option '--debugg'. Did you mean '--debug'?"),
        (["fleet", "compar"], "No such command 'compar'. Did you mean 'compare'?"),
        (["check", "--timeout", "0"], "'--timeout': 0.0 is not in the range x>=0.1."),
        (["check", "--timeout", "soon"], "'--timeout': 'soon' is not a valid float."),
        (["check", "--format", "xml"], "'--format': 'xml' is not one of 'table', 'json',"),
        (["check", "--snapshot"], "Option '--snapshot' requires an argument."),
        (["check", "--strict=yes"], "Option '--strict' does not take a value."),
        (["check", "extra"], "Got unexpected extra argument (extra)"),
        (["snapshot"], "Missing argument 'DIRECTORY'."),
        (["fleet", "compare"], "Missing argument 'REPORT... | DIR | -'."),
        (["matrix", "bundle", "out.bundle"], "Missing option '--sign'."),
        (["--debug"], "Missing command."),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(argv: list[str], message: str) -> None:
    _one_line_usage_error(argv, message)


def test_a_usage_error_of_check_npd_is_unknown_with_its_line() -> None:
    result = run_cli("check", "--format", "npd", "--bogus")
    assert result.returncode == 2
    assert "No such option '--bogus'" in result.stdout  # NPD shows stdout as the message


def _commands(group: Group) -> list[Command]:
    found: list[Command] = []
    for node in group.commands.values():
        found += _commands(node) if isinstance(node, Group) else [node]
    return found


def test_each_command_takes_exactly_what_it_declares() -> None:
    """A parameter no option fills (or the reverse) would be an internal error at run time."""
    import importlib
    import inspect

    from chipdoctor.cli import _ONE_COMMAND
    from chipdoctor.cli.app import app

    for module in _ONE_COMMAND:
        importlib.import_module(f"chipdoctor.cli.{module}")
    commands = _commands(app)
    assert len(commands) == 11  # check, fix, ops, snapshot, six of matrix, fleet compare
    for command in commands:
        declared = [o.dest for o in command.options] + [a.dest for a in command.arguments]
        declared += ["extra"] if command.extra_args else []
        assert sorted(declared) == sorted(inspect.signature(command.run).parameters), command.name


def _toy() -> tuple[Group, list[dict[str, object]]]:
    seen: list[dict[str, object]] = []

    def run(**values: object) -> int:
        seen.append(values)
        return 0

    root = Group("toy", "A toy.")
    root.add(
        Command(
            "go",
            "Go.",
            [
                Argument("model", "The model."),
                Option(("-o", "--output"), "output", "Where."),
                Option("--pin", "pin", "Pins.", multiple=True),
                Option("--wait", "wait", "Seconds.", kind=float, default=1.0, minimum=0.5),
                Option("--run", "run", "Run it.", is_flag=True),
            ],
            run,
            extra_args=True,
        )
    )
    return root, seen


def test_values_reach_the_function_as_typed_keywords() -> None:
    root, seen = _toy()
    argv = ["go", "--run", "m.py", "--epochs", "3", "-oout", "--pin=a", "--pin", "b", "--", "-x"]
    assert parse(root, argv).run() == 0
    assert seen == [
        {
            "model": "m.py",
            "output": "out",
            "pin": ["a", "b"],
            "wait": 1.0,
            "run": True,
            "extra": ["--epochs", "3", "-x"],
        }
    ]


def test_an_error_names_the_command_path_for_its_help() -> None:
    root, _ = _toy()
    with pytest.raises(UsageError) as raised:
        parse(root, ["go", "m.py", "--wait", "0.1"])
    assert raised.value.path == ("toy", "go")
    assert raised.value.message == "Invalid value for '--wait': 0.1 is not in the range x>=0.5."
