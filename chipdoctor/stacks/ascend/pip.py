"""The pip lines of the Ascend fixes: torch from its CPU index (torch_npu runs on the CPU build
of torch), torch_npu from PyPI, the Ascend release page, or where vllm-ascend's installation
guide takes a dev build from."""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.rules.common import TORCH_CPU_INDEX, pip_install, release_of, same_release

RELEASES_URL = "https://gitcode.com/Ascend/pytorch/releases"
#: The Ascend PyPI mirror vllm-ascend's guides add "For torch-npu dev version".
ASCEND_PYPI = "https://mirrors.huaweicloud.com/ascend/repos/pypi"
_GUIDE = "https://github.com/vllm-project/vllm-ascend/blob/{}/docs/source/installation.md"

#: torch_npu daily builds on no index: (tarball URL with `{py}` for the Python tag, the Python
#: tags published, source). vllm-ascend v0.7.1rc1's installation guide installs torch_npu
#: 2.5.1.dev20250218 "because that vllm-ascend relies on an unreleased version of torch-npu":
#: `wget https://pytorch-package.obs.cn-north-4.myhuaweicloud.com/pta/Daily/v2.5.1/20250218.4/
#: pytorch_v2.5.1_py310.tar.gz`, `tar -xvf`, `pip install ./torch_npu-2.5.1.dev20250218-cp310-…
#: .whl`, listing the py39, py310 and py311 tarballs.
DAILY: dict[str, tuple[str, tuple[str, ...], str]] = {
    "2.5.1.dev20250218": (
        "https://pytorch-package.obs.cn-north-4.myhuaweicloud.com/pta/Daily/v2.5.1/20250218.4/"
        "pytorch_v2.5.1_py{py}.tar.gz",
        ("39", "310", "311"),
        _GUIDE.format("f17417f2d5b5b6cbb3c8929c5d826540a811918e"),
    ),
}

#: torch_npu dev builds vllm-ascend's guides install through ASCEND_PYPI, with the guide: v0.9.1rc1
#: (`export PIP_EXTRA_INDEX_URL=https://mirrors.huaweicloud.com/ascend/repos/pypi`, torch-npu
#: >= 2.5.1.post1.dev20250528), v0.9.2rc1 and v0.10.0rc1 (`pip config set global.extra-index-url
#: "https://download.pytorch.org/whl/cpu/ https://mirrors.huaweicloud.com/ascend/repos/pypi"`,
#: "For torch-npu dev version or x86 machine"; 2.5.1.post1.dev20250619, 2.7.1.dev20250724).
ON_ASCEND_PYPI: dict[str, str] = {
    "2.5.1.post1.dev20250528": _GUIDE.format("c30ddb83313da9db644a17fa779a297f80368a80"),
    "2.5.1.post1.dev20250619": _GUIDE.format("b5b7e0ecc765adfec4ec4efdd14bfc7cce715e23"),
    "2.7.1.dev20250724": _GUIDE.format("4604882a3e2c6abe4f02318861a90b46a8794488"),
}


def torch_line(version: str) -> str:
    return pip_install(f"torch=={version}", index_url=TORCH_CPU_INDEX)


def torch_npu_line(torch_npu: str, torch: str | None, python: str | None = None) -> str:
    """torch_npu, with the torch release it is built for first where the installed one differs.
    `python`: the installed Python's version, which picks a daily build's tarball."""
    prefix = ""
    if torch is not None and not same_release(torch, torch_npu):
        prefix = f"{torch_line(release_of(torch_npu))} && "
    if torch_npu in DAILY:
        url, tags, source = DAILY[torch_npu]
        tag = "".join((python or "").split(".")[:2])
        listed = ", ".join(f"{t[0]}.{t[1:]}" for t in tags)
        if python and tag not in tags:
            return T(
                "{command}   # a daily build published for Python {tags} only, not {python}: "
                "{source}",
                command=prefix + pip_install(f"torch-npu=={torch_npu}"),
                tags=listed,
                python=python,
                source=source,
            )
        return T(
            "{command}   # the daily build vllm-ascend's installation guide installs, on no "
            "index (Python {tags}): {source}",
            command=prefix + _daily(torch_npu, url, tag or None),
            tags=listed,
            source=source,
        )
    if torch_npu in ON_ASCEND_PYPI:
        return T(
            "{command}   # a dev build on the Ascend PyPI mirror: {source}",
            command=prefix + f"{pip_install(f'torch-npu=={torch_npu}')} --extra-index-url "
            f"{ASCEND_PYPI}",
            source=ON_ASCEND_PYPI[torch_npu],
        )
    line = prefix + pip_install(f"torch-npu=={torch_npu}")
    return T("{command}   # wheels not on PyPI: {url}", command=line, url=RELEASES_URL)


def _daily(torch_npu: str, url: str, tag: str | None) -> str:
    """Download the tarball into ./pta and let pip pick the wheel for this Python and machine
    from it (`--find-links`), its dependencies from the index. Without a known Python, the
    shell asks python3 for its tag."""
    py = tag or "$py"
    ask = "" if tag else "py=$(python3 -c \"import sys; print('%d%d' % sys.version_info[:2])\") && "
    tarball = url.rsplit("/", 1)[1].format(py=py)
    return (
        f"{ask}wget -P pta {url.format(py=py)} && tar -xzf pta/{tarball} -C pta && "
        f"{pip_install(f'torch-npu=={torch_npu}')} --find-links pta"
    )
