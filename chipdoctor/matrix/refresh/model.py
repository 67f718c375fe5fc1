"""What a parser produces: rows for named tables of one stack, and the sources they cite."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chipdoctor.boundedio import RefusedFile, read_regular
from chipdoctor.errors import BadInput

MAX_SOURCE_BYTES = 8 * 1024 * 1024  # the largest recorded source (release notes) is ~300 KB
#: component -> pattern or list of patterns, and note/branch/verdict/source
RowData = dict[str, Any]


class SourceError(BadInput):
    """A recorded source does not have the shape its parser reads: the vendor changed the format."""


@dataclass
class Generated:
    generator: str
    stack: str
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: dict[str, list[RowData]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # what the source says that no row carries

    def add(self, table: str, row: RowData) -> None:
        self.rows.setdefault(table, []).append(row)


@dataclass(frozen=True)
class RecordedFile:
    """One recorded file of a source and what SOURCE.md says about it (url, commit, branch …)."""

    path: Path
    meta: dict[str, str]
    retrieved: str

    def text(self) -> str:
        return read_source(self.path)

    @property
    def short_commit(self) -> str:
        """The recorded commit as a source's title names it (7 hex digits; "" when none)."""
        return self.meta.get("commit", "")[:7]

    def source(self, title: str) -> dict[str, str]:
        """The `sources:` entry a generated row cites: this file's URL and retrieval date."""
        return {"title": title, "url": self.meta["url"], "retrieved": self.retrieved}

    @property
    def repo_path(self) -> str:
        """The file's path in its repository, from a `…/blob/<commit>/<path>` URL."""
        return self.meta["url"].split("/blob/", 1)[-1].split("/", 1)[-1]


def read_source(path: Path) -> str:
    """A recorded file as text: bounded, and UTF-8 as every source here is published."""
    try:
        data = read_regular(path, MAX_SOURCE_BYTES)
    except RefusedFile as exc:
        raise SourceError(str(exc), path=str(path)) from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)
        ) from None


def recorded_files(directory: Path) -> list[RecordedFile]:
    """The files SOURCE.md's front matter lists, in its order; each must exist."""
    manifest = directory / "SOURCE.md"
    front, _body = front_matter(read_source(manifest), manifest)
    if not isinstance(front.get("files"), dict):
        raise SourceError("SOURCE.md front matter needs a 'files' mapping", path=str(manifest))
    retrieved = str(front.get("retrieved", ""))
    out = []
    for name, meta in front["files"].items():
        if not plain_name(str(name)):
            raise SourceError(
                f"SOURCE.md lists {name!r}, not a plain file name", path=str(manifest)
            )
        path = directory / str(name)
        if not path.is_file():
            raise SourceError(f"SOURCE.md lists {name}, which is not there", path=str(manifest))
        if not isinstance(meta, dict) or "url" not in meta:
            raise SourceError(f"SOURCE.md: {name} needs at least a url", path=str(manifest))
        out.append(RecordedFile(path, {str(k): str(v) for k, v in meta.items()}, retrieved))
    return out


def one_recorded_file(directory: Path, what: str) -> RecordedFile:
    """The one file a single-page source (`what`, e.g. RELEASE.md) records."""
    files = recorded_files(directory)
    if len(files) != 1:
        raise SourceError(
            f"expected one recorded {what}, SOURCE.md lists {len(files)}",
            path=str(directory / "SOURCE.md"),
        )
    return files[0]


def front_matter(text: str, manifest: Path) -> tuple[dict[str, Any], str]:
    """SOURCE.md's YAML front matter (between '---' lines) and the Markdown after it."""
    if not text.startswith("---\n") or "\n---\n" not in text[3:]:
        raise SourceError(
            "SOURCE.md must start with a '---' front matter block", path=str(manifest)
        )
    end = text.index("\n---\n", 3)
    try:
        front = yaml.safe_load(text[4:end])
    except yaml.YAMLError as exc:
        raise SourceError(
            f"SOURCE.md front matter is not YAML: {exc}", path=str(manifest)
        ) from None
    if not isinstance(front, dict):
        raise SourceError("SOURCE.md front matter is not a mapping", path=str(manifest))
    return front, text[end + 5 :]


def plain_name(name: str) -> bool:
    """A file name of the source's own directory: no path, nothing hidden, not SOURCE.md."""
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and not name.startswith(".")
        and (name != "SOURCE.md")
    )
