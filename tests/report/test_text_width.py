"""The table's prose honours COLUMNS; a command or URL is printed whole, even past the width,
so it can be pasted (issue 12 item 7)."""

from __future__ import annotations

from tests.conftest import SNAPSHOTS, run_cli


def test_commands_and_urls_are_whole_and_prose_fits_columns() -> None:
    out = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "cuda-torch-too-new-for-driver"),
        env={"COLUMNS": "60"},
    ).stdout  # fmt: skip
    lines = out.splitlines()
    command = "pip install torch==2.7.1+cu118 --index-url https://download.pytorch.org/whl/cu118"
    assert any(line.strip() == command for line in lines), out
    url = "<https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html>;"
    assert any(line.strip() == url for line in lines), out
    for line in lines:
        if len(line) > 60:  # only a command, or one word longer than a line
            assert line.strip() == command or " " not in line.strip(), line
    assert any(line.startswith("    fix: or keep the driver:") for line in lines)


def test_the_fix_plan_prints_its_commands_whole() -> None:
    out = run_cli(
        "fix", "--snapshot", str(SNAPSHOTS / "cuda-torch-too-new-for-driver"),
        env={"COLUMNS": "60"},
    ).stdout  # fmt: skip
    command = "pip install torch==2.7.1+cu118 --index-url https://download.pytorch.org/whl/cu118"
    assert any(line.strip() == command for line in out.splitlines()), out
    assert "minor-version-compatibility.html>;" in out  # a URL in prose is never split


def test_a_component_of_a_stack_not_listed_still_has_its_row() -> None:
    """The table groups rows as Markdown does (report/common.groups): a component whose stack
    is not among the report's stacks is shown, not dropped."""
    from chipdoctor.model import Component, Inventory, Report
    from chipdoctor.report import plain, text

    inventory = Inventory(components=[Component("cann", "8.2.RC1", "/usr/local/Ascend/x")])
    report = Report("0", inventory, [])
    drawn = text.render(report)
    assert plain.render(report) == drawn
    assert any(" cann " in line and "8.2.RC1" in line for line in drawn.splitlines())


def test_a_command_after_chinese_prose_is_whole_too() -> None:
    """Chinese introduces a command with a full-width colon and no space (`…：pip install …`);
    the command is still a line of its own, whole, as after an English `: `."""
    from chipdoctor.report.page import fix_lines

    command = "pip install torch-npu==2.5.1.post1"
    lines = fix_lines(lambda text: text, f"安装与 CANN 配套的版本：{command}")
    assert len(lines) == 2
    assert lines[1].whole and lines[1].spans[0][0] == command
    english = fix_lines(lambda text: text, "as this plans them: chipdoctor fix --pin python=3.10")
    assert english[1].spans[0][0] == "chipdoctor fix --pin python=3.10"


def test_chinese_prose_wraps_at_the_columns_it_takes() -> None:
    """A CJK character takes two columns and a line may break between two of them; a closing
    mark never starts a line; a URL inside stays whole."""
    from chipdoctor.printable import columns as cells
    from chipdoctor.report.page import wrapped

    url = "https://www.hiascend.com/developer/download/community/result?module=cann"
    text = (
        "已加载的内核模块与已安装的用户态驱动库版本不一致（通常是升级驱动后没有重启），在修复之前，"
        f"任何 CUDA 程序（包括 PyTorch）都无法使用 GPU。请从 {url} 下载。"
    )
    lines = wrapped(text, 40)
    assert "".join(lines) == text
    assert all(cells(line.rstrip()) <= 40 for line in lines if url not in line)
    assert any(line.strip() == url for line in lines)
    assert not any(line[:1] in "，。、；：！？）」』》〉】" for line in lines)
    assert cells("驱动 GPU") == 8
