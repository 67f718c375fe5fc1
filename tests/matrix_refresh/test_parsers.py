"""Each parser against the recorded bytes of its source: the rows Ascend and Cambricon publish."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.matrix.refresh.model import SourceError
from chipdoctor.matrix.refresh.parsers import PARSERS
from tests.conftest import FIXTURES
from tests.matrix_refresh.recorded import copy_source, refuses_an_edit

SOURCES = FIXTURES / "sources"


def rows_by_key(table: list[dict[str, object]], key: str) -> dict[object, dict[str, object]]:
    return {str(row[key]): row for row in table}


def test_torchnpu_26_2_0_rows() -> None:
    out = PARSERS["pta-release-notes"].parse(SOURCES / "pta-release-notes")
    assert out.stack == "ascend"
    npu = rows_by_key(out.rows["torch_npu"], "torch_npu")
    assert npu["2.9.0.post9"] == {
        "torch_npu": "2.9.0.post9",
        "torch": "2.9.0",
        "cann": "9.2.0",
        "python": ["3.10", "3.11", "3.12", "3.13", "3.14"],
        "branch": "v2.9.0-26.2.0",
        "source": "gen-pta-rn-26.2.0",
    }
    assert npu["2.7.1.post11"]["python"] == ["3.9", "3.10", "3.11", "3.12", "3.13"]
    assert npu["2.7.1.post11"]["note"] == "Triton Ascend v3.2.2"
    assert npu["2.14.0"]["torch"] == "2.14.0"
    assert npu["2.12.0"]["cann"] == "9.1.0"  # from the 26.1.0 notes
    # 26.0.0 and 7.3.0 notes name the columns after "Ascend Extension for PyTorch" and write
    # the CANN cell as "商用版：9.0.0<br>社区版：9.0.0".
    assert (npu["2.10.0"]["cann"], npu["2.10.0"]["branch"]) == ("9.0.0", "v2.10.0-26.0.0")
    assert npu["2.9.0"]["python"] == ["3.10", "3.11", "3.12"]  # 7.3.0
    assert len(npu) == 20
    assert "04937a13212ac75868424b6e9dae31ff4d9d9866" in out.sources["gen-pta-rn-26.2.0"]["url"]


def test_compatibility_rows_use_the_newest_table_for_every_train_with_packages() -> None:
    out = PARSERS["pta-release-notes"].parse(SOURCES / "pta-release-notes")
    compat = out.rows["torch_npu_cann"]
    assert [row["torch_npu"] for row in compat] == [
        ["2.6.0.post5", "2.7.1.post2", "2.8.0.post2", "2.9.0"],
        ["2.7.1.post4", "2.8.0.post4", "2.9.0.post2", "2.10.0"],
        ["2.7.1.post8", "2.9.0.post6", "2.10.0.post4", "2.11.0", "2.12.0"],
        [
            *("2.7.1.post11", "2.9.0.post9", "2.10.0.post7", "2.11.0.post3", "2.12.0.post3"),
            *("2.13.0", "2.14.0"),
        ],
    ]
    assert all(row["cann"] == ["8.5.X", "9.0.X", "9.1.X", "9.2.X"] for row in compat)
    assert compat[0]["source"] == ["gen-pta-rn-26.2.0", "gen-pta-rn-7.3.0"]
    assert out.skipped == []


def test_a_train_without_recorded_notes_is_said_to_be_skipped(tmp_path: Path) -> None:
    directory = copy_source("pta-release-notes", tmp_path)
    (directory / "release_notes-7.3.0.md").unlink()
    manifest = directory / "SOURCE.md"
    text = manifest.read_text()
    start = text.index("  release_notes-7.3.0.md:")
    end = text.index("track:")
    manifest.write_text(text[:start] + text[end:])
    out = PARSERS["pta-release-notes"].parse(directory)
    assert [line.split(":")[0] for line in out.skipped] == ["TorchNPU 7.3.X"]


def test_torch_mlu_build_property_rows() -> None:
    out = PARSERS["torch-mlu-build-property"].parse(SOURCES / "torch-mlu-build-property")
    mlu = rows_by_key(out.rows["torch_mlu"], "torch_mlu")
    assert mlu["1.25.0+torch2.4.1"] == {
        "torch_mlu": "1.25.0+torch2.4.1",
        "torch": "2.4.1",
        "neuware": ">=4.0.1",
        "cnnl": ">=2.0.0",
        "cncl": ">=1.24.1",
        "cambricon_driver": ">=6.2.8",
        "branch": "r2.4_develop",
        "source": "gen-tm-bp-r2.4_develop",
        "note": "build_requires cntoolkit 4.0.1-1, cnnl 2.0.0-1, cncl 1.24.1-1; "
        "driver_requires 6.2.8-1",
    }
    assert mlu["1.22.2+torch2.1.0"]["cambricon_driver"] == ">=6.2.0"
    assert len(mlu) == 6


def test_release_notes_without_a_mapping_table_are_refused(tmp_path: Path) -> None:
    notes = copy_source("pta-release-notes", tmp_path) / "release_notes-26.2.0.md"
    text = notes.read_text()
    notes.write_text(text.replace("|TorchNPU代码分支名称|", "|Branch|"))
    with pytest.raises(SourceError, match="version mapping table"):
        PARSERS["pta-release-notes"].parse(notes.parent)


def test_a_compatibility_mark_other_than_y_or_n_is_refused(tmp_path: Path) -> None:
    notes = copy_source("pta-release-notes", tmp_path) / "release_notes-26.2.0.md"
    notes.write_text(notes.read_text().replace('<td class="tg-baqh">Y</td>', "<td>maybe</td>", 1))
    with pytest.raises(SourceError, match="other than Y or N"):
        PARSERS["pta-release-notes"].parse(notes.parent)


def test_a_daily_build_requirement_is_not_a_release(tmp_path: Path) -> None:
    directory = copy_source("torch-mlu-build-property", tmp_path)
    path = directory / "build.property.r2.4_develop"
    path.write_text(path.read_text().replace('"cntoolkit": ["release"', '"cntoolkit": ["daily"'))
    with pytest.raises(SourceError, match="'daily' build"):
        PARSERS["torch-mlu-build-property"].parse(directory)


def test_source_md_must_list_files_that_exist(tmp_path: Path) -> None:
    directory = copy_source("torch-mlu-build-property", tmp_path)
    (directory / "build.property.r2.4_develop").unlink()
    with pytest.raises(SourceError, match="not there"):
        PARSERS["torch-mlu-build-property"].parse(directory)


def test_cann_release_notes_rows() -> None:
    out = PARSERS["cann-release-notes"].parse(SOURCES / "cann-release-notes")
    assert out.rows["cann_driver"] == [
        {"cann": "9.0.0-beta.2", "ascend_driver": "25.5.1", "source": "gen-cann-rn-9.0.0-beta.2"},
        {"cann": "9.0.0-beta.1", "ascend_driver": "25.5.1", "source": "gen-cann-rn-9.0.0-beta.1"},
        {
            "cann": "9.0.0",
            "ascend_driver": ["26.0.RC1", "25.5.2", "25.5.1"],
            "source": "gen-cann-rn-9.0.0",
        },
        {
            "cann": "8.5.2",
            "ascend_driver": ["26.0.RC1", "25.5.2", "25.5.1"],
            "source": "gen-cann-rn-9.0.0",
        },
    ]
    kernels = rows_by_key(out.rows["cann_kernels"], "cann_kernels")
    assert kernels["9.0.0"]["cann"] == ["9.0.0", "8.5.2"]
    assert kernels["9.0.0-beta.1"]["cann"] == "9.0.0-beta.1"


def test_cann_label_is_the_version_in_the_title() -> None:
    label = PARSERS["cann-release-notes"].label
    assert label is not None
    text = (SOURCES / "cann-release-notes" / "release-notes-9.0.0.md").read_text()
    assert label(text) == "9.0.0"
    with pytest.raises(SourceError, match="title"):
        label("# Something else\n")


@pytest.mark.parametrize("name", ["../SOURCE.md", "/etc/hostname", ".hidden", "SOURCE.md"])
def test_source_md_names_only_files_of_its_own_directory(tmp_path: Path, name: str) -> None:
    directory = copy_source("torch-mlu-build-property", tmp_path)
    manifest = directory / "SOURCE.md"
    manifest.write_text(
        manifest.read_text().replace("  build.property.r2.4_develop:\n", f"  {name!r}:\n", 1)
    )
    with pytest.raises(SourceError, match="not a plain file name"):
        PARSERS["torch-mlu-build-property"].parse(directory)


def test_rocm_kmd_rows_group_a_minor_line_that_says_the_same() -> None:
    out = PARSERS["rocm-compatibility-matrix"].parse(SOURCES / "rocm-compatibility-matrix")
    rows = out.rows["kmd_userspace"]
    assert [(r["amdgpu_driver"], r["rocm"]) for r in rows] == [
        ("6.3.x", ["6.3.x", "6.2.x", "6.1.x"]),
        ("6.2.x", ["6.3.x", "6.2.x", "6.1.x", "6.0.x"]),
        ("6.1.x", ["6.3.x", "6.2.x", "6.1.x", "6.0.x", "5.7.x"]),
        ("6.0.x", ["6.2.x", "6.1.x", "6.0.x", "5.7.x", "5.6.x"]),
    ]


def test_rocm_releases_of_one_line_that_differ_get_a_row_each(tmp_path: Path) -> None:
    directory = copy_source("rocm-compatibility-matrix", tmp_path)
    path = directory / "compatibility-matrix-historical-6.0.csv"
    # Make 6.3.3 (the first release column) claim less than the rest of the 6.3 line.
    path.write_text(
        path.read_text().replace(
            'Tested user space versions,"6.3.x, 6.2.x, 6.1.x"',
            'Tested user space versions,"6.3.x, 6.2.x"',
        )
    )
    rows = PARSERS["rocm-compatibility-matrix"].parse(directory).rows["kmd_userspace"]
    rows = [r for r in rows if r["source"] == "gen-rocm-compat-historical-6.0"]
    assert [r["amdgpu_driver"] for r in rows][:4] == ["6.3.3", "6.3.2", "6.3.1", "6.3.0"]
    assert rows[0]["rocm"] == ["6.3.x", "6.2.x"]


def test_pta_compatibility_rows() -> None:
    out = PARSERS["pta-compatibility"].parse(SOURCES / "pta-compatibility")
    assert out.stack == "ascend"
    rows = out.rows["torch_npu"]
    assert len(rows) == 26 + 36  # the active table, then the historical one
    npu = rows_by_key(rows, "torch_npu")
    assert npu["2.12.0"] == {
        "torch_npu": "2.12.0",
        "torch": "2.12.0",
        "cann": "9.1.0",
        "python": ["3.10", "3.11", "3.12", "3.13", "3.14"],  # the PyTorch/Python table
        "branch": "v2.12.0-26.1.0",
        "source": "gen-pta-compat",
    }
    assert npu["2.1.0.post10"]["cann"] == "8.0.0"  # "CANN 8.0.0"
    assert npu["2.4.0"]["note"] == "historical table"
    assert npu["1.11.0.rc2"]["note"] == "historical table; beta"  # "1.11.0.rc2 (beta)"
    # "Python3.7(>=3.7.5)": the 3.7 line from 3.7.5 on.
    assert npu["1.11.0"]["python"] == [">=3.7.5,<=3.7", "3.8", "3.9", "3.10"]
    assert "python" not in npu["2.0.1"]  # the Python table starts at PyTorch 1.11.0 / 2.1.0
    assert npu["1.5.0.post2"]["branch"] == "2.0.2.tr5"
    url = out.sources["gen-pta-compat"]["url"]
    assert url.endswith("/9e73e708ab9350d203475609f36f8a43f6a0c2ab/COMPATIBILITY.en.md")
    assert [line.split(":")[0] for line in out.skipped] == [
        "COMPATIBILITY.en.md 'Recommended Version Combination' and 'Hardware support'"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("| CANN version |", "| CANN |", "version mapping table"),
        ("|  CANN 9.1.0  |", "|  CANN nine  |", "not a CANN version"),
        ("## PyTorch and Python versions\n\n| PyTorch Version |", "\n| Torch |", "PyTorch/Python"),
    ],
)
def test_pta_compatibility_refuses_a_changed_shape(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    refuses_an_edit("pta-compatibility", "COMPATIBILITY.en.md", (old, new), message, tmp_path)


def test_pytorch_release_matrix_rows() -> None:
    out = PARSERS["pytorch-release-matrix"].parse(SOURCES / "pytorch-release-matrix")
    assert out.stack == "cuda"
    rows = out.rows["torch_cuda"]
    assert len(rows) == 12  # 1.12 to 2.3, one stable and one experimental CUDA each
    assert rows[:2] == [
        {
            "torch": "2.3.*",
            "cuda": "11.8",
            "cudnn": "8.7.0.84",
            "note": "stable",
            "source": "gen-pt-release-matrix",
        },
        {
            "torch": "2.3.*",
            "cuda": "12.1",
            "cudnn": "8.9.2.26",
            "note": "experimental",
            "source": "gen-pt-release-matrix",
        },
    ]
    assert rows[-2]["torch"] == "1.12.*" and rows[-2]["cuda"] == "11.3"
    assert "aa6104e2a21e72f83ce217ea93e8e69884e22b04" in out.sources["gen-pt-release-matrix"]["url"]


# The newer shape of the table (a C++ column, cuDNN and NCCL per CUDA, "--" and "None" for no
# build): rows 2.14, 2.6 and 2.5 of the matrix as RELEASE.md on main publishes it
# (shared/reference/other-stacks.md D.2).
NEWER_MATRIX = """\
| PyTorch version | Python | C++ | Stable CUDA | Experimental CUDA |
| --- | --- | --- | --- | --- |
| 2.14 | >=3.10, <=(3.15, 3.15t experimental) | C++20 | CUDA 12.6 (CUDNN 9.10.2.21) (NCCL 2.29.3), CUDA 13.0 (CUDNN 9.24.0.43) (NCCL 2.30.7), CUDA 13.2 (CUDNN 9.24.0.43) (NCCL 2.30.7) | -- |
| 2.6 | >=3.9, <=3.13, (3.13t experimental) | C++17 | CUDA 11.8, CUDA 12.4 (CUDNN 9.1.0.70) | CUDA 12.6 (CUDNN 9.5.1.17) |
| 2.5 | >=3.9, <=3.12, (3.13 experimental) | C++17 | CUDA 11.8, CUDA 12.1, CUDA 12.4, CUDNN 9.1.0.70 | None |
"""  # noqa: E501


def _with_matrix(tmp_path: Path, table: str) -> Path:
    directory = copy_source("pytorch-release-matrix", tmp_path)
    page = directory / "RELEASE.md"
    text = page.read_text(encoding="utf-8")
    start = text.index("| PyTorch version |")
    page.write_text(text[:start] + table, encoding="utf-8")
    return directory


def test_pytorch_release_matrix_reads_the_newer_shape(tmp_path: Path) -> None:
    out = PARSERS["pytorch-release-matrix"].parse(_with_matrix(tmp_path, NEWER_MATRIX))
    found = [(r["torch"], r["cuda"], r.get("cudnn"), r["note"]) for r in out.rows["torch_cuda"]]
    assert found == [
        ("2.14.*", "12.6", "9.10.2.21", "stable"),
        ("2.14.*", "13.0", "9.24.0.43", "stable"),
        ("2.14.*", "13.2", "9.24.0.43", "stable"),
        ("2.6.*", "11.8", None, "stable"),  # the cuDNN in parentheses is 12.4's alone
        ("2.6.*", "12.4", "9.1.0.70", "stable"),
        ("2.6.*", "12.6", "9.5.1.17", "experimental"),
        ("2.5.*", "11.8", "9.1.0.70", "stable"),  # a bare CUDNN item: every CUDA before it
        ("2.5.*", "12.1", "9.1.0.70", "stable"),
        ("2.5.*", "12.4", "9.1.0.70", "stable"),
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("| PyTorch | Stable CUDA |\n| --- | --- |\n| 2.3 | CUDA 11.8 |\n", "no Release"),
        (NEWER_MATRIX.replace("| 2.5 |", "| 2.5.1 |"), "not MAJOR.MINOR"),
        (NEWER_MATRIX.replace("CUDA 12.1, CUDA 12.4", "CUDA 12.1, ROCm 6.2"), "item 'ROCm 6.2'"),
    ],
)
def test_pytorch_release_matrix_refuses_a_changed_shape(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(SourceError, match=message):
        PARSERS["pytorch-release-matrix"].parse(_with_matrix(tmp_path, table))


def test_vllm_ascend_release_matrix_rows() -> None:
    """versioning_policy.md @ 182b75e: 36 releases, v0.23.0 to v0.7.3."""
    out = PARSERS["vllm-ascend-versioning"].parse(SOURCES / "vllm-ascend-versioning")
    assert out.stack == "ascend"
    rows = out.rows["vllm_ascend"]
    assert len(rows) == 36
    source = "gen-vllm-ascend-versioning"
    assert rows[0] == {"vllm-ascend": "0.23.0", "vllm": "0.23.0", "cann": "9.1.0",
                       "torch": "2.10.0", "torch_npu": "2.10.0.post4", "triton-ascend": "3.2.2",
                       "source": source}  # fmt: skip
    by_release = {row["vllm-ascend"]: row for row in rows}
    # several vLLM releases in one cell; no Triton Ascend before v0.13.0rc2
    assert by_release["0.10.1rc1"]["vllm"] == ["0.10.1", "0.10.1.1"]
    assert "triton-ascend" not in by_release["0.9.1"]
    assert (by_release["0.8.5rc1"]["vllm"], by_release["0.7.3.post1"]["cann"]) == (
        "0.8.5.post1", "8.1.RC1"
    )  # fmt: skip
    assert out.sources[source]["url"].endswith("/docs/source/community/versioning_policy.md")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("| v0.9.1      | v0.9.1  ", "| 0.9.1-final | v0.9.1  ", "not a release version"),
        ("2.5.1 / 2.5.1.post1             |", "2.5.1.post1                     |", "torch / "),
        ("| Stable CANN |", "| CANN        |", "no release compatibility matrix"),
    ],
)
def test_vllm_ascend_release_matrix_refuses_a_changed_shape(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    edit = (old, new)
    refuses_an_edit("vllm-ascend-versioning", "versioning_policy.md", edit, message, tmp_path)
