"""Keeping only a METADATA head's header block (what `check --image` keeps while it streams a
site directory) changes nothing `parse_requires_dist` reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chipdoctor.evidence.distmeta import header_block, parse_requires_dist

_LINES = st.sampled_from(
    [
        "Requires-Dist: torch==2.5.1",
        "requires-dist: numpy",
        "Name: x",
        "",
        " ",
        "\t",
        "\r",
        "\x0c",
        "Description: a\x0cb",
        "Requires-Dist: torch>=2; extra == 'x'",
    ]
)


@given(st.lists(_LINES, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_the_header_block_parses_as_the_whole_head(lines: list[str], newline: str) -> None:
    data = newline.join(lines).encode()
    whole = parse_requires_dist(data.decode())
    assert parse_requires_dist(header_block(data).decode()) == whole


def test_the_block_ends_at_the_first_blank_line() -> None:
    data = b"Name: x\nRequires-Dist: a\n\nRequires-Dist: b\n"
    assert header_block(data) == b"Name: x\nRequires-Dist: a\n\n"
    assert header_block(b"Name: x\r\n\r\nbody") == b"Name: x\r\n\r\n"
    assert header_block(b"Name: x\nRequires-Dist: a") == b"Name: x\nRequires-Dist: a"
