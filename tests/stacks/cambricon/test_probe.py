"""The Cambricon probe on real file trees (HostEvidence over a temporary root) and real tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.model import Inventory, Severity
from chipdoctor.stacks.cambricon.probe import CambriconProbe, VisibleDevices, parse_visible_devices
from tests import planning
from tests.conftest import FIXTURES, write_tool

CNMON = FIXTURES / "cnmon"
VERSION_390 = (FIXTURES / "neuware" / "version_3.9.0_mlu370-x8.txt").read_text()
ENV_SET = {
    "NEUWARE_HOME": "/usr/local/neuware",
    "PATH": "/usr/bin:/usr/local/neuware/bin",
    "LD_LIBRARY_PATH": "/usr/local/neuware/lib64",
}


def put(root: Path, path: str, text: str = "") -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def probe(
    root: Path,
    env: dict[str, str] | None = None,
    packages: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Inventory:
    evidence = HostEvidence(root=str(root), env=env or {"PATH": "/nonexistent"}, timeout=timeout)
    evidence.__dict__["python"] = PythonInfo("3.10.12", packages or {})
    return CambriconProbe().collect(evidence)


def with_cnmon(tmp_path: Path, script: str, env: dict[str, str] | None = None) -> dict[str, str]:
    tools = write_tool(tmp_path / "bin", "cnmon", script).parent
    merged = dict(env or ENV_SET)
    merged["PATH"] = f"{tools}:{merged.get('PATH', '/usr/bin')}"
    return merged


def cat(fixture: str) -> str:
    return f"cat '{CNMON / fixture}'\n"


def versions(inv: Inventory) -> dict[str, str]:
    return {c.id: c.version for c in inv.components}


def installed(
    root: Path, home: str = "/usr/local/neuware", libraries: tuple[str, ...] = ()
) -> None:
    put(root, f"{home}/version.txt", VERSION_390)
    for name in libraries:
        put(root, f"{home}/lib64/{name}")


def test_nothing_installed_is_no_stack(tmp_path: Path) -> None:
    inv = probe(tmp_path)
    assert inv.stacks == [] and inv.components == [] and inv.findings == []


def test_neuware_and_its_libraries(tmp_path: Path) -> None:
    installed(
        tmp_path,
        libraries=("libcnnl.so", "libcnnl.so.1", "libcnnl.so.1.24.0", "libcncl.so.1.16.0"),
    )
    inv = probe(tmp_path, env=ENV_SET)
    assert versions(inv) == {"neuware": "3.9.0", "cnnl": "1.24.0", "cncl": "1.16.0"}
    sources = {c.id: c.source for c in inv.components}
    assert sources["neuware"] == "/usr/local/neuware/version.txt"
    assert sources["cnnl"] == "/usr/local/neuware/lib64/libcnnl.so.1.24.0"
    assert inv.stacks == ["cambricon"]
    # Neuware without cnmon: only advice.
    assert [(f.id, f.severity) for f in inv.findings] == [
        ("cambricon.cnmon-missing", Severity.INFO)
    ]


def test_neuware_home_is_read_first(tmp_path: Path) -> None:
    put(tmp_path, "/opt/neuware/version.txt", "Neuware Version 4.7.2\n")
    installed(tmp_path)
    env = {**ENV_SET, "NEUWARE_HOME": "/opt/neuware/", "PATH": "/usr/bin:/opt/neuware/bin"}
    env["LD_LIBRARY_PATH"] = "/opt/neuware/lib64"
    inv = probe(tmp_path, env=env)
    assert versions(inv) == {"neuware": "4.7.2"}
    assert "cambricon.env-not-set" not in planning.by_id(inv.findings)


def test_neuware_home_naming_no_install(tmp_path: Path) -> None:
    installed(tmp_path)
    inv = probe(tmp_path, env={**ENV_SET, "NEUWARE_HOME": "/opt/missing"})
    finding = planning.by_id(inv.findings)["cambricon.neuware-home"]
    assert finding.severity is Severity.WARNING
    assert finding.fix == "export NEUWARE_HOME=/usr/local/neuware"
    assert versions(inv) == {"neuware": "3.9.0"}


def test_environment_not_set_gives_the_readme_exports(tmp_path: Path) -> None:
    installed(tmp_path)
    inv = probe(tmp_path, env={"PATH": "/usr/bin"})
    finding = planning.by_id(inv.findings)["cambricon.env-not-set"]
    assert finding.severity is Severity.WARNING
    assert finding.fix == (
        "export NEUWARE_HOME=/usr/local/neuware\n"
        "export PATH=$PATH:/usr/local/neuware/bin\n"
        "export LD_LIBRARY_PATH=/usr/local/neuware/lib64:$LD_LIBRARY_PATH"
    )
    assert "Neuware 3.9.0 is installed at /usr/local/neuware" in finding.message


def test_version_file_without_a_version(tmp_path: Path) -> None:
    put(tmp_path, "/usr/local/neuware/version.txt", "garbage\n")
    inv = probe(tmp_path, env=ENV_SET)
    assert "neuware" not in versions(inv)
    assert (
        planning.by_id(inv.findings)["cambricon.neuware-version-unreadable"].severity
        is Severity.WARNING
    )
    assert inv.stacks == ["cambricon"]


def test_unreadable_version_file_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "usr/local/neuware/version.txt").mkdir(parents=True)
    inv = probe(tmp_path, env=ENV_SET)
    assert planning.by_id(inv.findings)["cambricon.unreadable-file"].severity is Severity.WARNING


def test_torch_mlu_package_alone_is_the_stack(tmp_path: Path) -> None:
    inv = probe(tmp_path, packages={"torch-mlu": "1.33.1+torch2.11.0"})
    assert versions(inv) == {"torch_mlu": "1.33.1+torch2.11.0"}
    assert inv.components[0].source == "package metadata: torch-mlu"
    assert inv.stacks == ["cambricon"]


@pytest.mark.parametrize(
    ("fixture", "driver", "cards"),
    [
        ("mlu370-x8_5.10.22_kylin.txt", "5.10.22", 2),
        ("mlu370-x4_4.20.11_3cards.txt", "4.20.11", 3),
        ("mluxxx_5.10.31_8cards_masked.txt", "5.10.31", 8),
    ],
)
def test_cnmon_gives_driver_and_cards(
    tmp_path: Path, fixture: str, driver: str, cards: int
) -> None:
    inv = probe(tmp_path, env=with_cnmon(tmp_path, cat(fixture)))
    assert versions(inv) == {"cambricon_driver": driver}
    assert inv.components[0].source == "cnmon"
    assert len(inv.devices) == cards
    assert {d.stack for d in inv.devices} == {"cambricon"}
    assert inv.devices[0].health == "N/A"
    assert inv.findings == [] and inv.stacks == ["cambricon"]


def test_cnmon_failing_is_a_driver_error(tmp_path: Path) -> None:
    env = with_cnmon(tmp_path, "echo 'some driver message' >&2\nexit 1\n")
    inv = probe(tmp_path, env=env)
    finding = planning.by_id(inv.findings)["cambricon.cnmon-failed"]
    assert finding.severity is Severity.ERROR
    assert "exited with status 1: some driver message" in finding.message
    assert "cambricon_drv" in finding.fix and "/dev/cambricon_ctl" in finding.fix
    assert inv.stacks == ["cambricon"] and inv.devices == []


def test_cnmon_printing_no_table_is_a_driver_error(tmp_path: Path) -> None:
    inv = probe(tmp_path, env=with_cnmon(tmp_path, "echo 'no table here'\n"))
    assert "`cnmon` printed no card table but 'no table here'" in (
        planning.by_id(inv.findings)["cambricon.cnmon-failed"].message
    )


def test_cnmon_hanging_points_at_dmesg(tmp_path: Path) -> None:
    inv = probe(tmp_path, env=with_cnmon(tmp_path, "sleep 5\n"), timeout=0.3)
    finding = planning.by_id(inv.findings)["cambricon.cnmon-failed"]
    assert "did not answer" in finding.message
    assert "dmesg" in finding.fix


def test_cnmon_table_without_cards(tmp_path: Path) -> None:
    head = "\n".join((CNMON / "mlu370-x8_5.10.13_2cards.txt").read_text().splitlines()[:6])
    put(tmp_path, "/head.txt", head)
    inv = probe(tmp_path, env=with_cnmon(tmp_path, f"cat '{tmp_path / 'head.txt'}'\n"))
    assert planning.by_id(inv.findings)["cambricon.no-cards"].severity is Severity.WARNING
    assert versions(inv) == {"cambricon_driver": "5.10.13"}


def test_cnmon_missing_says_nothing_without_cambricon_software(tmp_path: Path) -> None:
    assert probe(tmp_path, packages={"torch": "2.11.0+cpu"}).findings == []


def test_cnmon_missing_with_torch_mlu_is_advice(tmp_path: Path) -> None:
    inv = probe(tmp_path, packages={"torch-mlu": "1.33.1+torch2.11.0"})
    finding = planning.by_id(inv.findings)["cambricon.cnmon-missing"]
    assert finding.severity is Severity.INFO
    assert "-v /usr/bin/cnmon:/usr/bin/cnmon" in finding.fix


# --- visible devices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0,1", VisibleDevices((0, 1), "", False, False)),
        (" 0, 1 ", VisibleDevices((0, 1), "", False, False)),  # torch_mlu strips each piece
        ("0,1,", VisibleDevices((0, 1), "", False, False)),  # empty piece ends the list
        ("0,x,1", VisibleDevices((0,), "x,1", False, False)),
        ("1,1", VisibleDevices((), "", True, False)),  # repeated: empty set
        ("", VisibleDevices((), "", False, False)),
        ("-1", VisibleDevices((), "-1", False, False)),
        ("MLU-12345678-1234-1234-1234-123456789012", VisibleDevices((), "", False, True)),
    ],
)
def test_parse_visible_devices_follows_torch_mlu(value: str, expected: VisibleDevices) -> None:
    assert parse_visible_devices(value) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_visible_devices_never_raises(value: str) -> None:
    parsed = parse_visible_devices(value)
    assert len(set(parsed.ids)) == len(parsed.ids)
    assert not (parsed.repeated and parsed.ids)


def _visible(
    tmp_path: Path, extra: dict[str, str], packages: dict[str, str] | None = None
) -> Inventory:
    env = with_cnmon(tmp_path, cat("mlu370-x8_5.10.22_kylin.txt"))  # two cards
    return probe(tmp_path, env={**env, **extra}, packages=packages)


def test_visible_devices_beyond_the_cards(tmp_path: Path) -> None:
    finding = planning.by_id(_visible(tmp_path, {"MLU_VISIBLE_DEVICES": "0,1,2"}).findings)[
        "cambricon.visible-devices"
    ]
    assert finding.severity is Severity.WARNING
    assert "names card 2, but cnmon shows 2 card(s)" in finding.message
    assert finding.fix == "export MLU_VISIBLE_DEVICES=0,1"


def test_visible_devices_naming_no_card_is_an_error(tmp_path: Path) -> None:
    found = planning.by_id(_visible(tmp_path, {"MLU_VISIBLE_DEVICES": "4"}).findings)
    assert found["cambricon.visible-devices"].severity is Severity.ERROR
    assert found["cambricon.visible-devices"].fix == "export MLU_VISIBLE_DEVICES=0,1"
    repeated = planning.by_id(_visible(tmp_path, {"MLU_VISIBLE_DEVICES": "0,0"}).findings)
    assert "repeats a card" in repeated["cambricon.visible-devices"].message


def test_visible_devices_within_range_are_fine(tmp_path: Path) -> None:
    assert "cambricon.visible-devices" not in planning.by_id(
        _visible(tmp_path, {"MLU_VISIBLE_DEVICES": "1"}).findings
    )


def test_cn_visible_devices_wins(tmp_path: Path) -> None:
    inv = _visible(tmp_path, {"CN_VISIBLE_DEVICES": "0", "MLU_VISIBLE_DEVICES": "7"})
    assert "cambricon.visible-devices" not in planning.by_id(inv.findings)


def test_cuda_visible_devices_counts_only_for_torch_mlu(tmp_path: Path) -> None:
    assert "cambricon.visible-devices" not in planning.by_id(
        _visible(tmp_path, {"CUDA_VISIBLE_DEVICES": "5"}).findings
    )
    inv = _visible(
        tmp_path, {"CUDA_VISIBLE_DEVICES": "5"}, packages={"torch-mlu": "1.22.2+torch2.4.0"}
    )
    finding = planning.by_id(inv.findings)["cambricon.visible-devices"]
    assert "falls back to CUDA_VISIBLE_DEVICES" in finding.message
    assert finding.fix == "export CUDA_VISIBLE_DEVICES=0,1"


def test_visible_devices_syntax_without_cnmon(tmp_path: Path) -> None:
    installed(tmp_path)
    inv = probe(tmp_path, env={**ENV_SET, "MLU_VISIBLE_DEVICES": "0,a"})
    finding = planning.by_id(inv.findings)["cambricon.visible-devices"]
    assert finding.severity is Severity.WARNING
    assert "stops being a list of card numbers at 'a'" in finding.message
