"""`chipdoctor fleet compare` end to end: real reports from real fixture snapshots, the real
console script, every JSON output validated against chipdoctor/schemas/fleet.schema.json."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import chipdoctor_argv, run_cli
from tests.fleet.nodes import CANN_INFO, FLEET_SCHEMA, base_report, node_snapshot, with_host, write
from tests.report.test_junit import cases_by_name, parse

HOSTS = [f"npu-node-0{i}" for i in range(1, 6)]


def fleet_json(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    argv = ["fleet", "compare", "--format", "json", *args]
    if stdin is None:
        result = run_cli(*argv)
    else:
        result = subprocess.run(
            [*chipdoctor_argv(), *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert not result.stderr, result.stderr
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, FLEET_SCHEMA)
    return result.returncode, doc


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return base_report(tmp_path_factory.mktemp("base"))


def test_five_nodes_one_with_another_cann_exit_1_naming_it(tmp_path: Path) -> None:
    """The issue's "done when": every report written by `check --snapshot` itself."""
    reports = tmp_path / "reports"
    reports.mkdir()
    for host in HOSTS:
        swap = {CANN_INFO: ("version=8.2.RC1", "version=8.1.RC1")} if host == HOSTS[2] else {}
        snapshot = node_snapshot(tmp_path / "snapshots", host, replace=swap)
        out = reports / f"{host}.json"
        checked = run_cli(
            "check", "--snapshot", str(snapshot), "--format", "json", "--output", str(out)
        )
        assert checked.returncode in (0, 1), checked.stderr
    table = run_cli("fleet", "compare", str(reports))
    assert table.returncode == 1, table.stderr
    odd = [line for line in table.stdout.splitlines() if "8.1.RC1*" in line]
    assert len(odd) == 1 and odd[0].startswith("npu-node-03")
    assert "cann: 1 node(s) differ from the 8.2.RC1" in table.stdout
    code, doc = fleet_json(str(reports))
    assert code == 1 and doc["status"] == "error"
    drift = [f for f in doc["findings"] if f["id"] == "fleet.drift"]
    assert [(f["component"], f["nodes"], f["severity"]) for f in drift] == [
        ("cann", ["npu-node-03"], "error")
    ]
    (cann,) = [c for c in doc["components"] if c["id"] == "cann"]
    assert cann["majority"] == "8.2.RC1" and cann["must_match"] is True
    assert cann["versions"] == [
        {"version": "8.2.RC1", "nodes": [h for h in HOSTS if h != "npu-node-03"]},
        {"version": "8.1.RC1", "nodes": ["npu-node-03"]},
    ]
    assert [n["name"] for n in doc["nodes"]] == HOSTS


def test_all_agree_exit_0(tmp_path: Path, report: dict[str, Any]) -> None:
    paths = write(tmp_path, [with_host(report, h) for h in HOSTS])
    code, doc = fleet_json(*map(str, paths))
    assert (code, doc["status"], doc["findings"], doc["unreadable"]) == (0, "ok", [], [])
    assert all(c["majority"] is not None and len(c["versions"]) == 1 for c in doc["components"])


def test_drift_on_a_component_jobs_do_not_need_equal_is_a_warning(
    tmp_path: Path, report: dict[str, Any]
) -> None:
    nodes = [with_host(report, h) for h in HOSTS[:4]] + [with_host(report, HOSTS[4], glibc="2.28")]
    directory = tmp_path / "r"
    write(directory, nodes)
    code, doc = fleet_json(str(directory))
    assert code == 0 and doc["status"] == "warning"
    (finding,) = doc["findings"]
    assert (finding["component"], finding["severity"], finding["nodes"]) == (
        "glibc",
        "warning",
        [HOSTS[4]],
    )
    assert run_cli("fleet", "compare", "--strict", str(directory)).returncode == 1


@pytest.mark.parametrize(
    ("component", "version"),
    [
        ("torch", "2.4.0"),
        ("python", "3.10.14"),
        ("arch", "x86_64"),
        ("ascend_driver", "24.1.rc2"),
        ("torch_npu", "2.5.1"),
        ("ascend_firmware", "7.5.0.1.129"),
    ],
)
def test_drift_on_what_a_job_needs_equal_is_an_error(
    tmp_path: Path, report: dict[str, Any], component: str, version: str
) -> None:
    nodes = [with_host(report, h) for h in HOSTS[:4]] + [
        with_host(report, HOSTS[4], **{component: version})
    ]
    code, doc = fleet_json(*map(str, write(tmp_path, nodes)))
    assert code == 1
    assert [(f["component"], f["nodes"]) for f in doc["findings"]] == [(component, [HOSTS[4]])]


def test_no_majority_marks_every_node(tmp_path: Path, report: dict[str, Any]) -> None:
    nodes = [with_host(report, "a"), with_host(report, "b", cann="8.1.RC1")]
    code, doc = fleet_json(*map(str, write(tmp_path, nodes)))
    (cann,) = [c for c in doc["components"] if c["id"] == "cann"]
    (finding,) = doc["findings"]
    assert (code, cann["majority"], finding["nodes"]) == (1, None, ["a", "b"])
    assert "no version is on most nodes" in finding["message"]


def test_a_component_missing_on_one_node_is_drift(tmp_path: Path, report: dict[str, Any]) -> None:
    short = with_host(report, HOSTS[4])
    short["components"] = [c for c in short["components"] if c["id"] != "nnal"]
    nodes = [with_host(report, h) for h in HOSTS[:4]] + [short]
    code, doc = fleet_json(*map(str, write(tmp_path, nodes)))
    (nnal,) = [c for c in doc["components"] if c["id"] == "nnal"]
    assert nnal["versions"][-1] == {"version": None, "nodes": [HOSTS[4]]}
    assert code == 1
    table = run_cli("fleet", "compare", str(tmp_path))
    assert any(line.startswith(HOSTS[4]) and " -*" in line for line in table.stdout.splitlines())


def test_fewer_healthy_devices_and_a_failed_node(tmp_path: Path, report: dict[str, Any]) -> None:
    nodes = [with_host(report, h) for h in HOSTS]
    nodes[1]["devices"][0]["health"] = "Critical"
    nodes[3]["status"] = "error"
    nodes[3]["findings"].append(
        {
            "id": "ascend.device-missing",
            "severity": "error",
            "components": [],
            "message": "m",
            "fix": "",
        }
    )
    code, doc = fleet_json(*map(str, write(tmp_path, nodes)))
    assert code == 1
    found = {f["id"]: f["nodes"] for f in doc["findings"]}
    assert found == {"fleet.fewer-devices": [HOSTS[1]], "fleet.node-failed": [HOSTS[3]]}
    failed = next(f for f in doc["findings"] if f["id"] == "fleet.node-failed")
    assert "ascend.device-missing" in failed["message"]
    assert doc["nodes"][1]["devices"] == {"total": 1, "healthy": 0}


@pytest.mark.parametrize("expect", ["npu-node-[01-06]", "file"])
def test_expected_nodes_missing_and_unexpected(
    tmp_path: Path, report: dict[str, Any], expect: str
) -> None:
    paths = write(
        tmp_path / "r", [with_host(report, h) for h in HOSTS] + [with_host(report, "login1")]
    )
    if expect == "file":
        listing = tmp_path / "nodes.txt"
        listing.write_text(
            "# the training partition\nnpu-node-[01-04]\nnpu-node-05 npu-node-06  # new\n"
        )
        expect = str(listing)
    code, doc = fleet_json("--expect-nodes", expect, *map(str, paths))
    assert code == 1 and doc["missing"] == ["npu-node-06"]
    found = {f["id"]: (f["severity"], f["nodes"]) for f in doc["findings"]}
    assert found == {
        "fleet.node-missing": ("error", ["npu-node-06"]),
        "fleet.node-unexpected": ("warning", ["login1"]),
    }


def test_a_fully_qualified_host_is_its_short_name_in_the_expected_list(
    tmp_path: Path, report: dict[str, Any]
) -> None:
    """gethostname() gives `npu-node-01.cluster.example` where hosts are configured so; Slurm's
    hostlist names the short `npu-node-01`: the node is neither missing nor unexpected."""
    fqdn = [with_host(report, f"{h}.cluster.example") for h in HOSTS[:2]]
    code, doc = fleet_json("--expect-nodes", "npu-node-0[1-2]", *map(str, write(tmp_path, fqdn)))
    assert code == 0 and doc["missing"] == [] and doc["findings"] == []


def test_a_bad_expect_list_is_bad_input(tmp_path: Path, report: dict[str, Any]) -> None:
    paths = write(tmp_path, [with_host(report, "a")])
    listing = tmp_path / "nodes.txt"
    listing.write_text("a\nnode[3-1]\n")
    result = run_cli("fleet", "compare", "--expect-nodes", str(listing), *map(str, paths))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"{listing}:2:" in result.stderr
    result = run_cli("fleet", "compare", "--expect-nodes", "n[1-", *map(str, paths))
    assert result.returncode == 2 and "without its ']'" in result.stderr


def test_bad_reports_are_listed_and_the_others_compared(
    tmp_path: Path, report: dict[str, Any]
) -> None:
    directory = tmp_path / "r"
    write(directory, [with_host(report, h) for h in HOSTS[:3]])
    (directory / "text.json").write_text("not json")
    (directory / "other.json").write_text(json.dumps({"format": "chipdoctor-plan/1"}))
    (directory / "broken.json.gz").write_bytes(b"\x1f\x8b\x08not gzip")
    (directory / "twice.json").write_text(json.dumps(with_host(report, HOSTS[0])))
    (directory / "bad-status.json").write_text(json.dumps({**report, "status": "fine"}))
    code, doc = fleet_json(str(directory), str(tmp_path / "absent.json"))
    assert code == 2 and [n["name"] for n in doc["nodes"]] == HOSTS[:3]
    reasons = {Path(u["source"]).name: u["reason"] for u in doc["unreadable"]}
    assert reasons.keys() == {
        "text.json",
        "other.json",
        "broken.json.gz",
        "twice.json",
        "bad-status.json",
        "absent.json",
    }
    assert reasons["other.json"].startswith("is not a chipdoctor report")
    assert reasons["twice.json"].startswith(f"node '{HOSTS[0]}' was already read from")
    assert "No such file" in reasons["absent.json"]
    table = run_cli("fleet", "compare", str(directory))
    assert (
        table.returncode == 2
        and f"unreadable: {directory / 'text.json'}: is not JSON" in table.stdout
    )


def test_gzip_reports_and_a_gzip_bomb(tmp_path: Path, report: dict[str, Any]) -> None:
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(json.dumps(with_host(report, "a")).encode()))
    (tmp_path / "bomb.json.gz").write_bytes(gzip.compress(b" " * (64 << 20), 9))
    assert (tmp_path / "bomb.json.gz").stat().st_size < 200_000
    code, doc = fleet_json(str(tmp_path))
    assert code == 2 and [n["name"] for n in doc["nodes"]] == ["a"]
    (bomb,) = doc["unreadable"]
    assert bomb["reason"] == "decompresses past the 4 MiB limit"


def test_json_lines_on_stdin(tmp_path: Path, report: dict[str, Any]) -> None:
    lines = [
        json.dumps(with_host(report, h, cann="8.1.RC1" if h == HOSTS[0] else "8.2.RC1"))
        for h in HOSTS
    ]
    code, doc = fleet_json("-", stdin="\n".join(lines[:2]) + "\n\n{oops\n" + "\n".join(lines[2:]))
    assert code == 2 and [n["source"] for n in doc["nodes"]] == [
        "stdin:1",
        "stdin:2",
        "stdin:5",
        "stdin:6",
        "stdin:7",
    ]
    assert doc["unreadable"][0]["source"] == "stdin:4"
    assert [f["nodes"] for f in doc["findings"]] == [[HOSTS[0]]]


def test_special_files_are_refused_not_opened(tmp_path: Path, report: dict[str, Any]) -> None:
    import os

    os.mkfifo(tmp_path / "fifo.json")
    paths = write(tmp_path / "r", [with_host(report, "a")])
    code, doc = fleet_json(str(tmp_path / "fifo.json"), "/dev/zero", *map(str, paths))
    assert code == 2
    assert [u["reason"] for u in doc["unreadable"]] == [
        "is a FIFO, not a regular file",
        "is a character device, not a regular file",
    ]


def test_markdown_and_junit(tmp_path: Path, report: dict[str, Any]) -> None:
    nodes = [with_host(report, h) for h in HOSTS[:4]] + [
        with_host(report, "odd|node", cann="8.1.RC1")
    ]
    paths = write(tmp_path / "r", nodes)
    (tmp_path / "r" / "bad.json").write_text("[]")
    markdown = run_cli("fleet", "compare", "--format", "markdown", str(tmp_path / "r"))
    assert markdown.returncode == 2
    row = next(line for line in markdown.stdout.splitlines() if line.startswith("| odd"))
    assert row.startswith("| odd\\|node |") and "**8.1.RC1** *" in row
    junit = run_cli(
        "fleet",
        "compare",
        "--format",
        "junit",
        "--expect-nodes",
        "npu-node-0[1-5]",
        *map(str, paths),
        str(tmp_path / "r" / "bad.json"),
    )
    root = parse(junit.stdout)
    cases = cases_by_name(root)
    assert set(cases) == {*HOSTS, "odd|node", str(tmp_path / "r" / "bad.json")}
    assert cases["npu-node-01"].find("failure") is None
    failure = cases["odd|node"].find("failure")
    assert failure is not None and "cann" in failure.get("message", "")
    assert cases["npu-node-05"].find("failure") is not None  # expected, never reported
    assert cases[str(tmp_path / "r" / "bad.json")].find("error") is not None


def test_output_file_and_no_overwrite(tmp_path: Path, report: dict[str, Any]) -> None:
    paths = write(tmp_path / "r", [with_host(report, h) for h in HOSTS])
    out = tmp_path / "fleet.json"
    result = run_cli("fleet", "compare", "--format", "json", "--output", str(out), *map(str, paths))
    assert result.returncode == 0 and result.stdout.startswith("node")
    jsonschema.validate(json.loads(out.read_text()), FLEET_SCHEMA)
    again = run_cli("fleet", "compare", "--format", "json", "--output", str(out), *map(str, paths))
    assert again.returncode == 2 and again.stdout == ""
