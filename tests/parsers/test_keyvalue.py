"""Tests for chipdoctor.parsers.keyvalue on the real files quoted in ascend.md section 3."""

from __future__ import annotations

from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipdoctor.parsers.keyvalue import (
    get_ci,
    inner_release,
    parse_bracket_ranges,
    parse_key_values,
    parse_version_cfg,
)

# ascend.md §3.1 sample 1: vllm-project/vllm-ascend#4621, CANN 8.3.RC2 on x86_64.
TOOLKIT_INFO_8_3_RC2 = """\
package_name=Ascend-cann-toolkit
version=8.3.RC2
innerversion=V100R001C23SPC002B210
compatible_version=[V100R001C15],[V100R001C18],[V100R001C19],[V100R001C20],[V100R001C21],[V100R001C23]
arch=x86_64
os=linux
path=/usr/local/Ascend/ascend-toolkit/8.3.RC2/x86_64-linux
"""

# ascend.md §3.1 sample 2: TencentARC/mllm-npu README.md, pasted with its shell prompt
# (the prompt line ends with a space in the source).
TOOLKIT_INFO_8_0_T6 = (
    "> cat /usr/local/Ascend/ascend-toolkit/latest/x86_64-linux/ascend_toolkit_install.info \n"
    """\
package_name=Ascend-cann-toolkit
version=8.0.T6
innerversion=V100R001C17B214
compatible_version=[V100R001C15,V100R001C18],[V100R001C30],[V100R001C13],[V100R003C11],[V100R001C29],[V100R001C10]
arch=x86_64
os=linux
path=/usr/local/Ascend/ascend-toolkit/8.0.T6/x86_64-linux
"""
)

# ascend.md §3.3: toolkit version.info from the MindIE 2.1.RC1 image doc (with its prompt).
TOOLKIT_VERSION_INFO_8_2 = """\
/usr/local/Ascend/ascend-toolkit/latest/toolkit# cat version.info
Version=8.2.0.0.201
version_dir=8.2.RC1
timestamp=20250724_194044950
required_package_amct_acl_version="8.2"
required_package_aoe_version="8.2"
required_package_compiler_version="8.2"
required_package_fwkplugin_version="8.2"
required_package_hccl_version="8.2"
required_package_nca_version="8.2"
required_package_ncs_version="8.2"
required_package_opp_version="8.2"
required_package_opp_kernel_version=">=7.6, <=8.2"
required_package_runtime_version="8.2"
"""

# ascend.md §3.3: NNAL/ATB version.info ("key : value", indented).
NNAL_VERSION_INFO_8_2 = """\
/usr/local/Ascend/nnal/atb/latest# cat version.info
    Ascend-cann-atb : 8.2.RC1
    Ascend-cann-atb Version : 8.2.RC1.B150
    Platform : aarch64
    branch : br_release_cann_8.2.RC1_20251226
    commit id : f10dc20391d8af04c3f8024aca0e0dfa94d2a0a5
"""

# ascend.md §3.3: opp version.info for CANN 8.5.0 (PyPTO doc, indented).
OPP_VERSION_INFO_8_5 = """\
/usr/local/Ascend/ascend-toolkit/latest/opp/version.info
    Version=8.5.0.2.220
    version_dir=8.5.0
    timestamp=20251117_000024591
    required_package_amct_acl_version="8.5"
"""

# ascend.md §3.4: driver version.info 25.0.rc1.1 (MindIE 2.1.RC1 doc).
DRIVER_INFO_25_0_RC1_1 = """\
/usr/local/Ascend/driver# cat version.info
Version=25.0.rc1.1
ascendhal_version=7.35.23
aicpu_version=1.0
tdt_version=1.0
log_version=1.0
prof_version=2.0
dvppkernels_version=1.1
tsfw_version=1.0
Innerversion=V100R001C21SPC002B220
compatible_version=[V100R001C17],[V100R001C18],[V100R001C19],[V100R001C20],[V100R001C21]
compatible_version_fw=[7.0.0,7.7.99]
package_version=25.0.rc1.1
"""

# ascend.md §3.4: firmware version.info on the same host.
FIRMWARE_INFO_7_7_0_1_231 = """\
/usr/local/Ascend/firmware# cat version.info
Version=7.7.0.1.231
firmware_version=1.0
package_version=25.0.rc1.1
compatible_version_drv=[23.0.0,23.0.0.],[24.0,24.0.],[24.1,24.1.],[25.0,25.0.]
"""

# ascend.md §3.4: driver 24.1.rc2.2 (MindIE 2.0.T3.1 image doc).
DRIVER_INFO_24_1_RC2_2 = """\
# cat /usr/local/Ascend/driver/version.info
Version=24.1.rc2.2
ascendhal_version=7.35.23
aicpu_version=1.0
tdt_version=1.0
log_version=1.0
prof_version=2.0
dvppkernels_version=1.1
tsfw_version=1.0
Innerversion=V100R001C18SPC001B233
compatible_version=[V100R001C30],[V100R001C13],[V100R001C15],[V100R001C17],[V100R001C18]
compatible_version_fw=[7.0.0,7.2.99]
package_version=24.1.rc2.2
"""

# ascend.md §3.4: driver 25.3.rc1 (PyPTO doc; indented, with "..." elisions).
DRIVER_INFO_25_3_RC1 = """\
/usr/local/Ascend/driver/version.info
    Version=25.3.rc1
    ascendhal_version=7.35.23
    ...
    Innerversion=V100R001C23SPC002B212
    compatible_version=[V100R001C19],[V100R001C20],[V100R001C21],[V100R001C22],[V100R001C23]
    compatible_version_fw=[7.0.0,8.9.9]
    package_version=25.3.rc1
"""

# ascend.md §3.4: old format, HDK 20.2.0 (Ascend/ascend-docker-image ascend-infer/version.info).
DRIVER_INFO_20_2_0 = """\
Version=20.2.0
required_firmware_firmware_version=1.0
"""

# ascend.md §3.5: /etc/ascend_install.info, old format (Ascend/ascend-docker-image).
ASCEND_INSTALL_INFO_OLD = """\
UserName=HwHiAiUser
UserGroup=HwHiAiUser
Driver_Install_Type=run
Driver_Install_Path_Param=/usr/local/Ascend
Driver_Install_For_All=no
Firmware_Install_Type=run
Firmware_Install_Path_Param=/usr/local/Ascend
Aicpu_Kernels_Install_Type=full
Aicpu_Kernels_Install_Path_Param=/usr/local/Ascend
"""

# ascend.md §3.5: newer format (liguodongiot/llm-action ascend910-env-install.md).
ASCEND_INSTALL_INFO_NEW = """\
> cat /etc/ascend_install.info
UserName=HwHiAiUser
UserGroup=HwHiAiUser
Firmware_Install_Type=full
Firmware_Install_Path_Param=/usr/local/Ascend
Driver_Install_Type=full
Driver_Install_Path_Param=/usr/local/Ascend
Driver_Install_For_All=yes
"""

# ascend.md §3.2: version.cfg from an 8.0.0 install (.rst doc, repository not identified).
VERSION_CFG_8_0_0 = """\
cat /usr/local/Ascend/ascend-toolkit/latest/version.cfg

# version: 1.0
runtime_running_version=[7.6.0.1.220:8.0.0]
compiler_running_version=[7.6.0.1.220:8.0.0]
hccl_running_version=[7.6.0.1.220:8.0.0]
opp_running_version=[7.6.0.1.220:8.0.0]
toolkit_running_version=[7.6.0.1.220:8.0.0]
aoe_running_version=[7.6.0.1.220:8.0.0]
ncs_running_version=[7.6.0.1.220:8.0.0]
runtime_upgrade_version=[7.6.0.1.220:8.0.0]
compiler_upgrade_version=[7.6.0.1.220:8.0.0]
hccl_upgrade_version=[7.6.0.1.220:8.0.0]
opp_upgrade_version=[7.6.0.1.220:8.0.0]
toolkit_upgrade_version=[7.6.0.1.220:8.0.0]
aoe_upgrade_version=[7.6.0.1.220:8.0.0]
ncs_upgrade_version=[7.6.0.1.220:8.0.0]
runtime_installed_version=[7.6.0.1.220:8.0.0]
compiler_installed_version=[7.6.0.1.220:8.0.0]
hccl_installed_version=[7.6.0.1.220:8.0.0]
opp_installed_version=[7.6.0.1.220:8.0.0]
toolkit_installed_version=[7.6.0.1.220:8.0.0]
aoe_installed_version=[7.6.0.1.220:8.0.0]
ncs_installed_version=[7.6.0.1.220:8.0.0]
"""

ALL_SAMPLES = [
    TOOLKIT_INFO_8_3_RC2,
    TOOLKIT_INFO_8_0_T6,
    TOOLKIT_VERSION_INFO_8_2,
    NNAL_VERSION_INFO_8_2,
    OPP_VERSION_INFO_8_5,
    DRIVER_INFO_25_0_RC1_1,
    FIRMWARE_INFO_7_7_0_1_231,
    DRIVER_INFO_24_1_RC2_2,
    DRIVER_INFO_25_3_RC1,
    DRIVER_INFO_20_2_0,
    ASCEND_INSTALL_INFO_OLD,
    ASCEND_INSTALL_INFO_NEW,
    VERSION_CFG_8_0_0,
]


# --- parse_key_values on real files -------------------------------------------------------


def test_toolkit_install_info_exact() -> None:
    assert parse_key_values(TOOLKIT_INFO_8_3_RC2) == {
        "package_name": "Ascend-cann-toolkit",
        "version": "8.3.RC2",
        "innerversion": "V100R001C23SPC002B210",
        "compatible_version": (
            "[V100R001C15],[V100R001C18],[V100R001C19],[V100R001C20],[V100R001C21],[V100R001C23]"
        ),
        "arch": "x86_64",
        "os": "linux",
        "path": "/usr/local/Ascend/ascend-toolkit/8.3.RC2/x86_64-linux",
    }


def test_pasted_prompt_line_is_ignored() -> None:
    values = parse_key_values(TOOLKIT_INFO_8_0_T6)
    assert list(values) == [
        "package_name",
        "version",
        "innerversion",
        "compatible_version",
        "arch",
        "os",
        "path",
    ]
    assert values["version"] == "8.0.T6"
    assert values["innerversion"] == "V100R001C17B214"


def test_toolkit_version_info_unquotes_values() -> None:
    values = parse_key_values(TOOLKIT_VERSION_INFO_8_2)
    assert values["Version"] == "8.2.0.0.201"
    assert values["version_dir"] == "8.2.RC1"
    assert values["required_package_runtime_version"] == "8.2"
    assert values["required_package_opp_kernel_version"] == ">=7.6, <=8.2"
    assert len(values) == 13


def test_nnal_colon_style() -> None:
    assert parse_key_values(NNAL_VERSION_INFO_8_2) == {
        "Ascend-cann-atb": "8.2.RC1",
        "Ascend-cann-atb Version": "8.2.RC1.B150",
        "Platform": "aarch64",
        "branch": "br_release_cann_8.2.RC1_20251226",
        "commit id": "f10dc20391d8af04c3f8024aca0e0dfa94d2a0a5",
    }


def test_indented_opp_version_info() -> None:
    assert parse_key_values(OPP_VERSION_INFO_8_5) == {
        "Version": "8.5.0.2.220",
        "version_dir": "8.5.0",
        "timestamp": "20251117_000024591",
        "required_package_amct_acl_version": "8.5",
    }


def test_driver_version_info_25_0_rc1_1() -> None:
    values = parse_key_values(DRIVER_INFO_25_0_RC1_1)
    assert values["Version"] == "25.0.rc1.1"
    assert values["package_version"] == "25.0.rc1.1"
    assert values["Innerversion"] == "V100R001C21SPC002B220"
    assert values["compatible_version_fw"] == "[7.0.0,7.7.99]"
    assert len(values) == 12


def test_firmware_version_info() -> None:
    assert parse_key_values(FIRMWARE_INFO_7_7_0_1_231) == {
        "Version": "7.7.0.1.231",
        "firmware_version": "1.0",
        "package_version": "25.0.rc1.1",
        "compatible_version_drv": "[23.0.0,23.0.0.],[24.0,24.0.],[24.1,24.1.],[25.0,25.0.]",
    }


def test_driver_24_1_rc2_2_and_elided_25_3_rc1() -> None:
    assert parse_key_values(DRIVER_INFO_24_1_RC2_2)["Version"] == "24.1.rc2.2"
    values = parse_key_values(DRIVER_INFO_25_3_RC1)
    assert values == {
        "Version": "25.3.rc1",
        "ascendhal_version": "7.35.23",
        "Innerversion": "V100R001C23SPC002B212",
        "compatible_version": (
            "[V100R001C19],[V100R001C20],[V100R001C21],[V100R001C22],[V100R001C23]"
        ),
        "compatible_version_fw": "[7.0.0,8.9.9]",
        "package_version": "25.3.rc1",
    }


def test_old_driver_format() -> None:
    assert parse_key_values(DRIVER_INFO_20_2_0) == {
        "Version": "20.2.0",
        "required_firmware_firmware_version": "1.0",
    }


def test_ascend_install_info_both_formats() -> None:
    old = parse_key_values(ASCEND_INSTALL_INFO_OLD)
    assert old["Driver_Install_Type"] == "run"
    assert old["Driver_Install_For_All"] == "no"
    assert "Driver_Install_Status" not in old
    assert len(old) == 9
    new = parse_key_values(ASCEND_INSTALL_INFO_NEW)
    assert new["Driver_Install_Type"] == "full"
    assert new["Driver_Install_For_All"] == "yes"
    assert len(new) == 7


def test_first_occurrence_wins_and_empty_values_kept() -> None:
    text = "Version=1\nVersion=2\n  version = 3 \nATB_SHARE_MEMORY_NAME_SUFFIX=\n"
    assert parse_key_values(text) == {
        "Version": "1",
        "version": "3",
        "ATB_SHARE_MEMORY_NAME_SUFFIX": "",
    }


def test_garbage_lines_are_skipped() -> None:
    text = "root@host:/# npu-smi info\n=novalue\n: nokey\njust words\n| 0 910B1 | OK |\nkey=value\n"
    assert parse_key_values(text) == {"key": "value"}


def test_crlf_line_endings() -> None:
    assert parse_key_values("Version=25.5.1\r\npackage_version=25.5.1\r\n") == {
        "Version": "25.5.1",
        "package_version": "25.5.1",
    }


# --- get_ci -------------------------------------------------------------------------------


def test_get_ci_matches_either_spelling() -> None:
    driver = parse_key_values(DRIVER_INFO_25_0_RC1_1)
    toolkit = parse_key_values(TOOLKIT_INFO_8_3_RC2)
    assert get_ci(driver, "version") == "25.0.rc1.1"
    assert get_ci(driver, "innerversion") == "V100R001C21SPC002B220"
    assert get_ci(toolkit, "Version") == "8.3.RC2"
    assert get_ci(toolkit, "Innerversion") == "V100R001C23SPC002B210"
    assert get_ci(toolkit, "compatible_version_fw") is None


def test_get_ci_prefers_exact_key() -> None:
    assert get_ci({"version": "a", "Version": "b"}, "Version") == "b"
    assert get_ci({"version": "a", "VERSION": "b"}, "Version") == "a"


# --- parse_bracket_ranges ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "[V100R001C15,V100R001C18],[V100R001C30]",
            [("V100R001C15", "V100R001C18"), ("V100R001C30", None)],
        ),
        ("[7.0.0,7.7.99]", [("7.0.0", "7.7.99")]),
        ("[6.4.0,6.4.99],[7.0.0,7.7.99]", [("6.4.0", "6.4.99"), ("7.0.0", "7.7.99")]),
        (
            "[23.0.0,23.0.0.],[24.0,24.0.],[24.1,24.1.],[25.0,25.0.]",
            [("23.0.0", "23.0.0."), ("24.0", "24.0."), ("24.1", "24.1."), ("25.0", "25.0.")],
        ),
        (" [ 7.0.0 , 8.9.9 ] ", [("7.0.0", "8.9.9")]),
        ("[a,b,c],[],[x,],[,y],[ y ],[unclosed", [("y", None)]),
        ("", []),
        ("7.0.0,7.7.99", []),
    ],
)
def test_parse_bracket_ranges(value: str, expected: list[tuple[str, Optional[str]]]) -> None:
    assert parse_bracket_ranges(value) == expected


def test_bracket_ranges_of_real_toolkit_list() -> None:
    toolkit = parse_key_values(TOOLKIT_INFO_8_0_T6)
    assert parse_bracket_ranges(toolkit["compatible_version"]) == [
        ("V100R001C15", "V100R001C18"),
        ("V100R001C30", None),
        ("V100R001C13", None),
        ("V100R003C11", None),
        ("V100R001C29", None),
        ("V100R001C10", None),
    ]


# --- inner_release -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("V100R001C21SPC002B220", "V100R001C21"),
        ("V100R001C17B214", "V100R001C17"),
        ("V100R001C10SPC100B203", "V100R001C10"),
        ("V100R001C23", "V100R001C23"),
        ("  V100R001C23SPC002B210\n", "V100R001C23"),
        ("V100R001C215", None),
        ("v100r001c21", None),
        ("V10R001C21", None),
        ("8.0.0", None),
        ("", None),
    ],
)
def test_inner_release(value: str, expected: Optional[str]) -> None:
    assert inner_release(value) == expected


# --- parse_version_cfg -------------------------------------------------------------------


def test_version_cfg_8_0_0() -> None:
    cfg = parse_version_cfg(VERSION_CFG_8_0_0)
    assert len(cfg) == 21
    assert set(cfg.values()) == {"8.0.0"}
    assert cfg["runtime_running_version"] == "8.0.0"
    assert cfg["toolkit_installed_version"] == "8.0.0"


def test_version_cfg_other_published_values() -> None:
    # ascend.md §3.2: CANN 8.0.T63 in the MindIE 2.0.T3.1 image, and CANN 8.1.RC1.
    assert parse_version_cfg("runtime_running_version=[7.6.T13.0.B094:8.0.T63]") == {
        "runtime_running_version": "8.0.T63"
    }
    assert parse_version_cfg("runtime_running_version=[7.7.T20.0.B210:8.1.RC1]\n") == {
        "runtime_running_version": "8.1.RC1"
    }


def test_version_cfg_odd_shapes() -> None:
    text = (
        "a=[8.0.0]\n"  # no inner version: the bracket content is the version
        "b=[7.6.0:8.0.0],[7.5.0:8.0.RC3]\n"  # only the first entry is used
        "c=[7.6.0:]\n"  # empty public part: skipped
        "d=8.0.0\n"  # not bracketed: skipped
        "e=[x,y]\n"  # a range, not a version: skipped
    )
    assert parse_version_cfg(text) == {"a": "8.0.0", "b": "8.0.0"}


# --- never raise --------------------------------------------------------------------------

_FUZZ = settings(max_examples=200, deadline=None)


@_FUZZ
@given(st.text())
def test_parse_key_values_never_raises(text: str) -> None:
    result = parse_key_values(text)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items())
    assert all(k == k.strip() and k for k in result)


@_FUZZ
@given(st.text(), st.text())
def test_get_ci_never_raises(text: str, key: str) -> None:
    value = get_ci(parse_key_values(text), key)
    assert value is None or isinstance(value, str)


@_FUZZ
@given(st.text())
def test_parse_bracket_ranges_never_raises(text: str) -> None:
    for lo, hi in parse_bracket_ranges(text):
        assert lo
        assert hi is None or hi


@_FUZZ
@given(st.text(alphabet="[],.: V0123456789R C\n", max_size=80))
def test_parse_bracket_ranges_never_raises_on_bracket_soup(text: str) -> None:
    parse_bracket_ranges(text)


@_FUZZ
@given(st.text())
def test_inner_release_never_raises(text: str) -> None:
    result = inner_release(text)
    assert result is None or len(result) == 11


@_FUZZ
@given(st.text())
def test_parse_version_cfg_never_raises(text: str) -> None:
    assert all(value for value in parse_version_cfg(text).values())


@_FUZZ
@given(st.sampled_from(ALL_SAMPLES), st.data())
def test_mutated_samples_never_raise(sample: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(sample)))
    end = data.draw(st.integers(start, len(sample)))
    lines = data.draw(st.permutations(sample[start:end].splitlines()))
    text = "\n".join(lines)
    parse_key_values(text)
    parse_version_cfg(text)
    for value in parse_key_values(text).values():
        parse_bracket_ranges(value)
        inner_release(value)
