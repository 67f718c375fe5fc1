"""`host.libstdcxx-too-old` and `host.glibc-too-old` (chipdoctor/rules/runtime_versions.py):
the real dynamic loader's "version `X' not found (required by Y)", made here by loading a
library linked against a provider that defines a symbol version through one that lacks it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chipdoctor.model import Symptom
from chipdoctor.rules.runtime_versions import FIRST_GCC, findings
from chipdoctor.symptoms.kinds import CXX_RUNTIME_TOO_OLD, GLIBC_TOO_OLD
from chipdoctor.symptoms.recognise import recognise
from tests.planning import host
from tests.symptoms.test_check_log import check
from tests.symptoms.test_check_log import findings as of_id

#: pytorch/pytorch#123649 (a wheel built on manylinux_2_28 loaded on an older glibc).
TORCH_GLIBC = (
    "ImportError: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by "
    "/__w/_temp/conda_environment_11714251538/lib/python3.10/site-packages/torch/lib/"
    "libtorch_python.so)"
)


def _loader_error(tmp_path: Path, soname: str, base: str, newer: str) -> str:
    """What glibc's loader prints when consumer.so, linked against a `soname` that defines the
    symbol version `newer`, is loaded through one that only has `base`."""
    cc = shutil.which("cc")
    if cc is None:
        if os.environ.get("CI") == "true":
            pytest.fail("cc is missing (.ci/run installs it)")
        pytest.skip("needs a C compiler")
    (tmp_path / "provider.c").write_text("int runtime_call(void) { return 1; }\n")
    (tmp_path / "consumer.c").write_text(
        "int runtime_call(void);\nint consumer_call(void) { return runtime_call(); }\n"
    )
    (tmp_path / "main.c").write_text(
        "int consumer_call(void);\nint main(void) { return consumer_call() - 1; }\n"
    )
    scripts = {
        "new": f"{base} {{ local: *; }};\n{newer} {{ global: runtime_call; }} {base};\n",
        "old": f"{base} {{ global: runtime_call; local: *; }};\n",
    }
    for name, script in scripts.items():
        (tmp_path / name).mkdir()
        (tmp_path / f"{name}.map").write_text(script)
        version_script = f"-Wl,--version-script={tmp_path / f'{name}.map'}"
        _cc(cc, "-shared", "-fPIC", "-o", tmp_path / name / soname, tmp_path / "provider.c",
            f"-Wl,-soname,{soname}", version_script)  # fmt: skip
    _cc(cc, "-shared", "-fPIC", "-o", tmp_path / "consumer.so", tmp_path / "consumer.c",
        tmp_path / "new" / soname)  # fmt: skip
    _cc(cc, "-o", tmp_path / "main", tmp_path / "main.c", tmp_path / "consumer.so",
        f"-Wl,-rpath,{tmp_path}", f"-Wl,-rpath-link,{tmp_path / 'new'}")  # fmt: skip
    env = {"PATH": os.environ.get("PATH", ""), "LD_LIBRARY_PATH": str(tmp_path / "old")}
    ran = subprocess.run(
        [str(tmp_path / "main")], check=False, env=env, capture_output=True, text=True
    )
    assert ran.returncode != 0
    return ran.stderr.strip()


def _cc(*args: str | Path) -> None:
    subprocess.run([str(arg) for arg in args], check=True)


def test_the_loaders_own_text_for_a_missing_glibcxx_version_is_recognised(tmp_path: Path) -> None:
    line = _loader_error(tmp_path, "libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.32")
    assert "version `GLIBCXX_3.4.32' not found" in line
    [symptom] = recognise([line])
    assert symptom.kind == CXX_RUNTIME_TOO_OLD
    assert symptom.value("symver") == "GLIBCXX_3.4.32"
    assert symptom.value("library") == str(tmp_path / "old" / "libstdc++.so.6")
    assert symptom.value("consumer") == str(tmp_path / "consumer.so")
    log = tmp_path / "job.log"
    log.write_text(f"Traceback (most recent call last):\nImportError: {line}\n")
    code, report = check("no-accelerator", log)
    assert code == 1
    [finding] = of_id(report, "host.libstdcxx-too-old")
    assert finding["severity"] == "error"
    assert "GCC 13.2.0" in finding["message"] and "line 2" in finding["message"]
    assert 'conda install -c conda-forge "libstdcxx-ng>=13.2"' in finding["fix"]
    assert "LD_PRELOAD" in finding["fix"]
    assert not of_id(report, "host.log-symptom")  # the rule explains it: no second finding


def test_the_loaders_own_text_for_a_missing_glibc_version_is_recognised(tmp_path: Path) -> None:
    line = _loader_error(tmp_path, "libfakec.so.6", "GLIBC_2.2.5", "GLIBC_2.99")
    [symptom] = recognise([line])
    assert (symptom.kind, symptom.value("glibc")) == (GLIBC_TOO_OLD, "2.99")
    log = tmp_path / "job.log"
    log.write_text(line + "\n")
    code, report = check("no-accelerator", log)
    assert code == 1
    [finding] = of_id(report, "host.glibc-too-old")
    assert finding["severity"] == "error"
    assert "glibc 2.99 or newer" in finding["message"]
    assert "this machine has glibc 2.36" in finding["message"]


def test_a_torch_wheel_on_an_older_glibc_names_pytorchs_manylinux_2_28() -> None:
    [symptom] = recognise([TORCH_GLIBC])
    inv = host("cuda", torch="2.6.0+cu126")
    inv.symptoms.append(symptom)
    [finding] = findings(inv)
    assert finding.id == "host.glibc-too-old" and finding.severity.value == "error"
    assert "glibc 2.28 or newer" in finding.message
    assert "manylinux_2_28" in finding.message and "pytorch/issues/126551" in finding.message


def test_a_glibc_the_machine_has_makes_the_log_a_warning_about_another_environment() -> None:
    [symptom] = recognise([TORCH_GLIBC])
    inv = host("cuda", torch="2.6.0+cu126", glibc="2.35")
    inv.symptoms.append(symptom)
    [finding] = findings(inv)
    assert finding.severity.value == "warning"
    assert "this machine has glibc 2.35" in finding.message
    assert "another machine or container" in finding.message


def test_a_symbol_version_the_manual_does_not_list_still_names_the_package() -> None:
    inv = host("cuda", torch="2.6.0+cu126")
    inv.symptoms.append(Symptom(CXX_RUNTIME_TOO_OLD, (("symver", "GLIBCXX_3.4.99"),), 3, "x"))
    [finding] = findings(inv)
    assert "GLIBCXX_3.4.99" in finding.message and "has from GCC" not in finding.message
    assert "conda install -c conda-forge libstdcxx-ng " in finding.fix


def test_the_gcc_table_holds_the_manuals_rows() -> None:
    # NOTE: spot checks against https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html.
    assert FIRST_GCC["GLIBCXX_3.4.21"] == "5.1.0"
    assert FIRST_GCC["GLIBCXX_3.4.30"] == "12.1.0"
    assert FIRST_GCC["GLIBCXX_3.4.33"] == "14.1.0"
    assert FIRST_GCC["CXXABI_1.3.13"] == "11.1.0"
    assert "CXXABI_1.3.16" not in FIRST_GCC  # RISC-V only
    releases = [tuple(map(int, FIRST_GCC[f"GLIBCXX_3.4.{n}"].split("."))) for n in range(1, 35)]
    assert releases == sorted(releases)


def test_check_deep_reads_the_same_text_with_the_same_catalog_entry() -> None:
    from chipdoctor.smoke.causes import diagnose

    line = "ImportError: …/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by x.so)"
    context = {"set_env": "", "torch": "2.4.1", "torch_cuda": "12.1"}
    diagnosis = diagnose(
        line, stacks=["cuda"], context=context, finding_ids=["host.libstdcxx-too-old"]
    )
    assert diagnosis is not None
    assert "GLIBCXX_3.4.32" in diagnosis.cause and "libstdcxx-ng" in diagnosis.fix
    assert diagnosis.related == ("host.libstdcxx-too-old",)
