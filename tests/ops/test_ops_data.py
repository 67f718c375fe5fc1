"""scripts/ops_data.py, run offline on the recorded vendor files, reproduces matrices/ops/, and
the facts the issue names hold in what it produced."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chipdoctor.ops.data import StackOps
from chipdoctor.ops.target import matrix_versions

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "tests" / "fixtures" / "ops-sources"
BUNDLED = ROOT / "matrices" / "ops"
REGENERATE = "python scripts/ops_data.py generate tests/fixtures/ops-sources matrices/ops"


def ops_data(*args: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "ops_data.py"
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ops-data")
    (out / "pytorch.json").write_text((BUNDLED / "pytorch.json").read_text())  # traced parts
    done = ops_data("generate", str(SOURCES), str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("name", ["ascend.json", "cambricon.json", "pytorch.json"])
def test_generator_reproduces_the_bundled_data(generated: Path, name: str) -> None:
    made = json.loads((generated / name).read_text())
    bundled = json.loads((BUNDLED / name).read_text())
    # the version map is the Ascend matrix's (next test); rows added to it since are read live
    made.pop("versions", None)
    bundled.pop("versions", None)
    assert made == bundled, f"matrices/ops/{name} is stale: run {REGENERATE}"


def test_the_copied_version_map_agrees_with_the_ascend_matrix() -> None:
    copied = json.loads((BUNDLED / "ascend.json").read_text())["versions"]
    current = matrix_versions()
    assert copied, "no torch_npu versions copied"
    changed = {v: e for v, e in copied.items() if current.get(v) != e}
    assert not changed, f"matrices/ascend.yaml changed these rows: run {REGENERATE}"
    assert copied["2.5.1"] == {"release": "7.0.0", "torch": "2.5.1"}
    assert copied["2.7.1"] == {"release": "7.2.0", "torch": "2.7.1"}
    assert copied["2.7.1.post8"] == {"release": "26.1.0", "torch": "2.7.1"}


def _ascend(generated: Path) -> StackOps:
    path = generated / "ascend.json"
    return StackOps(json.loads(path.read_text()), path)


def test_scaled_mm_first_appears_on_the_26_1_0_branch(generated: Path) -> None:
    data = _ascend(generated)
    assert "native" not in data.statuses("_scaled_mm", "26.0.0", "2.7")
    assert "native" not in data.statuses("_scaled_mm", "7.2.0", "2.7")
    assert "native" in data.statuses("_scaled_mm", "26.1.0", "2.7")


def test_repeat_interleave_tensor_is_native_only_on_master(generated: Path) -> None:
    data = _ascend(generated)
    released = [r.name for r in data.releases if not r.unreleased]
    assert all(
        "native" not in data.statuses("repeat_interleave.Tensor", r, "2.5") for r in released
    )
    assert "native" in data.statuses("repeat_interleave.Tensor", "master", "2.5")
    assert [r.name for r in data.releases if r.unreleased] == ["master"]


def test_lgamma_has_no_npu_kernel_and_older_files_send_it_to_the_cpu(generated: Path) -> None:
    data = _ascend(generated)
    for release in data.releases:
        for minor in release.torch:
            assert "native" not in data.statuses("lgamma", release.name, minor)
    assert data.statuses("lgamma", "6.0.0", "2.0") == {"tocpu"}
    assert data.statuses("lgamma", "7.0.0", "2.5") == set()


def test_version_ranges_follow_op_plugins_own_rule(generated: Path) -> None:
    """`[v2.1, newest]` is a range to the last entry of `all_version`; `v1.11, v2.0` a list."""
    data = _ascend(generated)
    assert data.statuses("convolution", "26.1.0", "2.13") == {"native"}
    assert data.statuses("convolution", "7.0.0", "1.11") == {"native"}
    assert data.statuses("convolution", "26.1.0", "2.14") == set()


def test_every_release_and_extension_file_names_its_source(generated: Path) -> None:
    document = json.loads((generated / "ascend.json").read_text())
    for entry in [*document["releases"], *document["extension_files"]]:
        source = entry["source"]
        assert source["url"].startswith("https://github.com/Ascend/")
        assert source["commit"] in source["url"]
        assert source["date"][:2] == "20"


def test_a_version_added_to_the_matrix_later_is_read_from_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chipdoctor.ops.data import stack_ops
    from chipdoctor.ops.target import component_version, resolve

    data = stack_ops("ascend")
    monkeypatch.delitem(data.versions, "2.7.1.post8")
    assert resolve("torch_npu", "2.7.1.post8").release.name == "26.1.0"
    assert component_version(data, "26.1.0", "2.7.1") == "2.7.1.post8"


def _repo(path: Path, branches: dict[str, dict[str, str]]) -> Path:
    """A git repository with one commit per branch holding `files`."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True)

    path.mkdir()
    git("init", "-q", "-b", "scratch")
    git("config", "user.email", "t@example.invalid")
    git("config", "user.name", "t")
    for branch, files in branches.items():
        git("checkout", "-q", "--orphan", branch)
        git("rm", "-rfq", "--ignore-unmatch", ".")
        for name, text in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(text)
            git("add", name)
        git("commit", "-qm", branch)
    return path


def test_collect_copies_each_release_branch_with_its_source(tmp_path: Path) -> None:
    plugin_file = "op_plugin/config/op_plugin_functions.yaml"
    plugin = _repo(
        tmp_path / "op-plugin",
        {
            "7.0.0": {
                plugin_file: "all_version: [v2.5]\nofficial:\n  - func: mm\n    op_api: v2.5\n"
            },
            "5.0.0": {"op_plugin/config/v2r0/op_plugin_functions.yaml": "official: []\n"},
            "feature-x": {plugin_file: "all_version: [v2.5]\n"},
        },
    )
    npu = _repo(
        tmp_path / "pytorch",
        {
            "v2.5.1-7.0.0": {
                "torch_npu/csrc/aten/npu_native_functions.yaml": "supported:\n  - lgamma\n"
            }
        },
    )
    mlu = _repo(
        tmp_path / "torch_mlu",
        {
            "r9_pt2.5.0": {
                "codegen/mlu_functions.yaml": "aten:\n  - func: mm\n",
                "scripts/release/build.property": '{"version": "9.9.9-torch2.5.0"}',
            }
        },
    )
    native = tmp_path / "native_functions.yaml"
    native.write_text("- func: mm(Tensor self, Tensor mat2) -> Tensor\n")
    out = tmp_path / "sources"
    done = ops_data(
        "collect", str(out), "--op-plugin", str(plugin), "--torch-npu", str(npu),
        "--torch-mlu", str(mlu), "--native-functions", str(native), "--pytorch-commit", "abc123",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        "5.0.0: no op_plugin/config/op_plugin_functions.yaml (older layout), skipped" in done.stderr
    )
    assert sorted(p.name for p in (out / "op-plugin").iterdir()) == ["7.0.0"]  # not feature-x
    source = (out / "op-plugin" / "7.0.0" / "SOURCE.md").read_text()
    assert "branch: 7.0.0\n" in source
    assert "url: https://github.com/Ascend/op-plugin/blob/" in source
    assert (out / "torch_npu" / "v2.5.1-7.0.0" / "npu_native_functions.yaml").is_file()
    assert (
        "version: 9.9.9-torch2.5.0" in (out / "torch_mlu" / "r9_pt2.5.0" / "SOURCE.md").read_text()
    )
    written = ops_data("generate", str(out), str(tmp_path / "data"))
    assert written.returncode == 0, written.stderr
    ascend = json.loads((tmp_path / "data" / "ascend.json").read_text())
    assert ascend["ops"]["mm"] == {"7.0.0": {"native": "2.5"}}
    assert ascend["ops"]["lgamma"] == {"7.0.0": {"native": "2.5"}}
