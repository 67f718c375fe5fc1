"""Under CI=true, a test that skips for want of what .ci/run installs fails instead.

.ci/run installs dockerd and busybox (the Docker Engine tests), gcc with its cross compilers
(the ELF and loader tests) and g++ with binutils (the symbol checks); a skip that says one of
them is missing means CI did not set it up, and a green run would hide that those tests never
ran. Other skips (a machine without cgroups, a file system without ACLs) stay skips. A part
of CI that adds a tool adds its pattern here. A skip in setup (a fixture's, a skipif mark's)
reports as an error, one in the test as a failure: either fails the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from typing import Any

import pytest

#: What a skip reason says when a tool .ci/run installs is missing.
CI_INSTALLS = re.compile(
    r"dockerd|docker\.io|busybox|Docker Engine"
    r"|cross compiler|-linux-gnu-gcc|gcc-[a-z0-9_]+-linux-gnu|C compiler|needs cc|gcc is not"
    r"|g\+\+ is not|nm is not"
)


def skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if os.environ.get("CI") != "true" or not report.skipped:
        return
    reason = skip_reason(report)
    if CI_INSTALLS.search(reason):
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true and this test skipped: {reason}. .ci/run installs what it needs; "
            "a skip here means it did not run"
        )
