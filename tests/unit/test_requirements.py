"""Requires-Dist read from METADATA (never imported) and the unmet ones on the stack's packages
reported with a pip line that meets them (issue 12, item 4)."""

from __future__ import annotations

import json
import shutil
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from chipdoctor.evidence.base import PlatformInfo, PythonInfo, normalize_name
from chipdoctor.evidence.distmeta import parse_requires_dist, read_requires
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.rules.requirements import findings, marker_environment
from tests.conftest import SNAPSHOTS, run_cli

LINUX_X86 = marker_environment(
    PlatformInfo(system="Linux", machine="x86_64"), PythonInfo(version="3.11.6")
)


def _site_of(dist: str) -> Path:
    files = metadata.distribution(dist).files or []
    meta = next(f for f in files if str(f).endswith(".dist-info/METADATA"))
    return Path(str(meta.locate())).parents[1]


def test_this_venvs_requirements_match_importlib_metadata() -> None:
    """Every dist-info of the real site directory, read as files, equals what importlib says."""
    site = _site_of("jsonschema")
    host = HostEvidence()
    installed = {
        normalize_name(d.metadata["Name"]): d.version
        for d in metadata.distributions(path=[str(site)])
    }
    read = read_requires(host, [str(site)], installed)
    assert read["jsonschema"] == tuple(metadata.requires("jsonschema") or ())
    for dist in metadata.distributions(path=[str(site)]):
        if str(dist._path).endswith(".dist-info"):  # type: ignore[attr-defined]
            name = normalize_name(dist.metadata["Name"])
            assert read[name] == tuple(dist.requires or ()), name


def test_only_the_headers_are_read() -> None:
    text = "Name: x\nRequires-Dist: torch==2.5.1\n\nRequires-Dist: not-a-header\n"
    assert parse_requires_dist(text) == ("torch==2.5.1",)


def test_a_folded_header_does_not_end_the_headers() -> None:
    """A multi-line `License:` (setuptools writes the license text folded, its empty lines as
    lines of spaces) continues the header: the Requires-Dist after it counts, as for
    importlib.metadata, which reads METADATA with the email parser."""
    from email.parser import HeaderParser

    text = (
        "Metadata-Version: 2.4\nName: x\nLicense: The MIT License\n        \n        "
        "Permission is hereby granted\n\t\nRequires-Dist: torch==2.5.1\n\nRequires-Dist: no\n"
    )
    assert parse_requires_dist(text) == ("torch==2.5.1",)
    assert HeaderParser().parsestr(text).get_all("Requires-Dist") == ["torch==2.5.1"]


def test_a_stack_pin_is_judged_as_pip_check_does() -> None:
    requires = {
        "vllm": ("torch==2.5.1", "transformers>=4.45"),
        "torchvision": ("torch==2.5.1",),
        "xformers": ('torch==2.4.0; platform_machine == "aarch64"', 'triton; extra == "dev"'),
    }
    packages = {"vllm": "0.7.3", "torch": "2.5.1+cu124", "torchvision": "0.20.1"}
    assert findings(requires, packages, LINUX_X86) == []  # a local tag meets ==2.5.1
    (finding,) = findings(requires, {**packages, "torch": "2.4.0+cu124"}, LINUX_X86)
    assert finding.id == "host.unmet-requirement"
    assert "vllm 0.7.3 requires torch==2.5.1" in finding.message
    assert finding.fix == (
        "pip install torch==2.5.1+cu124 --index-url https://download.pytorch.org/whl/cu124"
    )


def test_companions_are_reinstalled_for_the_torch_that_stays() -> None:
    requires = {"torchvision": ("torch==2.4.1",), "torchaudio": ("torch==2.4.1",)}
    packages = {"torch": "2.5.1+cpu", "torchvision": "0.19.1", "torchaudio": "2.4.1"}
    (finding,) = findings(requires, packages, LINUX_X86)
    assert finding.fix == (
        'pip install torchaudio "torchvision==0.20.*" torch==2.5.1+cpu '
        "--index-url https://download.pytorch.org/whl/cpu"
    )


def test_a_nightly_pin_names_the_nightly_index() -> None:
    requires = {"torchaudio": ("torch==1.14.0.dev20221016",)}
    packages = {"torch": "1.14.0.dev20221017+cu117", "torchaudio": "0.13.0.dev20221016+cu117"}
    (finding,) = findings(requires, packages, LINUX_X86)
    assert finding.fix == (
        "pip install torch==1.14.0.dev20221016+cu117 "
        "--index-url https://download.pytorch.org/whl/nightly/cu117"
    )


def test_a_missing_cuda_wheel_is_unmet() -> None:
    requires = {"torch": ('nvidia-cudnn-cu12==9.1.0.70; platform_system == "Linux"',)}
    (finding,) = findings(requires, {"torch": "2.5.1"}, LINUX_X86)
    assert finding.message.endswith("but nvidia-cudnn-cu12 is not installed.")
    assert finding.fix == "pip install nvidia-cudnn-cu12==9.1.0.70"


@pytest.mark.parametrize(
    "recorded",
    [["torch==2.5.1"], {"vllm": "torch==2.5.1"}, {"vllm": [1]}],
)
def test_a_malformed_requires_dist_is_bad_input(tmp_path: Path, recorded: object) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "no-accelerator", snap)
    doc = yaml.safe_load((snap / "snapshot.yaml").read_text())
    doc.update(format="chipdoctor-snapshot/3", requires_dist=recorded)
    (snap / "snapshot.yaml").write_text(yaml.safe_dump(doc))
    result = run_cli("check", "--snapshot", str(snap))
    assert result.returncode == 2
    assert "snapshot.yaml:" in result.stderr and "requires_dist" in result.stderr


def test_the_snapshot_records_requires_dist_and_reports_the_same(tmp_path: Path) -> None:
    """This machine's requirements go into the /3 key, not as copies of METADATA files."""
    snap = tmp_path / "snap"
    assert run_cli("snapshot", str(snap), "--python", sys.executable).returncode == 0
    doc = yaml.safe_load((snap / "snapshot.yaml").read_text())
    assert doc["requires_dist"]["jsonschema"] == list(metadata.requires("jsonschema") or ())
    assert not list(snap.glob("files/**/METADATA"))
    live = run_cli("check", "--format", "json", "--python", sys.executable)
    again = run_cli("check", "--snapshot", str(snap), "--format", "json")
    assert {**json.loads(again.stdout), "host": None} == {**json.loads(live.stdout), "host": None}


def test_a_snapshots_requirement_lines_are_bounded_as_the_hosts(tmp_path: Path) -> None:
    """A recorded line too long to be a requirement, or past the count the host keeps, is not
    handed to the PEP 508 parser: a snapshot is bounded as the METADATA it stands for."""
    from chipdoctor.evidence.distmeta import MAX_REQUIREMENT_CHARS, MAX_REQUIREMENTS
    from chipdoctor.evidence.snapshot import SnapshotEvidence

    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "no-accelerator", snap)
    doc = yaml.safe_load((snap / "snapshot.yaml").read_text())
    lines = ["torch" + " " * MAX_REQUIREMENT_CHARS + "==2.5.1", " numpy ", ""]
    lines += [f"pkg{n}" for n in range(MAX_REQUIREMENTS + 10)]
    doc.update(format="chipdoctor-snapshot/3", requires_dist={"My_Dist": lines})
    (snap / "snapshot.yaml").write_text(yaml.safe_dump(doc))
    kept = SnapshotEvidence(snap).requires_dist()["my-dist"]
    assert kept == ("numpy", *(f"pkg{n}" for n in range(MAX_REQUIREMENTS - 1)))
