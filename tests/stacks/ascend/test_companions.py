"""CANN's companion packages judged from their version files: the kernels/ops package of the
toolkit's release for the chip, and NNAL where torch_npu runs ATB operators (issue 12 item 3)."""

from __future__ import annotations

from functools import partial

from chipdoctor.model import Device, Severity
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.companions import kernels, nnal
from tests import planning

host = partial(planning.host, "ascend")
VLLM = {facts.FACT_ATB_USERS: "vllm-ascend 0.9.1"}


def test_a_complete_install_is_clean() -> None:
    inv = host(facts_=VLLM, torch_npu="2.5.1.post1", cann="8.2.RC1", cann_kernels="8.2.RC1",
               nnal="8.2.RC1")  # fmt: skip
    assert kernels(inv, "8.2.RC1") == [] and nnal(inv, "8.2.RC1") == []


def test_missing_kernels_name_the_package_for_the_chip() -> None:
    inv = host(cann="8.2.RC1", arch="aarch64")
    inv.devices.append(Device("ascend", 0, "910B2C", "OK"))
    (finding,) = kernels(inv, "8.2.RC1")
    assert finding.id == "ascend.kernels-missing" and finding.severity is Severity.ERROR
    assert "Ascend-cann-kernels-910b_8.2.RC1_linux-aarch64.run" in finding.fix


def test_from_cann_8_5_the_ops_package_is_named() -> None:
    inv = host(cann="9.0.0", arch="x86_64")
    inv.devices.append(Device("ascend", 0, "310P3", "OK"))
    (finding,) = kernels(inv, "9.0.0")
    assert "Ascend-cann-310p-ops_9.0.0_linux-x86_64.run" in finding.fix


def test_kernels_of_another_release_are_an_error() -> None:
    (finding,) = kernels(host(cann="8.2.RC1", cann_kernels="8.1.RC1"), "8.2.RC1")
    assert finding.id == "ascend.kernels-cann" and finding.severity is Severity.ERROR


def test_nnal_is_needed_only_where_atb_runs() -> None:
    assert nnal(host(torch_npu="2.5.1", cann="8.2.RC1"), "8.2.RC1") == []
    (finding,) = nnal(host(facts_=VLLM, torch_npu="2.5.1", cann="8.2.RC1", arch="aarch64"),
                      "8.2.RC1")  # fmt: skip
    assert finding.id == "ascend.nnal-missing" and finding.severity is Severity.ERROR
    assert "Ascend-cann-nnal_8.2.RC1_linux-aarch64.run" in finding.fix
    assert "source /usr/local/Ascend/nnal/atb/set_env.sh" in finding.fix
    assert nnal(host(facts_=VLLM, torch_npu="2.0.1", cann="8.2.RC1"), "8.2.RC1") == []


def test_nnal_of_another_cann_is_an_error_for_atb_users_else_a_warning() -> None:
    (plain,) = nnal(host(torch_npu="2.7.1", cann="8.3.RC1", nnal="8.2.RC1"), "8.3.RC1")
    assert plain.id == "ascend.nnal-cann" and plain.severity is Severity.WARNING
    (used,) = nnal(host(facts_=VLLM, torch_npu="2.7.1", cann="8.3.RC1", nnal="8.2.RC1"),
                   "8.3.RC1")  # fmt: skip
    assert used.severity is Severity.ERROR
