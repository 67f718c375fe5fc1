"""YAML reading that remembers line numbers, so every bad-input error can say FILE:LINE."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def read_yaml(path: str | Path) -> LocatedYaml:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("no such file", path=name) from None
    except IsADirectoryError:
        raise BadInput("is a directory, not a YAML file", path=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {_reason(exc)}", path=name) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> LocatedYaml:
    import yaml  # not at start-up: a host without accelerators never parses YAML

    # NOTE: libyaml's loader (when PyYAML has it) parses ~10x faster and still gives marks.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocatedYaml(name, None, {(): 1})
        lines: dict[YamlPath, int] = {}
        _walk(node, (), lines, name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise BadInput(f"invalid YAML: {problem}", path=name, line=line) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"invalid YAML: {exc}", path=name) from None
    except ValueError as exc:  # e.g. `until: 2026-02-30`: a timestamp with no such day
        line = _unconstructable_line(loader, node) if node is not None else None
        raise BadInput(f"invalid YAML value: {exc}", path=name, line=line) from None
    finally:
        loader.dispose()
    return LocatedYaml(name, data, lines)


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


def _walk(node: yaml.Node, where: YamlPath, lines: dict[YamlPath, int], name: str) -> None:
    import yaml

    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            if key in seen:
                raise BadInput(
                    f"duplicate key {key!r}", path=name, line=key_node.start_mark.line + 1
                )
            seen.add(key)
            child: YamlPath = (*where, key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*where, index), lines, name)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
