"""The Ascend probe on real file trees (HostEvidence over a temporary root) and real tools."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.model import Inventory, Severity
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.probe import AscendProbe, parse_visible_devices
from tests.conftest import FIXTURES, write_tool

NPU_SMI = FIXTURES / "npu_smi"
# ascend.md §3.1 sample 1 (vllm-ascend #4621): CANN 8.3.RC2 on x86_64.
TOOLKIT_83RC2 = """package_name=Ascend-cann-toolkit
version=8.3.RC2
innerversion=V100R001C23SPC002B210
compatible_version=[V100R001C15],[V100R001C18],[V100R001C19],[V100R001C20],[V100R001C21],[V100R001C23]
arch=x86_64
os=linux
path=/usr/local/Ascend/ascend-toolkit/8.3.RC2/x86_64-linux
"""
# ascend.md §3.2: version.cfg of an 8.0.0 install (first lines).
VERSION_CFG_800 = """# version: 1.0
runtime_running_version=[7.6.0.1.220:8.0.0]
compiler_running_version=[7.6.0.1.220:8.0.0]
toolkit_running_version=[7.6.0.1.220:8.0.0]
"""


def put(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def probe(root: Path, env: dict[str, str] | None = None, machine: str = "x86_64") -> Inventory:
    evidence = HostEvidence(root=str(root), env=env or {"PATH": "/nonexistent"})
    evidence.__dict__["platform"] = evidence.platform.__class__(machine=machine)
    return AscendProbe().collect(evidence)


def versions(inv: Inventory) -> dict[str, str]:
    return {c.id: c.version for c in inv.components}


def test_nothing_installed_is_no_stack(tmp_path: Path) -> None:
    inv = probe(tmp_path)
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_toolkit_under_latest(tmp_path: Path) -> None:
    put(
        tmp_path,
        "/usr/local/Ascend/ascend-toolkit/latest/x86_64-linux/ascend_toolkit_install.info",
        TOOLKIT_83RC2,
    )
    inv = probe(tmp_path)
    assert versions(inv) == {"cann": "8.3.RC2"}
    assert inv.stacks == ["ascend"]


def test_newest_versioned_install_of_cann_85_and_later(tmp_path: Path) -> None:
    for version in ("8.5.0", "9.0.0-beta.2", "9.0.0"):
        put(
            tmp_path,
            f"/usr/local/Ascend/cann-{version}/aarch64-linux/ascend_toolkit_install.info",
            f"version={version}\n",
        )
    inv = probe(tmp_path, machine="aarch64")
    assert versions(inv)["cann"] == "9.0.0"
    assert (
        inv.components[0].source
        == "/usr/local/Ascend/cann-9.0.0/aarch64-linux/ascend_toolkit_install.info"
    )


def test_environment_points_at_the_active_install(tmp_path: Path) -> None:
    for version in ("8.5.0", "9.0.0"):
        put(
            tmp_path,
            f"/usr/local/Ascend/cann-{version}/aarch64-linux/ascend_toolkit_install.info",
            f"version={version}\n",
        )
    inv = probe(
        tmp_path, {"ASCEND_TOOLKIT_HOME": "/usr/local/Ascend/cann-8.5.0"}, machine="aarch64"
    )
    assert versions(inv)["cann"] == "8.5.0"


def test_version_cfg_when_install_info_is_missing(tmp_path: Path) -> None:
    put(tmp_path, "/usr/local/Ascend/ascend-toolkit/latest/version.cfg", VERSION_CFG_800)
    assert versions(probe(tmp_path))["cann"] == "8.0.0"


def test_non_root_install_under_home(tmp_path: Path) -> None:
    put(
        tmp_path,
        "/home/ml/Ascend/ascend-toolkit/latest/x86_64-linux/ascend_toolkit_install.info",
        TOOLKIT_83RC2,
    )
    inv = probe(tmp_path, {"HOME": "/home/ml"})
    assert versions(inv)["cann"] == "8.3.RC2"


def test_install_path_recorded_by_the_installer(tmp_path: Path) -> None:
    put(tmp_path, "/etc/Ascend/ascend_cann_install.info", "Install_Path=/opt/Ascend\n")
    put(
        tmp_path,
        "/opt/Ascend/ascend-toolkit/latest/x86_64-linux/ascend_toolkit_install.info",
        TOOLKIT_83RC2,
    )
    assert versions(probe(tmp_path))["cann"] == "8.3.RC2"


def test_ops_package_nnae_and_nnal(tmp_path: Path) -> None:
    home = "/usr/local/Ascend/cann-8.5.0"
    put(tmp_path, f"{home}/x86_64-linux/ascend_toolkit_install.info", "version=8.5.0\n")
    put(
        tmp_path,
        f"{home}/x86_64-linux/ascend_ops_install.info",
        "package_name=Ascend-cann-310p-ops\nversion=8.5.0\n",
    )
    put(tmp_path, "/usr/local/Ascend/nnae/latest/ascend_nnae_install.info", "version=8.0.0\n")
    put(
        tmp_path,
        "/usr/local/Ascend/nnal/atb/latest/version.info",
        "    Ascend-cann-atb : 8.2.RC1\n",
    )
    found = versions(probe(tmp_path))
    assert found == {"cann": "8.5.0", "cann_kernels": "8.5.0", "nnae": "8.0.0", "nnal": "8.2.RC1"}


def test_directory_in_place_of_a_version_file_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "usr/local/Ascend/driver/version.info").mkdir(parents=True)
    inv = probe(tmp_path)
    (finding,) = inv.findings
    assert finding.id == "ascend.unreadable-file"
    assert "is a directory" in finding.message


def test_driver_file_without_version(tmp_path: Path) -> None:
    put(tmp_path, "/usr/local/Ascend/driver/version.info", "\x00\x01 garbage \xff\n")
    inv = probe(tmp_path)
    assert [f.id for f in inv.findings] == ["ascend.driver-version-unreadable"]


@pytest.mark.parametrize(
    ("fixture", "devices", "driver"),
    [
        ("910b_24.1.0_8npu_procs.txt", 8, "24.1.0"),
        ("a3_24.1.rc3.7_16dies.txt", 16, "24.1.rc3.7"),
        ("310p3_22.0.2_22.0.4_dbnet.txt", 1, "22.0.4"),
    ],
)
def test_devices_from_a_real_npu_smi(
    tmp_path: Path, fixture: str, devices: int, driver: str
) -> None:
    tools = write_tool(tmp_path / "bin", "npu-smi", f"cat '{NPU_SMI / fixture}'\n").parent
    inv = probe(tmp_path, {"PATH": f"{tools}:/usr/bin:/bin"})
    assert len(inv.devices) == devices
    assert [d.index for d in inv.devices] == list(range(devices))
    assert versions(inv)["ascend_driver"] == driver
    assert inv.components[0].source == "npu-smi info"


def test_hanging_npu_smi_is_killed_and_reported(tmp_path: Path) -> None:
    tools = write_tool(tmp_path / "bin", "npu-smi", "exec sleep 60\n").parent
    evidence = HostEvidence(root=str(tmp_path), env={"PATH": f"{tools}:/usr/bin:/bin"}, timeout=0.5)
    inv = AscendProbe().collect(evidence)
    (finding,) = inv.findings
    assert finding.id == "ascend.npu-smi-failed" and finding.severity is Severity.ERROR
    assert "did not answer and was killed" in finding.message


def test_binary_garbage_from_npu_smi_is_a_finding(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(os.urandom(4096))
    tools = write_tool(tmp_path / "bin", "npu-smi", f"cat '{garbage}'\n").parent
    inv = probe(tmp_path, {"PATH": f"{tools}:/usr/bin:/bin"})
    assert [f.id for f in inv.findings] == ["ascend.npu-smi-failed"]


def test_unhealthy_chip_is_a_warning(tmp_path: Path) -> None:
    tools = write_tool(
        tmp_path / "bin", "npu-smi", f"cat '{NPU_SMI / '310b4_23.0.0_alarm.txt'}'\n"
    ).parent
    inv = probe(tmp_path, {"PATH": f"{tools}:/usr/bin:/bin"})
    assert [f.id for f in inv.findings] == ["ascend.device-health"]
    assert inv.findings[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    ("value", "ids", "rest"),
    [
        ("0,1,2", [0, 1, 2], ""),
        ("1, 2,3", [1], " 2,3"),  # CANN env-var reference: stops at the space
        ("1,3,8", [1, 3, 8], ""),
        ("3,1", [3], "1"),
        ("", [], ""),
        ("x", [], "x"),
        ("²", [], "²"),
    ],
)
def test_visible_devices_parse_like_the_runtime(value: str, ids: list[int], rest: str) -> None:
    assert parse_visible_devices(value) == (ids, rest)


def test_ecosystem_packages_and_vllm_ascends_own_pins_are_recorded(tmp_path: Path) -> None:
    """Versions from the installed distributions; which stack packages vllm-ascend's METADATA
    pins (its v0.9.1 requirements: torch-npu==2.5.1.post1, torch>=2.5.1)."""
    site = "/usr/lib/python3/site-packages"
    put(tmp_path, f"{site}/vllm_ascend-0.9.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: vllm_ascend\nVersion: 0.9.1\n"
        "Requires-Dist: torch-npu==2.5.1.post1\nRequires-Dist: torch>=2.5.1\n"
        "Requires-Dist: torchvision<0.21.0\n\n")  # fmt: skip
    evidence = HostEvidence(root=str(tmp_path), env={"PATH": "/nonexistent"})
    packages = {"vllm-ascend": "0.9.1", "vllm": "0.9.1+empty", "triton-ascend": "3.2.0"}
    evidence.__dict__["python"] = PythonInfo("3.11.4", packages, (site,))
    found = AscendProbe().collect(evidence).facts
    assert found[facts.FACT_PACKAGE.format(name="vllm")] == "0.9.1+empty"
    assert found[facts.FACT_PACKAGE.format(name="triton-ascend")] == "3.2.0"
    assert found[facts.FACT_VLLM_ASCEND_PINS] == "torch torch-npu torchvision"


def test_without_vllm_ascends_metadata_no_pins_are_recorded(tmp_path: Path) -> None:
    evidence = HostEvidence(root=str(tmp_path), env={"PATH": "/nonexistent"})
    evidence.__dict__["python"] = PythonInfo("3.11.4", {"vllm-ascend": "0.9.1"}, ())
    found = AscendProbe().collect(evidence).facts
    assert found[facts.FACT_PACKAGE.format(name="vllm-ascend")] == "0.9.1"
    assert facts.FACT_VLLM_ASCEND_PINS not in found
