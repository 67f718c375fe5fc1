"""The ROCm probe on temporary file trees (HostEvidence over a root) and fake tools that print
real outputs (tests/fixtures/rocm_smi, tests/fixtures/amd_smi)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.model import Inventory, Severity
from chipdoctor.stacks.rocm.facts import FACT_AMDGPU_LOADED, FACT_TOOLS
from chipdoctor.stacks.rocm.probe import RocmProbe
from tests.conftest import FIXTURES, write_tool


def put(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def tool(tmp_path: Path, name: str, fixture: str, *, stderr: bool = False, code: int = 0) -> Path:
    redirect = " >&2" if stderr else ""
    script = f"cat '{FIXTURES / fixture}'{redirect}\nexit {code}\n"
    return write_tool(tmp_path / "bin", name, script).parent


def probe(root: Path, env: dict[str, str] | None = None, release: str = "") -> Inventory:
    evidence = HostEvidence(root=str(root), env=env or {"PATH": "/nonexistent"}, timeout=10)
    evidence.__dict__["platform"] = PlatformInfo(machine="x86_64", release=release)
    return RocmProbe().collect(evidence)


def versions(inv: Inventory) -> dict[str, str]:
    return {c.id: c.version for c in inv.components}


def path_env(tools: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{tools}:/usr/bin:/bin", **extra}


def test_nothing_installed_is_no_stack(tmp_path: Path) -> None:
    inv = probe(tmp_path)
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_rocm_version_file(tmp_path: Path) -> None:
    put(tmp_path, "/opt/rocm/.info/version", "7.2.0\n")
    inv = probe(tmp_path)
    assert versions(inv) == {"rocm": "7.2.0"}
    assert inv.components[0].source == "/opt/rocm/.info/version"
    assert inv.stacks == ["rocm"]


def test_version_dev_drops_the_build_number(tmp_path: Path) -> None:
    put(tmp_path, "/opt/rocm/.info/version-dev", "7.2.1-43\n")
    assert versions(probe(tmp_path)) == {"rocm": "7.2.1"}


def test_rocm_path_wins_over_opt_rocm(tmp_path: Path) -> None:
    put(tmp_path, "/opt/rocm/.info/version", "6.4.1\n")
    put(tmp_path, "/opt/rocm-7.0.1/.info/version", "7.0.1\n")
    inv = probe(tmp_path, {"PATH": "/nonexistent", "ROCM_PATH": "/opt/rocm-7.0.1"})
    assert versions(inv) == {"rocm": "7.0.1"}


def test_versioned_directory_without_version_file(tmp_path: Path) -> None:
    (tmp_path / "opt" / "rocm-6.2.0").mkdir(parents=True)
    (tmp_path / "opt" / "rocm-6.0.0").mkdir(parents=True)
    inv = probe(tmp_path)
    assert versions(inv) == {"rocm": "6.2.0"}
    assert inv.components[0].source == "/opt/rocm-6.2.0 (directory name)"


def test_amdgpu_module_version(tmp_path: Path) -> None:
    put(tmp_path, "/sys/module/amdgpu/version", "6.16.13\n")
    inv = probe(tmp_path)
    assert versions(inv) == {"amdgpu_driver": "6.16.13"}
    assert inv.facts[FACT_AMDGPU_LOADED] == "1"
    assert inv.stacks == ["rocm"]


def test_amd_smi_fills_what_the_files_lack(tmp_path: Path) -> None:
    tools = tool(tmp_path, "amd-smi", "amd_smi/rocm7.0.2_rx9060xt_rocm5442.txt")
    inv = probe(tmp_path, path_env(tools))
    assert versions(inv) == {"rocm": "7.0.2", "amdgpu_driver": "6.14.14"}
    assert {c.source for c in inv.components} == {"amd-smi version"}
    assert inv.facts[FACT_TOOLS] == "amd-smi"
    assert inv.findings == []


def test_amd_smi_reporting_rocm_na_adds_no_rocm(tmp_path: Path) -> None:
    tools = tool(tmp_path, "amd-smi", "amd_smi/rocm_na_changelog_hsmp.txt")
    assert versions(probe(tmp_path, path_env(tools))) == {"amdgpu_driver": "6.10.10"}


def test_amd_smi_driver_error_is_a_driver_finding(tmp_path: Path) -> None:
    tools = tool(tmp_path, "amd-smi", "amd_smi/error_driver_builtin_amdsmi75.txt")
    inv = probe(tmp_path, path_env(tools))
    (finding,) = inv.findings
    assert finding.id == "rocm.amd-smi-failed"
    assert finding.severity is Severity.ERROR
    assert finding.components == ("amdgpu_driver",)
    assert "driver not initialized" in finding.message
    assert "modprobe amdgpu" in finding.fix


def test_rocm_smi_devices_with_names(tmp_path: Path) -> None:
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/rocm6.0_mi300x_8gpu_names.txt")
    inv = probe(tmp_path, path_env(tools))
    assert [(d.stack, d.index, d.name) for d in inv.devices] == [
        ("rocm", i, "AMD Instinct MI300X") for i in range(8)
    ]
    assert inv.stacks == ["rocm"]


def test_rocm_smi_device_id_when_no_name(tmp_path: Path) -> None:
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/rocm6.4.4_strix_halo_socket_power.txt")
    inv = probe(tmp_path, path_env(tools))
    assert [(d.index, d.name, d.health) for d in inv.devices] == [(0, "0x1586", "N/A")]


def test_rocm_smi_driver_not_initialized_exits_zero_but_fails(tmp_path: Path) -> None:
    tools = tool(
        tmp_path, "rocm-smi", "rocm_smi/error_driver_not_initialized_rocm6.0.txt", stderr=True
    )
    inv = probe(tmp_path, path_env(tools))
    (finding,) = inv.findings
    assert finding.id == "rocm.rocm-smi-failed"
    assert finding.severity is Severity.ERROR
    assert "Driver not initialized" in finding.message
    assert inv.devices == []


def test_rocm_smi_without_gpus(tmp_path: Path) -> None:
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/rocm5.0_vm_no_gpus_legacy1752.txt")
    (finding,) = probe(tmp_path, path_env(tools)).findings
    assert finding.id == "rocm.rocm-smi-failed"
    assert "No AMD GPUs specified" in finding.message


def test_tool_failure_under_wsl_is_a_warning(tmp_path: Path) -> None:
    tools = tool(tmp_path, "amd-smi", "amd_smi/error_wsl_no_version_line_amdsmi75.txt", code=255)
    inv = probe(tmp_path, path_env(tools), release="6.6.87.1-microsoft-standard-WSL2")
    (finding,) = inv.findings
    assert finding.severity is Severity.WARNING
    assert "WSL" in finding.message


def test_hanging_rocm_smi_is_reported(tmp_path: Path) -> None:
    tools = write_tool(tmp_path / "bin", "rocm-smi", "exec sleep 60\n").parent
    evidence = HostEvidence(root=str(tmp_path), env=path_env(tools), timeout=0.5)
    (finding,) = RocmProbe().collect(evidence).findings
    assert finding.id == "rocm.rocm-smi-failed"
    assert "hangs" in finding.fix


@pytest.mark.parametrize(
    ("variable", "value", "severity", "fix"),
    [
        ("HIP_VISIBLE_DEVICES", "8", Severity.ERROR, "export HIP_VISIBLE_DEVICES=0,1,2,3,4,5,6,7"),
        ("ROCR_VISIBLE_DEVICES", "0,9", Severity.WARNING, "export ROCR_VISIBLE_DEVICES=0"),
    ],
)
def test_visible_devices_naming_absent_gpus(
    tmp_path: Path, variable: str, value: str, severity: Severity, fix: str
) -> None:
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/rocm6.0_mi300x_8gpu_names.txt")
    inv = probe(tmp_path, path_env(tools, **{variable: value}))
    (finding,) = inv.findings
    assert (finding.id, finding.severity, finding.fix) == ("rocm.visible-devices", severity, fix)


def test_visible_devices_within_range_and_uuids_are_fine(tmp_path: Path) -> None:
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/rocm6.0_mi300x_8gpu_names.txt")
    env = path_env(tools, HIP_VISIBLE_DEVICES="0,7", ROCR_VISIBLE_DEVICES="GPU-ababaeeffecddc50")
    assert probe(tmp_path, env).findings == []


@pytest.mark.parametrize(
    "marker", ["/opt/dtk", "/opt/hyhal", "/opt/dtk-24.04.1", "/sys/module/hycu"]
)
def test_a_hygon_host_is_not_a_rocm_host(tmp_path: Path, marker: str) -> None:
    (tmp_path / marker.lstrip("/")).mkdir(parents=True)
    put(tmp_path, "/opt/rocm/.info/version", "5.7.1\n")
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/error_driver_not_initialized_rocm6.0.txt")
    inv = probe(tmp_path, path_env(tools))
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_dtk_rocm_smi_table_is_left_to_the_dcu_probe(tmp_path: Path) -> None:
    tools = tool(tmp_path, "rocm-smi", "rocm_smi/dtk23.10_z100_dcu_table.txt")
    inv = probe(tmp_path, path_env(tools))
    assert inv.stacks == [] and inv.devices == []
