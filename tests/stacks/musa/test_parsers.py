"""MUSA parsers on real published outputs, and on junk they must survive."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.stacks.musa.parsers import (
    GmiGpu,
    GmiInfo,
    parse_mthreads_gmi,
    parse_toolkit_version,
)
from tests.conftest import FIXTURES

GMI = FIXTURES / "mthreads_gmi"
QUERY = FIXTURES / "musa_version" / "musa_version_query_4.2.0_torch_musa102.txt"


def read(name: str) -> str:
    return (GMI / name).read_text(encoding="utf-8")


def test_gpustack_s4000() -> None:
    info = parse_mthreads_gmi(read("s4000x8_3.0.0_gpustack3511.txt"))
    assert info == GmiInfo(
        "2.2.0",
        "3.0.0",
        (
            GmiGpu(0, "MTT S4000", "00000000:08:00.0", 0, 49152),
            GmiGpu(1, "MTT S4000", "00000000:09:00.0", 0, 49152),
        ),
        None,
    )


def test_server_driver_suffix_is_kept() -> None:
    info = parse_mthreads_gmi(read("s5000x8_3.3.5-server_vllm-omni2337.txt"))
    assert (info.tool_version, info.driver_version) == ("2.3.2", "3.3.5-server")
    assert [(g.index, g.name, g.memory_used_mib) for g in info.gpus] == [
        (0, "MTT S5000", 66641),
        (1, "MTT S5000", 64889),
    ]


def test_whole_output_with_processes_table() -> None:
    info = parse_mthreads_gmi(read("s5000x8_5.1.0-server_paddleformers.txt"))
    assert (info.tool_version, info.driver_version, info.error) == ("2.4.1", "5.1.0-server", None)
    assert [g.index for g in info.gpus] == list(range(8))
    assert info.gpus[7] == GmiGpu(7, "MTT S5000", "00000000:da:00.0", 0, 81920)


def test_narrow_1x_layout() -> None:
    info = parse_mthreads_gmi(read("s4000_1.2.0_tutorial_faq.txt"))
    assert (info.tool_version, info.driver_version, info.error) == ("1.12.2", "1.2.0", None)
    assert info.gpus == (GmiGpu(0, "MTT S4000", "00000000:08:00.0", 44302, 32768),)


def test_processes_table_is_not_read_as_gpus() -> None:
    text = read("s4000x8_3.0.0_gpustack3511.txt") + (
        "\nProcesses:\nID   PID           Process name                           GPU Memory\n"
        "2    MTT S4000            |00000000:0e:00.0    |0%    0MiB(49152MiB)\n"
    )
    assert [g.index for g in parse_mthreads_gmi(text).gpus] == [0, 1]


def test_error_text_is_reported() -> None:
    info = parse_mthreads_gmi("\n/bin/sh: 1: mthreads-gmi: not found\n")
    assert info == GmiInfo(None, None, (), "/bin/sh: 1: mthreads-gmi: not found")


def test_banner_without_gpus_is_no_error() -> None:
    banner = "\n".join(read("s4000x8_3.0.0_gpustack3511.txt").splitlines()[:8])
    info = parse_mthreads_gmi(banner)
    assert (info.driver_version, info.gpus, info.error) == ("3.0.0", (), None)


def test_empty_output() -> None:
    assert parse_mthreads_gmi("") == GmiInfo(None, None, (), None)


def test_truncated_outputs_keep_what_they_hold() -> None:
    text = read("s4000x8_3.0.0_gpustack3511.txt")
    for cut in range(len(text)):
        info = parse_mthreads_gmi(text[:cut])
        assert len(info.gpus) <= 2
        assert info.driver_version in (None, "3.0", "3.0.0")


def test_toolkit_from_version_query() -> None:
    assert parse_toolkit_version(QUERY.read_text(encoding="utf-8")) == "4.2.0"


def test_toolkit_from_version_json() -> None:
    # The shape docs.mthreads.com shows for /usr/local/musa/version.json (musa.md sources).
    text = '{\n "musa_toolkits": {\n  "version": "5.1.0",\n  "git branch": "x"\n },\n "mcc": {}\n}'
    assert parse_toolkit_version(text) == "5.1.0"


def test_toolkit_version_of_another_component_is_not_taken() -> None:
    assert parse_toolkit_version('mcc:\n{\n\t"version":\t"4.2.0"\n}') is None
    assert parse_toolkit_version('{"musa_toolkits": {}, "mcc": {"version": "4.2.0"}}') is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_gmi_junk_never_raises(text: str) -> None:
    info = parse_mthreads_gmi(text)
    assert all(gpu.index >= 0 for gpu in info.gpus)


@settings(max_examples=200, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=1100))
def test_gmi_damaged_real_output_never_raises(junk: str, at: int) -> None:
    text = read("s5000x8_3.3.5-server_vllm-omni2337.txt")
    parse_mthreads_gmi(text[:at] + junk + text[at:])


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_toolkit_junk_never_raises(text: str) -> None:
    result = parse_toolkit_version(text)
    assert result is None or result[0].isdigit()
