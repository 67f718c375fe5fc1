"""The Chinese docs (README.zh.md, docs/zh/) stay in step with the English ones.

Rules (helpers in tests/zh_docs.py):
- README.zh.md links README.md in its first lines and README.md links it back.
- Every row of the English README's tables has a row in README.zh.md with the same first cell
  (the command, written the same), and that row names the same `chipdoctor` commands, the same
  `--options` and the same exit codes (the numbers after "exit" / "退出码").
- A translated page (README.zh.md, each docs/zh/X.md whose docs/X.md exists) has the same
  number of headings as its original; every section whose original has prose has Chinese
  (CJK) text, and no run of ten English words outside code; together its prose names every
  command and option the original names, and holds every inline code span the original holds
  (ids, paths, values: what a translation keeps as written, so a row or sentence added to the
  original and not to the translation is caught).
- Code blocks are shared: the Chinese page's code blocks equal the English page's byte for byte,
  in order. The one exception is a block whose info string carries the word `zh`
  (```` ```text zh ````): Chinese-only output of `--lang zh`, left out of that comparison (and
  still run, below). So a Chinese page may show `--lang zh` examples without the English page
  holding them, and may not change any other block.
- Relative links in the Chinese pages lead to files that exist.
- Pages that stay English (contracts.md, matrix-format.md) have a Chinese summary page marked
  `<!-- zh: summary -->` that links the original.
- docs/zh/glossary.yaml is the one list of terms: every msgid in the zh_CN catalog that uses a
  term's English is translated with the term's Chinese.
- Every example in either README that runs on a fixture snapshot (a block starting
  `$ chipdoctor … --snapshot tests/fixtures/…`, or such a command in inline code) runs, exits
  0 or 1 (a verdict), and each output line it shows is a line of the real output, in order,
  at 160 columns without colour; a line that is only `…` elides lines, a `…` inside a line
  stands for any text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import zh_docs
from tests.zh_docs import ROOT

README = ROOT / "README.md"
README_ZH = ROOT / "README.zh.md"
USER_PAGES = (
    "fix.md",
    "ci.md",
    "policy.md",
    "fleet.md",
    "adding-a-stack.md",
    "loader.md",
    "data.md",
    "data-refresh.md",
    "ops.md",
)
SUMMARIES = ("contracts.md", "matrix-format.md")


@pytest.fixture(scope="module")
def known() -> set[str]:
    return zh_docs.command_names()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_readmes_link_each_other() -> None:
    assert "(README.zh.md)" in "\n".join(read(README).splitlines()[:4])
    assert "(README.md)" in "\n".join(read(README_ZH).splitlines()[:4])


def test_readme_tables_name_the_same_commands_options_and_exit_codes(known: set[str]) -> None:
    assert zh_docs.readme_table_problems(read(README), read(README_ZH), known) == []


def test_readme_is_translated_section_by_section(known: set[str]) -> None:
    assert zh_docs.page_problems(read(README), read(README_ZH), known, "README.zh.md") == []


@pytest.mark.parametrize(
    "name",
    [f"stacks/{p.name}" for p in sorted((ROOT / "docs" / "stacks").glob("*.md"))]
    + list(USER_PAGES),
)
def test_every_user_page_has_a_chinese_version(name: str) -> None:
    if not (ROOT / "docs" / name).exists():
        pytest.skip(f"docs/{name} does not exist (yet)")
    assert (ROOT / "docs" / "zh" / name).exists(), f"docs/zh/{name} is missing"


@pytest.mark.parametrize(
    ("english", "chinese"),
    zh_docs.doc_pairs(),
    ids=[str(c.relative_to(ROOT)) for _, c in zh_docs.doc_pairs()],
)
def test_chinese_page_follows_its_original(english: Path, chinese: Path, known: set[str]) -> None:
    name = str(chinese.relative_to(ROOT))
    assert zh_docs.page_problems(read(english), read(chinese), known, name) == []


@pytest.mark.parametrize("name", SUMMARIES)
def test_english_only_pages_have_a_chinese_summary(name: str) -> None:
    chinese = ROOT / "docs" / "zh" / name
    assert zh_docs.summary_problems(name, read(chinese), str(chinese.relative_to(ROOT))) == []


def test_chinese_links_lead_somewhere() -> None:
    pages = [README_ZH, *sorted((ROOT / "docs" / "zh").rglob("*.md"))]
    assert [link for page in pages for link in zh_docs.broken_links(page)] == []


def test_catalog_uses_the_glossary_terms() -> None:
    terms = zh_docs.glossary()
    assert {t.en for t in terms} >= {"Ascend", "Cambricon", "Hygon", "Moore Threads", "driver"}
    assert all(zh_docs.CJK.search(t.zh) and t.source for t in terms)
    assert zh_docs.po_problems(terms, zh_docs.catalog()) == []


EXAMPLES = [
    example for path in (README, README_ZH) for example in zh_docs.examples(read(path), path.name)
]


def test_both_readmes_have_snapshot_examples() -> None:
    names = {e.where.split(":")[0] for e in EXAMPLES}
    assert names == {"README.md", "README.zh.md"}
    assert any("--lang" in e.argv and e.shown for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_readme_example_runs_as_shown(example: zh_docs.Example) -> None:
    code, output = zh_docs.run_example(example.argv)
    assert zh_docs.output_problems(example, code, output) == []


# The checks must be able to fail: each deliberately broken copy is caught.


def test_every_command_is_known_however_the_tests_run(known: set[str]) -> None:
    # Run first or alone, the fixture still sees every command, not only what earlier tests'
    # CLI runs happened to register.
    assert {"check", "fix", "snapshot", "matrix show", "fleet compare", "ops"} <= known


def test_a_dropped_option_or_exit_code_in_the_table_is_caught(known: set[str]) -> None:
    chinese = read(README_ZH)
    row = next(line for line in chinese.splitlines() if line.startswith("| `chipdoctor check` |"))
    broken = chinese.replace(row, row.replace("0", "零").replace("1", "一"))
    problems = zh_docs.readme_table_problems(read(README), broken, known)
    assert any("exit code 1" in p for p in problems)
    strict = next(line for line in chinese.splitlines() if "--strict` |" in line)
    missing = chinese.replace(strict, "")
    assert any("--strict" in p for p in zh_docs.readme_table_problems(read(README), missing, known))


def test_an_english_copy_of_a_section_is_caught(known: set[str]) -> None:
    english = read(ROOT / "docs" / "fix.md")
    problems = zh_docs.page_problems(english, english, known, "copy")
    assert any("has no Chinese prose" in p for p in problems)
    chinese = read(ROOT / "docs" / "zh" / "fix.md")
    paragraph = next(p for p in english.split("\n\n") if len(p.split()) > 30 and "```" not in p)
    heading = next(line for line in chinese.splitlines() if line.startswith("## "))
    mixed = chinese.replace(heading, f"{heading}\n\n{paragraph}", 1)
    problems = zh_docs.page_problems(english, mixed, known, "x")
    assert any("keeps an English sentence" in p for p in problems)


def test_a_changed_code_block_or_missing_heading_is_caught(known: set[str]) -> None:
    english, chinese = read(ROOT / "docs" / "ci.md"), read(ROOT / "docs" / "zh" / "ci.md")
    block = zh_docs.blocks(chinese)[0].text
    changed = chinese.replace(block, block.replace("chipdoctor", "chipdocter", 1), 1)
    problems = zh_docs.page_problems(english, changed, known, "x")
    assert any("code block 1 differs" in p for p in problems)
    heading = next(line for line in chinese.splitlines() if line.startswith("## "))
    fewer = chinese.replace(heading + "\n", "", 1)
    assert any("headings" in p for p in zh_docs.page_problems(english, fewer, known, "x"))


def test_a_dropped_option_in_a_page_is_caught(known: set[str]) -> None:
    english, chinese = read(ROOT / "docs" / "fix.md"), read(ROOT / "docs" / "zh" / "fix.md")
    in_prose = zh_docs.options_in(zh_docs.prose(chinese)) - zh_docs.options_in(
        "".join(b.text for b in zh_docs.blocks(chinese))
    )
    option = sorted(in_prose)[0]
    broken = chinese.replace(f"`{option}`", "`…`").replace(option, "…")
    assert any(option in p for p in zh_docs.page_problems(english, broken, known, "x"))


def test_a_wrong_example_output_is_caught() -> None:
    example = next(e for e in EXAMPLES if e.shown and "--lang" in e.argv)
    code, output = zh_docs.run_example(example.argv)
    shown = [line.replace("错误", "警告") for line in example.shown]
    wrong = zh_docs.Example(example.argv, shown, example.where)
    assert zh_docs.output_problems(wrong, code, output)
    assert zh_docs.output_problems(example, 2, output)


def test_a_catalog_entry_against_the_glossary_is_caught() -> None:
    terms = zh_docs.glossary()
    pairs = [
        ("Install the NPU driver of your Ascend HDK release.", "安装 Ascend HDK 中的 NPU 驱动。"),
        ("The Cambricon driver is too old.", "Cambricon 驱动太旧。"),
        ("its published pairing", "官方发布的配对"),
    ]
    problems = zh_docs.po_problems(terms, pairs)
    assert [p.split(":")[0] for p in problems] == ["Cambricon -> 寒武纪", "pairing -> 配套"]


def test_a_row_missing_from_a_translation_is_caught(known: set[str]) -> None:
    english = read(ROOT / "docs" / "stacks" / "ascend.md")
    chinese = read(ROOT / "docs" / "zh" / "stacks" / "ascend.md")
    row = next(line for line in chinese.splitlines() if line.startswith("| `ascend.python` |"))
    problems = zh_docs.page_problems(english, chinese.replace(row + "\n", ""), known, "x")
    assert "x: the inline code `ascend.python` is missing" in problems
