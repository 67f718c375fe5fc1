"""The native libraries a torch extension's RECORD lists (extensions/installed.py)."""

from __future__ import annotations

from chipdoctor.extensions.installed import record_libraries


def test_record_paths_are_bounded_to_the_site() -> None:
    text = (
        'a/b.so,sha256=x,1\n../../lib/c.so,,\n/abs/d.so,,\n"e,f.so",,\ng.py,,\nh.so.1,,\na/b.so,,\n'
    )
    assert record_libraries(text) == ["a/b.so", "e,f.so"]


def test_a_record_that_is_not_csv_lists_nothing() -> None:
    """A field past csv's size limit (128 KiB) raises csv.Error inside the reader."""
    huge = "a/b.so,,\n" + "x" * 200_000 + ".so,,\n"
    assert record_libraries(huge) == []
