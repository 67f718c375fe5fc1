"""The command-line layer: each command declares its options and arguments in one place (a
`Command`), `parse` turns argv into the keyword arguments its function takes.

The standard library alone: typer and click cost ~25 ms of `check`'s 70 ms start-up budget
(issue 16). What users see is what they saw under click: the same options, defaults, ranges and
choices, `--help` on every command, exit 2 on a usage error (here one line), a misspelt command
or option corrected once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional, TypeVar, Union

#: What a value on the command line becomes: text, a path or a number.
Kind = Union[type[str], type[Path], type[float]]
Run = Callable[..., int]
F = TypeVar("F", bound=Run)


class UsageError(Exception):
    """A command line that names no command, option or value chipdoctor takes: exit 2."""

    def __init__(self, message: str, path: Sequence[str]) -> None:
        super().__init__(message)
        self.message = message
        self.path = tuple(path)


class HelpWanted(Exception):
    """`--help` (exit 0), or a group named without its command: its help, and exit 2 as click
    gives for a missing command."""

    def __init__(self, path: Sequence[str], node: Union[Command, Group], *, asked: bool) -> None:
        super().__init__(" ".join(path))
        self.path = tuple(path)
        self.node = node
        self.asked = asked


class Exit(Exception):
    """An eager option (`--version`) did its work: exit with `code`, nothing more runs."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Option:
    """`--name VALUE` (or a flag), its help text and what it defaults to."""

    __slots__ = (
        "action",
        "choices",
        "default",
        "dest",
        "flags",
        "help",
        "hidden",
        "is_flag",
        "kind",
        "metavar",
        "minimum",
        "multiple",
        "required",
    )

    def __init__(
        self,
        flags: Union[str, tuple[str, ...]],
        dest: str,
        help: str,
        *,
        kind: Kind = str,
        default: object = None,
        is_flag: bool = False,
        multiple: bool = False,
        minimum: Optional[float] = None,
        choices: tuple[str, ...] = (),
        metavar: Optional[str] = None,
        hidden: bool = False,
        required: bool = False,
        action: Optional[Callable[[], None]] = None,
    ) -> None:
        self.flags = (flags,) if isinstance(flags, str) else flags
        self.dest, self.help, self.kind = dest, help, kind
        self.default = False if is_flag else default
        self.is_flag, self.multiple, self.minimum = is_flag, multiple, minimum
        self.choices, self.metavar, self.hidden = choices, metavar, hidden
        self.required, self.action = required, action

    @property
    def name(self) -> str:
        """The long spelling, as errors name the option."""
        return self.flags[-1]

    def initial(self) -> object:
        return [] if self.multiple else self.default

    def convert(self, text: str, path: Sequence[str]) -> object:
        """`text` as the option's kind, within its choices and range."""
        if self.choices and text not in self.choices:
            listed = ", ".join(f"'{choice}'" for choice in self.choices)
            raise UsageError(
                f"Invalid value for '{self.name}': '{text}' is not one of {listed}.", path
            )
        value = _converted(self.kind, text, f"'{self.name}'", path)
        if self.minimum is not None and isinstance(value, float) and value < self.minimum:
            raise UsageError(
                f"Invalid value for '{self.name}': {value} is not in the range x>={self.minimum}.",
                path,
            )
        return value


class Argument:
    """A positional argument: one value, or with `multiple` all that remain (at least one)."""

    __slots__ = ("dest", "help", "kind", "metavar", "multiple", "required")

    def __init__(
        self,
        dest: str,
        help: str,
        *,
        kind: Kind = str,
        metavar: Optional[str] = None,
        required: bool = True,
        multiple: bool = False,
    ) -> None:
        self.dest, self.help, self.kind = dest, help, kind
        self.metavar = metavar or dest.upper()
        self.required, self.multiple = required, multiple


Param = Union[Option, Argument]


class Command:
    """A command: its help, its parameters and the function they are passed to."""

    def __init__(
        self,
        name: str,
        help: str,
        params: Sequence[Param],
        run: Run,
        *,
        extra_args: bool = False,
    ) -> None:
        self.name, self.help, self.run = name, help, run
        self.options = [p for p in params if isinstance(p, Option)]
        self.arguments = [p for p in params if isinstance(p, Argument)]
        #: Unknown options and surplus arguments are passed on (`ops --run SCRIPT ARGS…`).
        self.extra_args = extra_args


class Group:
    """Commands under one name (`chipdoctor`, `chipdoctor matrix`), and the group's own flags."""

    def __init__(
        self,
        name: str,
        help: str,
        options: Sequence[Option] = (),
        apply: Optional[Callable[[dict[str, object]], None]] = None,
    ) -> None:
        self.name, self.help, self.options = name, help, list(options)
        self.commands: dict[str, Union[Command, Group]] = {}
        #: Takes the group's option values before its command runs (the root's --debug).
        self.apply = apply

    def add(self, node: Union[Command, Group]) -> None:
        self.commands[node.name] = node

    def command(
        self, name: str, help: str, *params: Param, extra_args: bool = False
    ) -> Callable[[F], F]:
        """Declare the decorated function as the command `name` taking `params`."""

        def register(run: F) -> F:
            self.add(Command(name, help, params, run, extra_args=extra_args))
            return run

        return register


class Invocation:
    """What a command line asks for: the command, and the keyword arguments of its function."""

    def __init__(self, command: Command, values: dict[str, object]) -> None:
        self.command, self.values = command, values

    def run(self) -> int:
        return self.command.run(**self.values)


def parse(root: Group, argv: Sequence[str]) -> Invocation:
    """The command `argv` names with its values; raises UsageError, HelpWanted or Exit."""
    node: Union[Command, Group] = root
    path, tokens = [root.name], list(argv)
    while isinstance(node, Group):
        if not tokens:
            raise HelpWanted(path, node, asked=False)
        index = _group_options(node, path, tokens)
        if index == len(tokens):
            raise UsageError("Missing command.", path)
        name = tokens[index]
        child = node.commands.get(name)
        if child is None:
            near = _did_you_mean(name, list(node.commands))
            raise UsageError(f"No such command '{name}'.{near}", path)
        path.append(name)
        node, tokens = child, tokens[index + 1 :]
    return Invocation(node, _command_values(node, path, tokens))


def _group_options(group: Group, path: list[str], tokens: list[str]) -> int:
    """Read the group's flags before its command; the index of the command's name."""
    values: dict[str, object] = {option.dest: option.initial() for option in group.options}
    index = 0
    while index < len(tokens) and tokens[index].startswith("-") and tokens[index] != "-":
        token = tokens[index]
        if token == "--help":
            raise HelpWanted(path, group, asked=True)
        option = _find(group.options, token)
        if option is None:
            names = [flag for option in group.options for flag in option.flags]
            raise UsageError(f"No such option '{token}'.{_did_you_mean(token, names)}", path)
        values[option.dest] = True
        if option.action is not None:
            option.action()
        index += 1
    if group.apply is not None:
        group.apply(values)
    return index


def _command_values(command: Command, path: list[str], tokens: list[str]) -> dict[str, object]:
    """Options wherever they stand, then arguments in order, as click read them."""
    values = {option.dest: option.initial() for option in command.options}
    positional: list[str] = []
    given: set[str] = set()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token == "--":
            positional.extend(tokens[index:])
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        if token == "--help":
            raise HelpWanted(path, command, asked=True)
        name, inline = _split(token)
        option = _find(command.options, name)
        if option is None:
            _unknown(command, path, name)
            positional.append(token)
            continue
        given.add(option.dest)
        if not option.is_flag and inline is None:
            if index == len(tokens):
                raise UsageError(f"Option '{name}' requires an argument.", path)
            inline = tokens[index]
            index += 1
        values[option.dest] = _value(option, name, inline, values[option.dest], path)
    for option in command.options:
        if option.required and option.dest not in given:
            raise UsageError(f"Missing option '{option.name}'.", path)
    _arguments(command, path, positional, values)
    return values


def _unknown(command: Command, path: list[str], name: str) -> None:
    """An option the command does not know: passed on where it takes extra arguments."""
    if not command.extra_args:
        names = [flag for option in command.options if not option.hidden for flag in option.flags]
        raise UsageError(f"No such option '{name}'.{_did_you_mean(name, names)}", path)


def _value(
    option: Option, name: str, text: Optional[str], before: object, path: list[str]
) -> object:
    """The option's value once `text` (None for a flag) is read."""
    if option.is_flag:
        if text is not None:
            raise UsageError(f"Option '{name}' does not take a value.", path)
        return True
    assert text is not None
    value = option.convert(text, path)
    return [*_listed(before), value] if option.multiple else value


def _arguments(
    command: Command, path: list[str], positional: list[str], values: dict[str, object]
) -> None:
    for argument in command.arguments:
        where = f"'{argument.metavar}'"
        if argument.multiple:
            taken, positional[:] = positional[:], []
            if argument.required and not taken:
                raise UsageError(f"Missing argument {where}.", path)
            values[argument.dest] = [_converted(argument.kind, t, where, path) for t in taken]
        elif positional:
            values[argument.dest] = _converted(argument.kind, positional.pop(0), where, path)
        elif argument.required:
            raise UsageError(f"Missing argument {where}.", path)
        else:
            values[argument.dest] = None
    if command.extra_args:
        values["extra"] = positional
    elif positional:
        plural = "s" if len(positional) > 1 else ""
        raise UsageError(f"Got unexpected extra argument{plural} ({' '.join(positional)})", path)


def _split(token: str) -> tuple[str, Optional[str]]:
    """`--name=value`, `--name`, `-oVALUE` or `-o`: the option's spelling and an inline value."""
    if token.startswith("--"):
        name, equals, value = token.partition("=")
        return name, value if equals else None
    return token[:2], token[2:] or None


def _find(options: Sequence[Option], name: str) -> Optional[Option]:
    return next((option for option in options if name in option.flags), None)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _converted(kind: Kind, text: str, where: str, path: Sequence[str]) -> object:
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise UsageError(
                f"Invalid value for {where}: '{text}' is not a valid float.", path
            ) from None
    return kind(text)


def _did_you_mean(name: str, possibilities: Sequence[str]) -> str:
    """` Did you mean 'check'?` for a near miss (difflib, as click does), said once."""
    from difflib import get_close_matches

    close = get_close_matches(name, sorted(possibilities))
    if not close:
        return ""
    if len(close) == 1:
        return f" Did you mean '{close[0]}'?"
    return " Did you mean one of: " + ", ".join(f"'{c}'" for c in close) + "?"
