"""The Hygon DCU probe on temporary file trees and fake tools that print real outputs
(tests/fixtures/hy_smi, tests/fixtures/rocm_smi)."""

from __future__ import annotations

from pathlib import Path

from chipdoctor.evidence.base import PlatformInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.model import Inventory, Severity
from chipdoctor.stacks.dcu.facts import FACT_DTK_ROOT
from chipdoctor.stacks.dcu.probe import DcuProbe
from tests.conftest import FIXTURES, write_tool


def put(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def tool(tmp_path: Path, name: str, script: str) -> Path:
    return write_tool(tmp_path / "bin", name, script).parent


def cat(fixture: str) -> str:
    return f"cat '{FIXTURES / fixture}'\n"


def probe(root: Path, env: dict[str, str] | None = None, timeout: float = 10) -> Inventory:
    evidence = HostEvidence(root=str(root), env=env or {"PATH": "/nonexistent"}, timeout=timeout)
    evidence.__dict__["platform"] = PlatformInfo(machine="x86_64")
    return DcuProbe().collect(evidence)


def versions(inv: Inventory) -> dict[str, str]:
    return {c.id: c.version for c in inv.components}


def path_env(tools: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{tools}:/usr/bin:/bin", **extra}


def test_nothing_installed_is_no_stack(tmp_path: Path) -> None:
    inv = probe(tmp_path)
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_dtk_version_file(tmp_path: Path) -> None:
    put(tmp_path, "/opt/dtk/.info/version", "24.04.3\n")
    inv = probe(tmp_path)
    assert versions(inv) == {"dtk": "24.04.3"}
    assert inv.facts[FACT_DTK_ROOT] == "/opt/dtk"
    assert inv.stacks == ["dcu"]


def test_dtk_version_file_with_prefix(tmp_path: Path) -> None:
    put(tmp_path, "/opt/dtk/.dtk_version", "DTK-26.04-rc4\n")
    assert versions(probe(tmp_path)) == {"dtk": "26.04-rc4"}


def test_rocm_path_names_a_versioned_dtk(tmp_path: Path) -> None:
    put(tmp_path, "/opt/dtk-24.04.3/.info/version-dev", "24.04.3\n")
    inv = probe(tmp_path, {"PATH": "/nonexistent", "ROCM_PATH": "/opt/dtk-24.04.3"})
    assert versions(inv) == {"dtk": "24.04.3"}
    assert inv.components[0].source == "/opt/dtk-24.04.3/.info/version-dev"


def test_dtk_from_the_directory_name(tmp_path: Path) -> None:
    (tmp_path / "opt" / "dtk-24.04.1").mkdir(parents=True)
    inv = probe(tmp_path)
    assert versions(inv) == {"dtk": "24.04.1"}
    assert inv.components[0].source == "/opt/dtk-24.04.1 (directory name)"


def test_hyhal_alone_makes_a_dcu_host(tmp_path: Path) -> None:
    (tmp_path / "opt" / "hyhal" / "bin").mkdir(parents=True)
    inv = probe(tmp_path)
    assert inv.stacks == ["dcu"] and inv.components == []


def test_driver_module_version(tmp_path: Path) -> None:
    put(tmp_path, "/sys/module/hycu/version", "6.3.30-V1.4.1a\n")
    inv = probe(tmp_path)
    assert versions(inv) == {"hygon_driver": "6.3.30-V1.4.1a"}
    assert inv.stacks == ["dcu"]


def test_hy_smi_devices(tmp_path: Path) -> None:
    tools = tool(tmp_path, "hy-smi", cat("hy_smi/k100ai_8hcu_host.txt"))
    inv = probe(tmp_path, path_env(tools))
    assert [(d.stack, d.index, d.name) for d in inv.devices] == [
        ("dcu", i, "HCU") for i in range(8)
    ]
    assert inv.findings == []
    assert inv.stacks == ["dcu"]


def test_dtk_rocm_smi_when_hy_smi_is_missing(tmp_path: Path) -> None:
    (tmp_path / "opt" / "dtk").mkdir(parents=True)
    tools = tool(tmp_path, "rocm-smi", cat("rocm_smi/dtk23.10_z100_dcu_table.txt"))
    inv = probe(tmp_path, path_env(tools))
    assert [(d.index, d.name) for d in inv.devices] == [(i, "DCU") for i in range(4)]
    assert inv.stacks == ["dcu"]


def test_the_dcu_table_alone_makes_a_dcu_host(tmp_path: Path) -> None:
    """Issue 12 item 8: an older-DTK host whose snapshot recorded no /opt/dtk, no hyhal and no
    module is still recognised from rocm-smi's own `DCU` table."""
    tools = tool(tmp_path, "rocm-smi", cat("rocm_smi/dtk23.10_z100_dcu_table.txt"))
    inv = probe(tmp_path, path_env(tools))
    assert inv.stacks == ["dcu"] and inv.findings == []
    assert [(d.index, d.name) for d in inv.devices] == [(i, "DCU") for i in range(4)]


def test_hy_smi_alone_makes_a_dcu_host(tmp_path: Path) -> None:
    """hy-smi ships only with Hygon's HAL: a host where it runs is a DCU host even when nothing
    else Hygon was recorded and its table lists no device (FunASR#2972's pasted excerpt), so the
    DCU rules judge its torch and the empty table is this stack's finding, not a stray one."""
    header = tmp_path / "header.txt"  # the real table down to its column line, no device row
    lines = (FIXTURES / "hy_smi/k100ai_8hcu_host.txt").read_text().splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("HCU"))
    header.write_text("\n".join(lines[: end + 1]))
    tools = tool(tmp_path, "hy-smi", f"cat '{header}'\n")
    inv = probe(tmp_path, path_env(tools))
    assert inv.stacks == ["dcu"] and inv.devices == []
    assert [f.id for f in inv.findings] == ["dcu.hy-smi-failed"]


def test_an_amd_host_is_not_a_dcu_host(tmp_path: Path) -> None:
    for output in ("rocm_smi/rocm6.0_mi300x_8gpu_names.txt",
                   "rocm_smi/error_driver_not_initialized_rocm6.0.txt"):  # fmt: skip
        tools = tool(tmp_path, "rocm-smi", cat(output))
        inv = probe(tmp_path, path_env(tools))
        assert inv.stacks == [] and inv.findings == [] and inv.devices == [], output


def test_an_amd_table_on_a_hygon_host_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "opt" / "hyhal").mkdir(parents=True)
    tools = tool(tmp_path, "rocm-smi", cat("rocm_smi/rocm6.0_mi300x_8gpu_names.txt"))
    inv = probe(tmp_path, path_env(tools))
    assert inv.stacks == ["dcu"] and inv.devices == [] and inv.findings == []


def test_failing_rocm_smi_on_a_hygon_host(tmp_path: Path) -> None:
    put(tmp_path, "/opt/dtk/.info/version", "23.10\n")
    tools = tool(tmp_path, "rocm-smi", "echo 'ERROR: No DRM devices available. Exiting'\n")
    (finding,) = probe(tmp_path, path_env(tools)).findings
    assert finding.id == "dcu.rocm-smi-failed"
    assert finding.severity is Severity.ERROR


def test_open_mkfd_failure(tmp_path: Path) -> None:
    tools = tool(tmp_path, "hy-smi", "echo 'Open mkfd failed' >&2\nexit 1\n")
    (finding,) = probe(tmp_path, path_env(tools)).findings
    assert finding.id == "dcu.hy-smi-failed"
    assert "Open mkfd failed" in finding.message
    assert "/dev/mkfd" in finding.fix


def test_hanging_hy_smi(tmp_path: Path) -> None:
    tools = tool(tmp_path, "hy-smi", "exec sleep 60\n")
    (finding,) = probe(tmp_path, path_env(tools), timeout=0.5).findings
    assert finding.id == "dcu.hy-smi-failed"
    assert "hangs" in finding.fix


def test_visible_devices_naming_absent_dcus(tmp_path: Path) -> None:
    tools = tool(tmp_path, "hy-smi", cat("hy_smi/bw1000_dtk26.04_2hcu_dec_enc.txt"))
    (finding,) = probe(tmp_path, path_env(tools, HIP_VISIBLE_DEVICES="2,3")).findings
    assert finding.id == "dcu.visible-devices"
    assert finding.severity is Severity.ERROR
    assert finding.fix == "export HIP_VISIBLE_DEVICES=0,1"
