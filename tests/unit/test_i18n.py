"""Messages in English and Chinese through gettext catalogs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chipdoctor.i18n import T, choose_language, join, translate
from tests.conftest import SNAPSHOTS, run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_t_is_english_text() -> None:
    text = T("WARNINGS: {errors} error(s), {warnings} warning(s)", errors=0, warnings=2)
    assert text == "WARNINGS: 0 error(s), 2 warning(s)"
    assert translate(text, "en") == text


def test_translate_to_chinese_keeps_parameters() -> None:
    text = T("INCOMPATIBLE: {errors} error(s), {warnings} warning(s)", errors=1, warnings=0)
    assert translate(text, "zh_CN") == "不兼容：1 个错误，0 个警告"


def test_nested_and_joined_messages_translate_part_by_part() -> None:
    inner = T("OK: nothing is incompatible.")
    outer = T("fix: {line}", line=inner)
    assert translate(outer, "zh_CN") == "修复：正常：未发现不兼容项。"
    joined = join([T("error"), "plain text"])
    assert joined == "error\nplain text"
    assert translate(joined, "zh_CN") == "错误\nplain text"


def test_unknown_template_and_plain_strings_stay_english() -> None:
    assert translate(T("not in any catalog {x}", x=1), "zh_CN") == "not in any catalog 1"
    assert translate("plain", "zh_CN") == "plain"


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        (None, {"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        (None, {"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        (None, {"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW"}, "zh_CN"),
        (None, {}, "en"),
        ("zh", {"LANG": "C"}, "zh_CN"),
        ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_language_choice(option: str | None, environ: dict[str, str], expected: str) -> None:
    assert choose_language(option, environ) == expected


def test_every_message_has_a_translation_and_catalogs_are_compiled() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_lang_environment_gives_chinese_tables() -> None:
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "no-accelerator"), env={"LANG": "zh_CN.UTF-8"}
    )
    assert result.returncode == 0
    assert "加速器软件栈" in result.stdout
    assert "正常：未发现不兼容项。" in result.stdout


def test_json_stays_english_with_both_texts() -> None:
    result = run_cli(
        "check", "--snapshot", str(SNAPSHOTS / "no-accelerator"), "--lang", "zh", "--format", "json"
    )
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["message"].startswith("No accelerator stack was found")
    assert finding["translations"]["zh_CN"]["message"].startswith("本机未发现加速器软件栈")


def test_bad_lang_is_bad_input() -> None:
    result = run_cli("check", "--lang", "fr")
    assert result.returncode == 2
    assert "--lang must be en or zh" in result.stderr
