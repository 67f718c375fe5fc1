"""Policy files and --require: what loads, and one FILE:LINE error for everything that does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from chipdoctor.errors import BadInput
from chipdoctor.policy.load import Constraint, load_file, load_policy, parse_require

GOOD = """\
# gate for the training image
require_stacks: [ascend]
versions:
  torch_npu: ">=2.1,<2.5"
  cann: ">=8.0.RC2"
ignore:
  - id: ascend.env-not-sourced
    reason: the entrypoint sources set_env.sh
    until: 2026-12-31
  - id: host.glibc-old
    reason: "tracked in OPS-12"
    until: "2027-01-15"
  - id: ascend.npu-smi-failed
    reason: no NPU on the image build runner
fail_on_warnings: true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_policy_loads_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    policy = load_file(path)
    assert [(s.stack, s.origin) for s in policy.stacks] == [("ascend", f"{path}:2")]
    assert policy.constraints == (
        Constraint("torch_npu", ">=2.1,<2.5", f"{path}:4", "policy.version-torch_npu"),
        Constraint("cann", ">=8.0.RC2", f"{path}:5", "policy.version-cann"),
    )
    assert [(i.finding_id, i.until, i.origin) for i in policy.ignores] == [
        ("ascend.env-not-sourced", dt.date(2026, 12, 31), f"{path}:7"),
        ("host.glibc-old", dt.date(2027, 1, 15), f"{path}:10"),
        ("ascend.npu-smi-failed", None, f"{path}:13"),
    ]
    assert policy.ignores[0].reason == "the entrypoint sources set_env.sh"
    assert policy.fail_on_warnings is True


@pytest.mark.parametrize("text", ["", "# nothing required yet\n"])
def test_an_empty_policy_asks_for_nothing(tmp_path: Path, text: str) -> None:
    policy = load_file(write(tmp_path, text))
    assert (policy.stacks, policy.constraints, policy.ignores) == ((), (), ())
    assert policy.fail_on_warnings is False


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- ascend\n", 1, "a policy is a mapping"),
        ("require_stacks: [ascend]\nversoins: {}\n", 2, "unknown key 'versoins'"),
        ("require_stacks: ascend\n", 1, "require_stacks must be a list"),
        ("require_stacks:\n  - ascend\n  - tpu\n", 3, "unknown stack 'tpu'"),
        ("require_stacks: [ascend, ascend]\n", 1, "listed twice"),
        ("versions: [torch_npu]\n", 1, "versions must be a mapping"),
        ("versions:\n  torchnpu: '>=2.1'\n", 2, "did you mean 'torch_npu'?"),
        ("versions:\n  arch: aarch64\n", 2, "arch has no version to constrain"),
        ("versions:\n  torch_npu: 2.1\n", 2, "must be a quoted string"),
        ("versions:\n  torch_npu: '>=2.1,<<2.5'\n", 2, "not a PEP 440 pattern"),
        ("versions:\n  cann: '>=8.0.XX2'\n", 2, "not a vendor version"),
        ("versions:\n  cann: ''\n", 2, "the constraint is empty"),
        ("ignore: ascend.env-not-sourced\n", 1, "ignore must be a list"),
        ("ignore:\n  - ascend.env-not-sourced\n", 2, "an ignore entry is a mapping"),
        ("ignore:\n  - id: ascend.x\n    reason: r\n    why: r\n", 4, "unknown key 'why'"),
        ("ignore:\n  - reason: r\n", 2, "id must be a finding id"),
        ("ignore:\n  - id: Ascend X\n    reason: r\n", 2, "id must be a finding id"),
        ("ignore:\n  - id: policy.stack-ascend\n    reason: r\n", 2, "comes from this policy"),
        ("ignore:\n  - id: ascend.x\n", 2, "needs a reason"),
        ("ignore:\n  - id: ascend.x\n    reason: '  '\n", 3, "needs a reason"),
        ("ignore:\n  - id: ascend.x\n    reason: r\n    until: soon\n", 4, "until must be a date"),
        ("ignore:\n  - id: ascend.x\n    reason: r\n    until: 2026-12-31 10:00:00\n", 4, "time"),
        ("ignore:\n  - id: ascend.x\n    reason: r\n    until: '2026-02-30'\n", 4, "not a date"),
        ("ignore:\n  - id: ascend.x\n    reason: r\n    until: 2026-02-30\n", 4, "out of range"),
        (
            "ignore:\n  - id: ascend.x\n    reason: r\n  - id: ascend.x\n    reason: s\n",
            4,
            "already ignored at",
        ),
        ("fail_on_warnings: 'yes please'\n", 1, "fail_on_warnings must be true or false"),
        ("versions:\n  torch_npu: '>=2.1'\n  torch_npu: '<3'\n", 3, "duplicate key"),
        ("versions: {torch_npu: '>=2.1'\n", 2, "invalid YAML"),
    ],
)
def test_malformed_policy_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInput) as caught:
        load_file(path)
    assert str(caught.value).startswith(f"{path}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_explicit_missing_policy_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        load_policy(tmp_path / "absent.yaml")


def test_default_policy_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_policy(None).path is None  # nothing here: no policy
    (tmp_path / ".chipdoctor.yaml").write_text("require_stacks: [cuda]\n")
    policy = load_policy(None)
    assert policy.path == ".chipdoctor.yaml"
    assert policy.stacks[0].origin == ".chipdoctor.yaml:1"


def test_a_dangling_default_policy_link_fails_instead_of_being_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".chipdoctor.yaml").symlink_to(tmp_path / "moved.yaml")
    with pytest.raises(BadInput, match=r"\.chipdoctor\.yaml: no such file"):
        load_policy(None)


@pytest.mark.parametrize(
    ("text", "component", "pattern"),
    [
        ("torch_npu>=2.1", "torch_npu", ">=2.1"),
        ("torch_npu >= 2.1, <2.5", "torch_npu", ">= 2.1, <2.5"),
        ("cann>=8.0.RC2", "cann", ">=8.0.RC2"),
        ("python==3.10", "python", "==3.10"),
        ("torch~=2.4.0", "torch", "~=2.4.0"),
    ],
)
def test_require_option(text: str, component: str, pattern: str) -> None:
    constraint = parse_require(text)
    assert (constraint.component, constraint.pattern) == (component, pattern)
    assert constraint.origin == f"--require {text!r}"
    assert constraint.finding_id == f"policy.require-{component}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("torch_npu", "expected a component and a constraint"),
        ("torch_npu 2.1", "expected a component and a constraint"),
        (">=2.1", "expected a component and a constraint"),
        ("torch-npu>=2.1", "did you mean 'torch_npu'?"),
        ("os>=22", "os has no version to constrain"),
        ("cann~=8.0", "not a vendor version"),
        ("torch>=two", "not a PEP 440 pattern"),
    ],
)
def test_bad_require_option_names_the_option(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_require(text)
    assert str(caught.value).startswith(f"--require {text!r}: ")
    assert message in str(caught.value)


def test_a_stack_that_is_not_a_name_is_bad_input(tmp_path: Path) -> None:
    """Found by the fuzz test: a mapping or list where a stack name belongs was exit 3."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("require_stacks:\n  - {ascend: 1}\n  - [cuda]\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"policy.yaml:2: unknown stack \{'ascend': 1\}"):
        load_policy(policy)


def test_env_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text('env:\n  TORCH_NPU_FALLBACK_CPU_DISABLE: "1"\n')
    assert load_file(path).env == (("TORCH_NPU_FALLBACK_CPU_DISABLE", "1"),)
    path.write_text("env:\n  NOT A NAME: x\n")
    with pytest.raises(BadInput, match="is not an environment variable name"):
        load_file(path)
