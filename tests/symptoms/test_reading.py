"""Hostile logs: huge, binary, one endless line, colour codes, not a file at all."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.symptoms import reading
from chipdoctor.symptoms.reading import MAX_BYTES, MAX_LINE, MAX_LINES, clean, read_log
from chipdoctor.symptoms.recognise import recognise

ERROR = b"ImportError: libmccl.so.2: cannot open shared object file: No such file or directory"


def test_terminal_escapes_and_controls_are_removed() -> None:
    line = (
        b"\x1b[1;31mAssertionError: Torch not compiled\x1b[0m with "
        b"\x1b]0;title\x07CUDA\x00 enabled\r"
    )
    assert clean(line) == "AssertionError: Torch not compiled with CUDA enabled"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert clean(b"\xff\xfe" + ERROR) == "\ufffd\ufffd" + ERROR.decode()


def test_a_huge_log_is_read_from_its_end_with_true_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    filler = b"step 1 ok\n" * ((3 * MAX_BYTES) // 10)
    path.write_bytes(filler + ERROR + b"\nexit 1\n")
    log = read_log(str(path))
    assert len("\n".join(log.lines)) <= MAX_BYTES
    [symptom] = recognise(log.lines, log.first)
    assert symptom.line == filler.count(b"\n") + 1


def test_an_endless_line_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_bytes(b"A" * (8 << 20) + ERROR)
    log = read_log(str(path))
    assert all(len(line) <= MAX_LINE for line in log.lines)
    assert recognise(log.lines, log.first) == ()  # what stood past the cut is not read


def test_binary_noise_yields_no_symptom_and_no_error(tmp_path: Path) -> None:
    path = tmp_path / "core"
    path.write_bytes(random.Random(20261206).randbytes(1 << 20) + b"\n" + ERROR)
    log = read_log(str(path))
    assert all("\x00" not in line for line in log.lines)
    [symptom] = recognise(log.lines, log.first)  # the noise shows nothing; the error, itself
    assert symptom.value("library") == "libmccl.so.2"


def test_only_the_last_max_lines_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_bytes(ERROR + b"\n" + b"\n" * (MAX_LINES + 5) + ERROR + b"\n")
    log = read_log(str(path))
    assert len(log.lines) == MAX_LINES
    [symptom] = recognise(log.lines, log.first)
    assert symptom.line == MAX_LINES + 7


@pytest.mark.parametrize("make", ["missing", "directory", "fifo"])
def test_what_is_not_a_readable_file_is_bad_input(make: str, tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    if make == "directory":
        path.mkdir()
    elif make == "fifo":
        os.mkfifo(path)
    with pytest.raises(BadInput) as caught:
        read_log(str(path))
    assert caught.value.path == str(path) and "\n" not in str(caught.value)


def test_a_log_too_large_to_number_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_SKIPPED", 1 << 20)  # a 4 GiB file is not written here
    path = tmp_path / "job.log"
    path.write_bytes(b"x\n" * ((MAX_BYTES + (2 << 20)) // 2))
    with pytest.raises(BadInput, match="tail -c 4M"):
        read_log(str(path))


def test_standard_input_is_read_to_its_end() -> None:
    code = (
        "import sys; from chipdoctor.symptoms.reading import read_log; "
        "log = read_log('-'); print(log.first, len(log.lines), log.lines[-2])"
    )
    data = b"x\n" * (MAX_BYTES) + ERROR + b"\n"
    result = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, check=True, timeout=60
    )
    first, count, last = result.stdout.decode().strip().split(" ", 2)
    assert last == ERROR.decode()
    assert int(first) + int(count) - 2 == MAX_BYTES + 1  # the error's line number in the stream


def test_a_closed_standard_input_is_bad_input() -> None:
    code = (
        "from chipdoctor.errors import BadInput\n"
        "from chipdoctor.symptoms.reading import read_log\n"
        "try:\n    read_log('-')\nexcept BadInput as exc:\n    print(exc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        preexec_fn=lambda: os.close(0),  # as `<&-` leaves it
        check=True,
        timeout=60,
    )
    assert result.stdout == b"-: cannot read the log: standard input is closed\n"


def test_a_tail_that_starts_on_a_line_boundary_keeps_that_line(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_bytes(b"a" * 9 + b"\n" + ERROR + b"\n" + b"b" * (MAX_BYTES - len(ERROR) - 1))
    log = read_log(str(path))  # the tail begins right after the first newline
    [symptom] = recognise(log.lines, log.first)
    assert symptom.line == 2
