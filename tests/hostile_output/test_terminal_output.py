"""Issue 11, item 4: control characters read from a machine (a package version, a device name)
reach the terminal and CI logs as visible escapes, never raw; JSON keeps them escaped as JSON
does and round-trips them exactly."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.model import Component, Device, Finding, Inventory, Report, Severity
from chipdoctor.printable import json_visible
from chipdoctor.report import ansible, github, markdown, text
from chipdoctor.report import json as json_report
from tests.conftest import SNAPSHOTS, run_cli

#: Set the window title, clear the screen, hide text, reverse it, split a line.
TITLE = "\x1b]0;pwned\x07"
ESCAPES = TITLE + "\x1b[2J\x1b[8mhidden\x1b[0m\u202e\u2028\x9b31m"


def unprintable(output: str, *, allowed: str = "\n") -> list[str]:
    """Every character a terminal or log viewer could act on, other than `allowed`."""
    return sorted({c for c in output if not c.isprintable() and c not in allowed})


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A real snapshot whose torch version and first NPU's name carry escape sequences."""
    directory = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOTS / "ascend-torch-mismatch", directory)
    path = directory / "snapshot.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["python"]["packages"]["torch"] = "2.4.0" + ESCAPES
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    smi = directory / "commands" / "npu-smi-info.txt"
    smi.write_text(smi.read_text(encoding="utf-8").replace("910B2C", "910B2C" + TITLE, 1))
    return directory


@pytest.mark.parametrize("fmt", ["table", "markdown", "github"])
def test_escapes_from_evidence_are_shown_not_sent(planted: Path, fmt: str) -> None:
    result = run_cli("check", "--snapshot", str(planted), "--format", fmt)
    assert result.returncode == 1, result.stderr
    assert unprintable(result.stdout) == []
    assert "2.4.0\\x1b]0;pwned\\x07\\x1b[2J" in result.stdout
    if fmt != "github":  # annotations carry findings; the device is in the table and Markdown
        assert "910B2C\\x1b]0;pwned\\x07" in result.stdout


def test_a_coloured_table_sends_only_its_own_escapes(planted: Path) -> None:
    """On a terminal the table colours with SGR sequences; the planted ones stay visible."""
    from chipdoctor.engine import check
    from chipdoctor.evidence.snapshot import SnapshotEvidence
    from chipdoctor.matrix.load import load_matrices

    report = check(SnapshotEvidence(planted), load_matrices([]))
    coloured = text.render(report, color=True)
    assert "\x1b[" in coloured  # the table's own colours
    assert TITLE not in coloured and "\x1b[2J" not in coloured and "\x07" not in coloured
    assert "2.4.0\\x1b]0;pwned\\x07" in coloured


def test_json_keeps_them_escaped_and_exact(planted: Path) -> None:
    result = run_cli("check", "--snapshot", str(planted), "--format", "json")
    assert unprintable(result.stdout) == []  # C1 (\x9b is a CSI), bidi, U+2028 too
    report = json.loads(result.stdout)
    versions = {c["id"]: c["version"] for c in report["components"]}
    assert versions["torch"] == "2.4.0" + ESCAPES
    assert report["devices"][0]["name"] == "910B2C" + TITLE
    facts = run_cli("check", "--snapshot", str(planted), "--format", "ansible-facts")
    assert unprintable(facts.stdout) == []
    assert json.loads(facts.stdout)["components"]["torch"] == "2.4.0" + ESCAPES


@given(value=st.text())
def test_json_visible_is_lossless_and_printable(value: str) -> None:
    document = json_visible(json.dumps({"v": value, "w": [value]}, indent=2, ensure_ascii=False))
    assert unprintable(document) == []
    assert json.loads(document) == {"v": value, "w": [value]}


@settings(max_examples=60, deadline=None)
@given(value=st.text(min_size=1), message=st.text())
def test_no_renderer_passes_a_control_character(value: str, message: str) -> None:
    """Any text in any field: the terminal and CI renderers emit nothing unprintable but their
    own line breaks."""
    finding = Finding(f"host.{'x'}", Severity.ERROR, ("torch",), message, fix=value)
    inventory = Inventory(
        stacks=["ascend"],
        components=[Component("torch", value, value)],
        devices=[Device("ascend", 0, value, value)],
        findings=[finding],
        facts={"note.x": value},
    )
    report = Report("0", inventory, [finding])
    for rendered in (text.render(report), markdown.render(report), github.render(report)):
        assert unprintable(rendered) == []
        for character in value:
            if unicodedata.category(character) in ("Cc", "Zl", "Zp") and character != "\n":
                assert character not in rendered
    document, facts = json_report.render(report), ansible.render(report)
    assert unprintable(document) == [] and unprintable(facts) == []
    assert json.loads(document)["components"][0]["version"] == value
    assert json.loads(facts)["components"]["torch"] == value


def test_rich_markup_from_evidence_is_printed_as_text(tmp_path: Path) -> None:
    """`[…]` in a version is no style to the table: `[8m`-like hiding through rich markup
    (`[conceal]`) or a fake `[bold red]` cannot make evidence look like something else."""
    directory = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOTS / "ascend-torch-mismatch", directory)
    path = directory / "snapshot.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["python"]["packages"]["torch"] = "2.4.0[conceal]hidden[/conceal]"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run_cli("check", "--snapshot", str(directory), env={"COLUMNS": "250"})
    (row,) = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("host ") and " torch " in line
    ]
    assert "│ 2.4.0[conceal]hidden[/conceal] " in row


def test_matrix_show_prints_emoji_codes_and_markup_from_a_matrix_as_text(tmp_path: Path) -> None:
    """`matrix show` draws with the same inert console as the report: a source title's `:x:`
    stays three characters (it was drawn as an emoji) and `[bold]` stays text."""
    overlay = tmp_path / "site.yaml"
    overlay.write_text(
        "format: chipdoctor-matrix/1\nstack: cuda\n"
        'sources:\n  site: {title: "site rows :x: [bold]b[/bold]", url: "https://example.org/"}\n'
        'tables:\n  t:\n    key: cuda\n    rows:\n      - cuda: "12.4"\n        source: site\n',
        encoding="utf-8",
    )
    result = run_cli("matrix", "show", "cuda", "--matrix", str(overlay), env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    assert "site rows :x: [bold]b[/bold]" in result.stdout
