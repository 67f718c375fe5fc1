"""`--format markdown`: tables per stack, findings with copyable fixes, nothing that breaks GFM."""

from __future__ import annotations

from chipdoctor.model import Component, Device, Finding, Inventory, Report, Severity
from chipdoctor.report import markdown
from tests.conftest import SNAPSHOTS, run_cli


def test_failing_snapshot_as_markdown() -> None:
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "ascend-torch-mismatch"), "--format", "markdown"
    )
    assert result.returncode == 1
    text = result.stdout
    assert text.startswith("## chipdoctor 0.1.0 · accelerator stacks: ascend\n\n**❌ INCOMPATIBLE")
    host, ascend = text.index("### host\n"), text.index("### ascend\n")
    assert host < ascend < text.index("### Devices\n") < text.index("### Findings\n")
    assert "| `torch` | 2.4.0 | package metadata: torch |" in text[host:ascend]
    assert "| `torch_npu` | 2.5.1.post1 | package metadata: torch_npu |" in text[ascend:]
    assert "| ascend | 0 | 910B2C | OK |" in text
    fix = (
        "  ```\n  pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu\n  ```"
    )
    assert fix in text
    # the source citations stay clickable autolinks
    assert "<https://github.com/Ascend/pytorch/blob/" in text


def test_clean_run_says_so() -> None:
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "ascend-910b-healthy"), "--format", "markdown"
    )
    assert result.returncode == 0
    assert "**✅ OK: nothing is incompatible.**" in result.stdout


def test_cells_and_messages_cannot_break_the_markdown() -> None:
    report = Report(
        "0.1.0",
        Inventory(
            stacks=["ascend"],
            components=[Component("cann", "8.0|RC2", "/a|b\nc")],
            devices=[Device("ascend", 0, "910B<script>", "OK")],
        ),
        [
            Finding(
                "ascend.x",
                Severity.WARNING,
                (),
                "two\nlines <b>bold</b> see <https://example.org/x>",
                "echo ```fenced``` here\nsecond",
            )
        ],
    )
    text = markdown.render(report)
    assert "| `cann` | 8.0\\|RC2 | /a\\|b<br>c |" in text
    assert "910B&lt;script>" in text
    assert "two<br>lines &lt;b>bold&lt;/b> see <https://example.org/x>" in text
    assert "  ````\n  echo ```fenced``` here\n  second\n  ````" in text


def test_no_findings() -> None:
    text = markdown.render(Report("0.1.0", Inventory(), []))
    assert text.endswith("### Findings\n\nNone.\n")
    assert "none found" in text


def test_chinese_follows_the_report_language() -> None:
    result = run_cli(
        "check",
        "--snapshot",
        str(SNAPSHOTS / "no-accelerator"),
        "--format",
        "markdown",
        "--lang",
        "zh",
    )
    assert "| 组件 | 版本 | 来源 |" in result.stdout
    assert "### 检查结果" in result.stdout
