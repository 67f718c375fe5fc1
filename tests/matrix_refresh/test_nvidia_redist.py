"""NVIDIA driver redistributable manifests (tests/fixtures/sources/nvidia-driver-redist/: the
excerpts a stored copy returned): the driver branch NVIDIA names for a CUDA release from 13.4."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chipdoctor.matrix.refresh.model import SourceError
from chipdoctor.matrix.refresh.parsers import PARSERS
from tests.conftest import FIXTURES

SOURCE = FIXTURES / "sources" / "nvidia-driver-redist"
parse = PARSERS["nvidia-driver-redist"].parse


def test_cuda_13_5_asks_for_the_r620_branch() -> None:
    out = parse(SOURCE)
    assert out.rows["toolkit_driver"] == [
        {
            "cuda": "13.5",
            "nvidia_driver": ">=620",
            "branch": "R620",
            "source": ["gen-nv-driver-redist-620.70.06", "gen-nv-driver-redist-620.70.10"],
            "note": "CUDA 13.5: NVIDIA names the R620 branch, no exact minimum (the lowest "
            "recorded branch whose cuda_compat is built for 13.5)",
        }
    ]
    # 13.3 has an exact minimum in its release notes: its manifest gives no row, nor a source
    assert out.skipped == ["CUDA 13.3 (driver 610.57.04): NVIDIA publishes an exact minimum for it"]
    assert sorted(out.sources) == [
        "gen-nv-driver-redist-620.70.06",
        "gen-nv-driver-redist-620.70.10",
    ]
    source = out.sources["gen-nv-driver-redist-620.70.06"]
    assert source["title"].startswith("NVIDIA driver 620.70.06 redistributable manifest")
    assert "(2026-11-04)" in source["title"]


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "nvidia-driver-redist"
    shutil.copytree(SOURCE, target)
    return target


def _add(directory: Path, name: str, manifest: str, *, excerpt: bool = False) -> None:
    (directory / name).write_text(manifest)
    source = directory / "SOURCE.md"
    text = source.read_text()
    entry = f"  {name}:\n    url: https://example.invalid/{name}\n"
    if excerpt:
        entry += "    excerpt: true\n"
    source.write_text(text.replace("files:\n", "files:\n" + entry, 1))


def _whole(label: str, cuda: str, product: str = "nvidia-driver") -> str:
    return json.dumps(
        {
            "release_date": "2099-01-01",
            "release_label": label,
            "release_product": product,
            "cuda_compat": {"name": "CUDA Forward Compatability", "cuda_variant": [cuda]},
            "driver_assistant": {"version": "0"},
        }
    )


def test_the_lowest_branch_carrying_a_release_is_the_one_asked_for(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _add(directory, "redistrib_625.1.1.json", _whole("625.1.1", "13.5"))
    (row,) = parse(directory).rows["toolkit_driver"]
    assert (row["nvidia_driver"], row["branch"]) == (">=620", "R620")


def test_a_whole_manifest_is_read_to_its_end(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _add(directory, "redistrib_630.1.1.json", _whole("630.1.1", "13.6"))
    rows = parse(directory).rows["toolkit_driver"]
    assert [(r["cuda"], r["branch"]) for r in rows] == [("13.6", "R630"), ("13.5", "R620")]


def test_a_cut_manifest_not_marked_as_an_excerpt_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _add(directory, "redistrib_630.1.1.json", _whole("630.1.1", "13.6")[:-40])
    with pytest.raises(SourceError, match="not JSON"):
        parse(directory)


def test_an_excerpt_cut_before_cuda_compat_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    whole = _whole("630.1.1", "13.6")
    _add(
        directory,
        "redistrib_630.1.1.json",
        whole[: whole.index('"cuda_compat"') + 20],
        excerpt=True,
    )
    with pytest.raises(SourceError, match="has no cuda_compat"):
        parse(directory)


def test_another_products_manifest_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _add(directory, "redistrib_13.5.0.json", _whole("13.5.0", "13.5", product="cuda"))
    with pytest.raises(SourceError, match="not 'nvidia-driver'"):
        parse(directory)


def test_a_manifest_nested_thousands_deep_is_refused_not_a_traceback(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    nested = "[" * 100_000 + "]" * 100_000
    _add(directory, "redistrib_630.1.1.json", '{"release_date": ' + nested + "}")
    with pytest.raises(SourceError, match="nested too deep"):
        parse(directory)
