"""`check --lang zh`: every finding of every stack reads in Simplified Chinese.

The English JSON fields stay as they are; `translations.zh_CN` carries the Chinese, and the
table shows it. Only commands (a fix line that is nothing but a shell command) stay as written.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import SNAPSHOTS, run_cli

#: One scenario per stack (and the mixed one), each with findings from probes and rules.
SCENARIOS = [
    "ascend-env-not-sourced",
    "cambricon-torch_mlu-driver-too-old",
    "cuda-torch-too-new-for-driver",
    "dcu-torch-dtk-mismatch",
    "rocm-torch-mismatch",
    "multi-cuda-ascend",
]
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: The plan's steps, which check's fix repeats (chipdoctor/fix/agree.py), add installers.
_COMMANDS = ("pip install ", "export ", "source ", "unset ", "bash ./", "tar -xzf ", "ln -sfn ")


def _findings(scenario: str, *extra: str) -> list[dict[str, Any]]:
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / scenario), "--lang", "zh", "--format", "json", *extra
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    assert findings, f"{scenario} has no findings to translate"
    return findings


def _assert_chinese(english: str, chinese: str, where: str) -> None:
    assert chinese != english, f"{where} is not translated: {english!r}"
    assert _CJK.search(chinese), f"{where} has no Chinese: {chinese!r}"


def _assert_fix_translated(english: str, chinese: str, where: str) -> None:
    """Each fix line is Chinese, unless it is a bare command, which stays as written."""
    english_lines, chinese_lines = english.splitlines(), chinese.splitlines()
    assert len(chinese_lines) == len(english_lines), where
    for source, shown in zip(english_lines, chinese_lines):
        if source.startswith(_COMMANDS) and "#" not in source:
            assert shown == source, where
        else:
            _assert_chinese(source, shown, f"{where} line {source!r}")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_json_translations_are_complete(scenario: str) -> None:
    for finding in _findings(scenario):
        where = f"{scenario}: {finding['id']}"
        translated = finding["translations"]["zh_CN"]
        assert set(translated) == {"message", "fix"}, where
        _assert_chinese(finding["message"], translated["message"], f"{where} message")
        _assert_fix_translated(finding["fix"], translated["fix"], f"{where} fix")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_table_shows_the_chinese_text(scenario: str) -> None:
    findings = _findings(scenario)
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / scenario), "--lang", "zh", env={"COLUMNS": "160"}
    )
    table = _squash(result.stdout)
    for finding in findings:
        translated = finding["translations"]["zh_CN"]
        # rich wraps long lines, so compare without whitespace.
        assert _squash(translated["message"]) in table, finding["id"]
        assert _squash(finding["message"]) not in table, finding["id"]
        for line in translated["fix"].splitlines():
            assert _squash(f"修复：{line}") in table, finding["id"]


def test_policy_findings_are_translated() -> None:
    findings = _findings("ascend-910b-healthy", "--require", "torch_npu>=99")
    (policy,) = [f for f in findings if f["id"].startswith("policy.")]
    assert policy["message"].endswith(
        "does not satisfy >=99 (required by --require 'torch_npu>=99')."
    )
    translated = policy["translations"]["zh_CN"]
    assert "不满足 >=99" in translated["message"]
    _assert_chinese(policy["fix"], translated["fix"], policy["id"])
    assert "`chipdoctor matrix show ascend`" in translated["fix"]
