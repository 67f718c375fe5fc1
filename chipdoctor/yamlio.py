"""YAML reading that remembers line numbers, so every bad-input error can say FILE:LINE."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipdoctor.boundedio import RefusedFile, read_regular
from chipdoctor.errors import BadInput

if TYPE_CHECKING:
    import yaml

YamlPath = tuple[Any, ...]


@dataclass
class LocatedYaml:
    """A parsed document and the line (1-based) where each mapping key or list item starts."""

    path: str
    data: Any
    lines: dict[YamlPath, int]

    def line(self, where: YamlPath) -> int:
        """The line of `where`, or of its nearest located parent."""
        probe = tuple(where)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)

    def error(self, where: YamlPath, message: str) -> BadInput:
        return BadInput(message, path=self.path, line=self.line(where))


#: Limits on every YAML document read (docs/contracts.md, "Limits"): its size in bytes, its
#: nodes counted after alias expansion (keys included), and its nesting depth (aliases
#: included). The bundled ascend.yaml, the largest document chipdoctor ships, is 66 KB with
#: 3,200 nodes, 6 levels deep.
MAX_YAML_BYTES = 2 << 20
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 64


@lru_cache(maxsize=1)
def _non_printable() -> re.Pattern[str]:
    """The characters YAML 1.1 refuses (PyYAML's Reader.NON_PRINTABLE); found here first so
    the error can name the line (PyYAML only gives a character offset). Compiled on first use:
    the class spans most of Unicode and costs ~10 ms, paid only by a command that reads YAML."""
    return re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_yaml(path: str | Path) -> LocatedYaml:
    """Read and parse one YAML file: a regular file of at most MAX_YAML_BYTES."""
    name = str(path)
    try:
        raw = read_regular(path, MAX_YAML_BYTES)
    except FileNotFoundError:
        raise BadInput("no such file", path=name) from None
    except RefusedFile as exc:
        if str(exc).startswith("is a directory"):
            raise BadInput("is a directory, not a YAML file", path=name) from None
        raise BadInput(str(exc), path=name) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path itself
        raise BadInput(f"cannot read: {_reason(exc)}", path=name) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise BadInput("not UTF-8 text", path=name, line=line) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> LocatedYaml:
    import yaml  # not at start-up: a host without accelerators never parses YAML

    if len(text) > MAX_YAML_BYTES:
        raise BadInput(f"over the {MAX_YAML_BYTES >> 20} MiB limit of a YAML document", path=name)
    bad = _non_printable().search(text)
    if bad is not None:
        raise BadInput(
            f"invalid YAML: character U+{ord(bad.group()):04X} is not allowed",
            path=name,
            line=text.count("\n", 0, bad.start()) + 1,
        )
    # NOTE: libyaml's loader (when PyYAML has it) parses ~10x faster and still gives marks.
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    node = None
    try:
        _check_shape(yaml.parse(text, Loader=loader_class), name)
        node = loader.get_single_node()
        if node is None:
            return LocatedYaml(name, None, {(): 1})
        lines: dict[YamlPath, int] = {}
        _walk(loader, node, (), lines, name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise BadInput(f"invalid YAML: {problem}", path=name, line=line) from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadInput(f"invalid YAML: {first}", path=name) from None
    except ValueError as exc:  # e.g. `until: 2026-02-30`: a timestamp with no such day
        line = _unconstructable_line(loader, node) if node is not None else None
        raise BadInput(f"invalid YAML value: {exc}", path=name, line=line) from None
    finally:
        loader.dispose()
    return LocatedYaml(name, data, lines)


@dataclass
class _Open:
    """A collection still open in the event stream: its anchor, nodes and depth so far."""

    anchor: str | None
    nodes: int = 1
    depth: int = 1


def _check_shape(events: Iterator[yaml.Event], name: str) -> None:
    """Refuse a document whose nodes after alias expansion, or whose depth, exceed the limits.

    Streams the parser's events (no tree is built), so an alias bomb of a few hundred bytes is
    refused in microseconds instead of expanding to gigabytes. An alias to a collection that
    contains it (`x: &a [*a]`) is refused too: no consumer can walk it.
    """
    import yaml

    shape = _Shape(name)
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            shape.start(event)
        elif isinstance(event, yaml.CollectionEndEvent):
            shape.end()
        elif isinstance(event, yaml.ScalarEvent):
            shape.scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            shape.alias(event)


@dataclass
class _Shape:
    """The shape of the document so far: each finished anchor's size, the open collections and
    the nodes counted (aliases expanded)."""

    name: str
    seen: dict[str, tuple[int, int]] = field(default_factory=dict)  # anchor -> (nodes, depth)
    stack: list[_Open] = field(default_factory=list)
    total: int = 0

    def start(self, event: yaml.CollectionStartEvent) -> None:
        self.stack.append(_Open(event.anchor))
        self._count(event, 1, 0, into_parent=False)  # the parent counts it when it ends

    def end(self) -> None:
        done = self.stack.pop()
        if done.anchor is not None:
            self.seen[done.anchor] = (done.nodes, done.depth)
        if self.stack:
            self.stack[-1].nodes += done.nodes
            self.stack[-1].depth = max(self.stack[-1].depth, done.depth + 1)

    def scalar(self, event: yaml.ScalarEvent) -> None:
        if event.anchor is not None:
            self.seen[event.anchor] = (1, 1)
        self._count(event, 1, 1, into_parent=True)

    def alias(self, event: yaml.AliasEvent) -> None:
        if event.anchor not in self.seen:
            if any(open_.anchor == event.anchor for open_ in self.stack):
                raise BadInput(
                    f"invalid YAML: alias *{event.anchor} refers to a node that contains it",
                    path=self.name,
                    line=_event_line(event),
                )
            return  # an undefined alias: the composer reports it with its line
        nodes, depth = self.seen[event.anchor]
        self._count(event, nodes, depth, into_parent=True)

    def _count(self, event: yaml.Event, nodes: int, depth: int, *, into_parent: bool) -> None:
        """Add a node of this size, refusing the document once it passes a limit."""
        self.total += nodes
        if self.total > MAX_YAML_NODES:
            raise BadInput(
                f"more than {MAX_YAML_NODES} YAML nodes (aliases expanded)",
                path=self.name,
                line=_event_line(event),
            )
        if len(self.stack) + depth > MAX_YAML_DEPTH:
            raise BadInput(
                f"nested more than {MAX_YAML_DEPTH} levels deep (aliases expanded)",
                path=self.name,
                line=_event_line(event),
            )
        if into_parent and self.stack:
            self.stack[-1].nodes += nodes
            self.stack[-1].depth = max(self.stack[-1].depth, depth + 1)


def _event_line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return None if mark is None else int(mark.line) + 1


def _unconstructable_line(loader: Any, node: yaml.Node) -> int | None:
    """The line of the first scalar PyYAML cannot turn into a value (it raises no mark itself)."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        construct = loader.yaml_constructors.get(node.tag)
        try:
            if construct is not None:
                construct(loader, node)
        except ValueError:
            return int(node.start_mark.line) + 1
        return None
    children = (
        [n for pair in node.value for n in pair]
        if isinstance(node, yaml.MappingNode)
        else list(node.value)
    )
    for child in children:
        line = _unconstructable_line(loader, child)
        if line is not None:
            return line
    return None


def _walk(
    loader: Any, node: yaml.Node, where: YamlPath, lines: dict[YamlPath, int], name: str
) -> None:
    """Record the line of every key and item, by the key's value as the data will hold it."""
    import yaml

    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = _key(loader, key_node, name, line)
            if key in seen:
                raise BadInput(f"duplicate key {key!r}", path=name, line=line)
            seen.add(key)
            child: YamlPath = (*where, key)
            lines[child] = line
            # NOTE: also under the key's text, for callers that look a key up as str(key)
            if isinstance(key_node.value, str):
                lines.setdefault((*where, key_node.value), line)
            _walk(loader, value_node, child, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*where, index), lines, name)


def _key(loader: Any, node: yaml.Node, name: str, line: int) -> Any:
    """A mapping key as the constructed data holds it (`null:` is None, `1:` is 1)."""
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        raise BadInput(
            "a mapping key must be a plain value, not a list or mapping", path=name, line=line
        )
    if node.tag == "tag:yaml.org,2002:merge":
        return "<<"
    return loader.construct_object(node, deep=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
