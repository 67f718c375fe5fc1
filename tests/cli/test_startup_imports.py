"""What `chipdoctor check` imports on a host without accelerators (issue 16: start-up): no rich
for a table that goes to a pipe, no other command's module, no parser of an absent stack. The
time itself is a benchmark's figure (benchmarks/bench_check.py), not a test's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import SNAPSHOTS

#: Modules a check of a host without accelerators has no use for.
UNWANTED = (
    "rich",
    "typer",  # the command line is chipdoctor/cli/options.py (issue 16)
    "click",
    "chipdoctor.cli.helptext",  # --help alone
    "difflib",  # a misspelt command or option alone
    "traceback",  # an internal error alone
    "subprocess",  # no tool runs
    "platform",  # os.uname and confstr say the same (evidence/host.py)
    "gettext",  # English needs no catalog
    "packaging",  # no stack: no version is compared
    "chipdoctor.rules.data",
    "hashlib",  # OpenSSL: ~4 MiB of RSS; no updated data is installed to verify
    "chipdoctor.cli.fix",
    "chipdoctor.cli.snapshot",
    "chipdoctor.cli.matrix",
    "chipdoctor.cli.fleet",
    "chipdoctor.cli.ops",
    "chipdoctor.stacks.ascend.npu_smi",
    "chipdoctor.stacks.cuda.nvidia_smi",
    "chipdoctor.stacks.cambricon.cnmon",
    "chipdoctor.stacks.musa.parsers",
    "chipdoctor.stacks._hip.smi_table",
    "chipdoctor.stacks.rocm.amd_smi",
    "chipdoctor.symptoms.reading",  # --log alone
    "chipdoctor.symptoms.recognise",
    "chipdoctor.symptoms.judge",
)

_CHECK = """
import sys
from chipdoctor.cli import main
try:
    main(['check', '--snapshot', sys.argv[1], *sys.argv[2:]])
except SystemExit:
    pass
sys.stderr.write(' '.join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_check_imports_only_what_its_output_needs(fmt: str) -> None:
    # A fresh interpreter: what is imported is a property of the whole start-up.
    result = subprocess.run(
        [sys.executable, "-c", _CHECK, str(SNAPSHOTS / "no-accelerator"), "--format", fmt],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "nothing is incompatible" in result.stdout or '"status": "ok"' in result.stdout
    loaded = set(result.stderr.split())
    assert "chipdoctor.cli.check" in loaded
    assert [m for m in loaded if m.split(".")[0] in UNWANTED or m in UNWANTED] == []


#: What a check of this machine, whatever it holds, does without (evidence/host.py, cli/app.py).
LIVE_UNWANTED = ("typer", "click", "traceback", "difflib", "shutil", "chipdoctor.cli.helptext")

_LIVE = """
import sys
from chipdoctor.cli import main
try:
    main(['check', '--format', 'json'])
except SystemExit:
    pass
sys.stderr.write(' '.join(sorted(sys.modules)))
"""


def test_a_check_of_this_machine_reads_its_platform_without_platform_or_shutil() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LIVE], capture_output=True, text=True, check=True
    )
    assert '"format": "chipdoctor-report/1"' in result.stdout
    loaded = set(result.stderr.split())
    assert [m for m in loaded if m.split(".")[0] in LIVE_UNWANTED or m in LIVE_UNWANTED] == []
    # NOTE: where the C library names no glibc (musl), platform.libc_ver() is what answers.
    if len((os.confstr("CS_GNU_LIBC_VERSION") or "").split()) == 2:
        assert "platform" not in loaded
