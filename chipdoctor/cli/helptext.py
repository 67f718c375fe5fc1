"""`--help`: a command's usage, description, arguments and options (or a group's commands),
laid out as click's help was, in the user's language (the help texts are `T()` messages)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Union

from chipdoctor.cli.options import Argument, Command, Group, Option
from chipdoctor.i18n import T, translate
from chipdoctor.printable import columns

#: The widest first column before the help text starts on a line of its own.
_FIRST_COLUMN = 30
_KIND_NAMES = {str: "TEXT", Path: "PATH", float: "FLOAT"}
_HELP = T("Show this message and exit.")
#: Full-width punctuation that stays at the end of the line before it.
_CLOSING = "，。；：、）！？"


def render(path: Sequence[str], node: Union[Command, Group], lang: str, width: int) -> str:
    """The whole help of `node`, wrapped to `width` columns."""

    def say(text: str) -> str:
        return translate(text, lang)

    usage = say(T("Usage:"))
    space = "" if columns(usage[-1]) == 2 else " "  # 用法：chipdoctor
    lines = [f"{usage}{space}{' '.join(path)} {_usage(node)}", ""]
    lines += [f"  {line}" for line in _wrapped(say(node.help), width - 2)]
    rows: list[tuple[str, str]]
    if isinstance(node, Command) and any(argument.help for argument in node.arguments):
        rows = [(argument.metavar, _argument_help(argument, say)) for argument in node.arguments]
        lines += ["", say(T("Arguments:")), *_table(rows, width)]
    rows = [(_left(option), _right(option, say)) for option in node.options if not option.hidden]
    rows.append(("--help", say(_HELP)))
    lines += ["", say(T("Options:")), *_table(rows, width)]
    if isinstance(node, Group):
        rows = [(name, _first_sentence(say(child.help))) for name, child in node.commands.items()]
        lines += ["", say(T("Commands:")), *_table(rows, width)]
    return "\n".join(lines) + "\n"


def _usage(node: Union[Command, Group]) -> str:
    if isinstance(node, Group):
        return "[OPTIONS] COMMAND [ARGS]..."
    return " ".join(["[OPTIONS]", *(_shown(argument) for argument in node.arguments)])


def _shown(argument: Argument) -> str:
    if argument.metavar.startswith("[") or argument.required:
        return argument.metavar
    return f"[{argument.metavar}]"


def _left(option: Option) -> str:
    flags = ", ".join(option.flags)
    if option.is_flag:
        return flags
    if option.metavar:
        return f"{flags} {option.metavar}"
    if option.choices:
        return f"{flags} [{'|'.join(option.choices)}]"
    return f"{flags} {_KIND_NAMES[option.kind]}"


def _right(option: Option, say: Callable[[str], str]) -> str:
    extra = []
    if option.default not in (None, False):
        extra.append(say(T("default: {value}", value=str(option.default))))
    if option.minimum is not None:
        extra.append(f"x>={option.minimum}")
    if option.required:
        extra.append(say(T("required")))
    text = say(option.help)
    return f"{text}  [{'; '.join(extra)}]" if extra else text


def _argument_help(argument: Argument, say: Callable[[str], str]) -> str:
    text = say(argument.help)
    return f"{text}  [{say(T('required'))}]" if argument.required else text


def _first_sentence(text: str) -> str:
    """A group's listing shows what a command does in its first sentence."""
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _table(rows: list[tuple[str, str]], width: int) -> list[str]:
    first = min(max(columns(left) for left, _ in rows), _FIRST_COLUMN)
    lines = []
    for left, right in rows:
        wrapped = _wrapped(right, max(20, width - first - 4)) or [""]
        if columns(left) > first:
            lines.append(f"  {left}")
        else:
            lines.append(f"  {left}{' ' * (first - columns(left))}  {wrapped.pop(0)}".rstrip())
        lines += [f"  {' ' * first}  {line}" for line in wrapped]
    return lines


def _wrapped(text: str, width: int) -> list[str]:
    """Words (and each CJK character, which needs no space) broken onto lines of `width`
    terminal columns at most; a longer word stands alone."""
    lines: list[str] = []
    line = ""
    for piece, spaced in _pieces(text):
        joined = f"{line} {piece}" if line and spaced else line + piece
        if line and columns(joined) > width:
            lines.append(line)
            line = piece
        else:
            line = joined
    if line:
        lines.append(line)
    return lines


def _pieces(text: str) -> list[tuple[str, bool]]:
    """What a line may break before: each word, each CJK character; and whether a space
    stood before it."""
    pieces: list[tuple[str, bool]] = []
    for word in text.split():
        spaced, run = True, ""
        for character in word:
            if columns(character) < 2:
                run += character
                continue
            if run:
                pieces.append((run, spaced))
                spaced, run = False, ""
            if character in _CLOSING and pieces and not spaced:
                pieces[-1] = (pieces[-1][0] + character, pieces[-1][1])  # never starts a line
            else:
                pieces.append((character, spaced))
            spaced = False
        if run:
            pieces.append((run, spaced))
    return pieces
