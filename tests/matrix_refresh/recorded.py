"""Copies of the recorded vendor sources a test may edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chipdoctor.matrix.refresh.model import SourceError
from chipdoctor.matrix.refresh.parsers import PARSERS
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"


def copy_source(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(SOURCES / name, target)
    return target


def refuses_an_edit(
    source: str, page: str, edit: tuple[str, str], message: str, tmp_path: Path
) -> None:
    """The recorded `page` of `source`, with `old` made `new`, is refused with `message`: a
    source whose shape changed fails the refresh, it never yields wrong rows."""
    old, new = edit
    directory = copy_source(source, tmp_path)
    text = (directory / page).read_text(encoding="utf-8")
    assert old in text
    (directory / page).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        PARSERS[source].parse(directory)
