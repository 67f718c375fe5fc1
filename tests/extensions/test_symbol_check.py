"""`host.extension-torch` from the libraries themselves: a fake site-packages (tests/fake_torch.py
libraries, a torch distribution with torch/lib/libc10.so, extensions whose METADATA requires
torch and whose RECORD lists their `.so`), checked live, through its snapshot, and by the
command line on a real virtual environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import pytest

from chipdoctor.evidence.base import PythonInfo
from chipdoctor.evidence.host import HostEvidence
from chipdoctor.evidence.snapshot import RecordingEvidence, SnapshotEvidence
from chipdoctor.model import Finding
from tests import fake_torch
from tests.fake_torch import ABSENT, OLD_NAME, write_dist
from tests.planning import fixed

SITE = "/opt/venv/lib/python3.11/site-packages"
PACKAGES = {"torch": "2.5.1", "extok": "1.0", "extmissing": "2.0", "extold": "3.0"}
LIBRARIES = {"extok": "ext_ok", "extmissing": "ext_missing", "extold": "ext_old_abi"}


class Tree(HostEvidence):
    """A file tree with its own interpreter's packages (the tree's site directory)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root=str(root), env={"PATH": "/usr/bin:/bin"})

    @cached_property
    def python(self) -> PythonInfo:
        return PythonInfo("3.11.9", PACKAGES, (SITE,))


def populate(site: Path, built: fake_torch.Built) -> None:
    write_dist(
        site,
        "torch",
        PACKAGES["torch"],
        {"torch/lib/libc10.so": built.torch_lib / "libc10.so"},
        requires=False,
    )
    for name, library in LIBRARIES.items():
        files = {f"{name}/_C.cpython-311-x86_64-linux-gnu.so": built.extensions[library]}
        write_dist(site, name, PACKAGES[name], files)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> fake_torch.Built:
    return fake_torch.build(tmp_path_factory.mktemp("fake-torch"))


@pytest.fixture
def tree(tmp_path: Path, built: fake_torch.Built) -> Tree:
    populate(tmp_path / "root" / SITE.lstrip("/"), built)
    return Tree(tmp_path / "root")


def _extension_findings(findings: list[Finding]) -> dict[str, Finding]:
    return {str(f.message).split()[0]: f for f in findings if f.id == "host.extension-torch"}


def test_an_extension_missing_a_symbol_and_one_of_the_other_abi(tree: Tree) -> None:
    from chipdoctor.engine import check

    found = _extension_findings(check(tree, fixed()).findings)
    assert sorted(found) == ["extmissing", "extold"]
    missing = found["extmissing"]
    assert missing.severity.value == "error"
    assert ABSENT in str(missing.message) and "another torch" in str(missing.message)
    assert f"{SITE}/extmissing/_C.cpython-311-x86_64-linux-gnu.so needs 1 torch" in str(
        missing.message
    )
    line = "pip install --no-build-isolation --no-cache-dir --force-reinstall --no-deps"
    assert f"{line} extmissing==2.0" in str(missing.fix)
    old = found["extold"]
    assert OLD_NAME in str(old.message)
    assert "_GLIBCXX_USE_CXX11_ABI=0, torch uses 1" in str(old.message)


def test_a_live_check_and_its_snapshot_agree(tree: Tree, tmp_path: Path) -> None:
    from chipdoctor.engine import check
    from chipdoctor.snapshotting import take_snapshot

    live = _extension_findings(check(tree, fixed()).findings)
    take_snapshot(tmp_path / "snap", tree)
    snapshot = SnapshotEvidence(tmp_path / "snap")
    again = _extension_findings(check(snapshot, fixed()).findings)
    assert {k: (str(f.message), str(f.fix)) for k, f in again.items()} == {
        k: (str(f.message), str(f.fix)) for k, f in live.items()
    }
    text = (tmp_path / "snap" / "snapshot.yaml").read_text()
    assert "symbols:" in text and ABSENT in text
    # What was missing, not every name the libraries need.
    assert "_ZN3c105touchEi" not in text
    assert not list((tmp_path / "snap").rglob("*.so"))  # the records, not the libraries


def test_nothing_is_read_without_torch(tree: Tree) -> None:
    from chipdoctor.engine import check

    tree.python  # noqa: B018 - fill the cache, then drop torch from it
    tree.__dict__["python"] = PythonInfo("3.11.9", {"extmissing": "2.0"}, (SITE,))
    recording = RecordingEvidence(tree)
    check(recording, fixed())
    assert not recording.recording.symbols


def test_a_torch_library_that_cannot_be_read_claims_nothing(tree: Tree, tmp_path: Path) -> None:
    from chipdoctor.engine import check

    lib = tmp_path / "root" / SITE.lstrip("/") / "torch" / "lib"
    (lib / "libtorch_cpu.so").write_bytes(b"\x7fELF garbage")
    assert _extension_findings(check(tree, fixed()).findings) == {}


def test_torchs_own_libraries_are_read_before_bundled_ones(
    tree: Tree, tmp_path: Path, built: fake_torch.Built
) -> None:
    """A torch/lib with more bundled libraries than are read (a ROCm wheel's), all sorting
    before libc10.so: torch's own are still asked, so nothing it defines is called missing."""
    from chipdoctor.engine import check
    from chipdoctor.extensions.symbols import MAX_TORCH_LIBRARIES

    lib = tmp_path / "root" / SITE.lstrip("/") / "torch" / "lib"
    for index in range(MAX_TORCH_LIBRARIES + 8):
        shutil.copy(built.extensions["ext_ok"], lib / f"libamd{index:02}.so")
    assert sorted(_extension_findings(check(tree, fixed()).findings)) == ["extmissing", "extold"]


def test_check_on_a_real_virtual_environment(tmp_path: Path, built: fake_torch.Built) -> None:
    """`chipdoctor check --python` of a venv holding the fake distributions, end to end."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    populate(site, built)
    result = subprocess.run(
        [sys.executable, "-m", "chipdoctor", "check", "--python", str(python), "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    report = json.loads(result.stdout)
    found = [f for f in report["findings"] if f["id"] == "host.extension-torch"]
    assert sorted(f["message"].split()[0] for f in found) == ["extmissing", "extold"]
    assert result.returncode == 1


def test_a_vendor_extension_resolves_through_its_own_library(
    tmp_path: Path, built: fake_torch.Built
) -> None:
    """torch_npu's `_C` needs what its own libtorch_npu.so defines (here c10::absent, which
    torch lacks): no finding, though its METADATA does not name torch; nor for extmissing, an
    extension needing the same (as one built for torch_musa needs its `c10::musa::…`,
    torch_musa/csrc/core/MUSAStream.h)."""
    from chipdoctor.engine import check

    site = tmp_path / "root" / SITE.lstrip("/")
    populate(site, built)
    source = tmp_path / "npu.cpp"
    source.write_text("namespace c10 { int absent(int x) { return x; } }\n")
    own = tmp_path / "libtorch_npu.so"
    subprocess.run([fake_torch.gxx(), "-shared", "-fPIC", "-o", str(own), str(source)], check=True)
    files = {
        "torch_npu/lib/libtorch_npu.so": own,
        "torch_npu/_C.so": built.extensions["ext_missing"],
    }
    write_dist(site, "torch_npu", "2.5.1", files, requires=False)
    tree = Tree(tmp_path / "root")
    tree.__dict__["python"] = PythonInfo("3.11.9", {**PACKAGES, "torch-npu": "2.5.1"}, (SITE,))
    found = _extension_findings(check(tree, fixed()).findings)
    assert sorted(found) == ["extold"]
    # Without its own library, the same `_C` is reported.
    (site / "torch_npu" / "lib" / "libtorch_npu.so").unlink()
    record = site / "torch_npu-2.5.1.dist-info" / "RECORD"
    record.write_text("torch_npu/_C.so,,\n")
    found = _extension_findings(check(tree, fixed()).findings)
    assert sorted(found) == ["extmissing", "extold", "torch-npu"]


def test_flash_attn_is_reported_once(tmp_path: Path, built: fake_torch.Built) -> None:
    """flash-attn 2.5.7 under torch 2.3.0: its release rule (a wheel built against a nightly)
    and its library's missing symbol name the same distribution; one finding, the release
    rule's."""
    from chipdoctor.engine import check

    site = tmp_path / "root" / SITE.lstrip("/")
    write_dist(
        site,
        "torch",
        "2.3.0",
        {"torch/lib/libc10.so": built.torch_lib / "libc10.so"},
        requires=False,
    )
    library = {"flash_attn_2_cuda.cpython-311-x86_64-linux-gnu.so": built.extensions["ext_missing"]}
    write_dist(site, "flash_attn", "2.5.7", library)
    tree = Tree(tmp_path / "root")
    tree.__dict__["python"] = PythonInfo(
        "3.11.9", {"torch": "2.3.0", "flash-attn": "2.5.7"}, (SITE,)
    )
    findings = [f for f in check(tree, fixed()).findings if f.id == "host.extension-torch"]
    assert len(findings) == 1 and "nightly" in str(findings[0].message)
    # flash-attn 2.5.8 (built against the final 2.3.0): the symbol check alone names it.
    tree.__dict__["python"] = PythonInfo(
        "3.11.9", {"torch": "2.3.0", "flash-attn": "2.5.8"}, (SITE,)
    )
    (site / "flash_attn-2.5.7.dist-info").rename(site / "flash_attn-2.5.8.dist-info")
    (found,) = [f for f in check(tree, fixed()).findings if f.id == "host.extension-torch"]
    assert ABSENT in str(found.message)
    assert "--force-reinstall --no-deps flash-attn==2.5.8" in str(found.fix)
    assert "FLASH_ATTENTION_FORCE_BUILD=TRUE pip install" in str(found.fix)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("{providers: /lib/a.so}", "providers must be a list"),
        ("{defines: [1]}", "defines must be a list"),
        ("{wants: []}", "a mapping of defines, lacks, providers, unresolved"),
        ("[a]", "a mapping of defines"),
        ("{unresolved: {count: 0, first: [a]}}", "count must be an integer"),
        ("{unresolved: {count: x}}", "count must be an integer"),
        ("{unresolved: {abi: new}}", "abi must be cxx11 or old"),
        ("{unresolved: [a]}", "unresolved must be a mapping"),
    ],
)
def test_malformed_symbol_records_are_bad_input(tmp_path: Path, record: str, message: str) -> None:
    from chipdoctor.errors import BadInput

    (tmp_path / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\nplatform: {system: Linux, machine: x86_64}\n"
        f"python: {{version: '3.11'}}\nsymbols:\n  /lib/x.so: {record}\n"
    )
    with pytest.raises(BadInput, match=message):
        SnapshotEvidence(tmp_path)


def test_what_the_snapshot_did_not_ask_is_not_answered(tmp_path: Path) -> None:
    from chipdoctor.evidence.base import NotRecorded

    (tmp_path / "snapshot.yaml").write_text(
        "format: chipdoctor-snapshot/3\nplatform: {system: Linux, machine: x86_64}\n"
        "python: {version: '3.11'}\nsymbols:\n  /lib/x.so: {defines: [a], lacks: [b]}\n"
        "  /lib/gone.so: null\n"
        "  /lib/ext.so: {providers: [/lib/x.so], unresolved: {first: [_ZN3c101fEv]}}\n"
    )
    evidence = SnapshotEvidence(tmp_path)
    assert evidence.defined_symbols("/lib/x.so", ("a", "b")) == frozenset({"a"})
    assert evidence.defined_symbols("/lib/gone.so", ("a",)) is None
    assert evidence.unresolved_symbols("/lib/gone.so", ("/lib/x.so",)) is None
    gaps = evidence.unresolved_symbols("/lib/ext.so", ("/lib/x.so",))
    assert gaps is not None and (gaps.count, gaps.first) == (1, ("_ZN3c101fEv",))
    with pytest.raises(NotRecorded):
        evidence.defined_symbols("/lib/x.so", ("c",))
    with pytest.raises(NotRecorded):
        evidence.unresolved_symbols("/lib/ext.so", ("/lib/other.so",))
    with pytest.raises(NotRecorded):
        evidence.unresolved_symbols("/lib/x.so", ())
    with pytest.raises(NotRecorded):
        evidence.unresolved_symbols("/lib/other.so", ())
