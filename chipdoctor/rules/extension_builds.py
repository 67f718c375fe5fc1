"""Compiled extensions whose metadata does not pin the torch they are built for (the
`undefined symbol` class): flash-attn's prebuilt wheels, from its own release workflow.

flash-attn's `setup.py` downloads the wheel named for torch's `major.minor`
(`flash_attn-<v>+cu<cuda>torch<major.minor>cxx11abi<…>`, `get_wheel_url`), and each release's
`.github/workflows/publish.yml` builds those wheels against one torch version per line. A
wheel built against a torch nightly (`2.3.0.dev20240207`) fails on the final release with
undefined symbols, which is the confirmed cause of Dao-AILab/flash-attention#931.
"""

from __future__ import annotations

from collections.abc import Mapping

from packaging.version import InvalidVersion, Version

from chipdoctor.i18n import T
from chipdoctor.model import Finding, Severity
from chipdoctor.rules.common import pip_install, release_line, release_of
from chipdoctor.versions import public_version

FLASH_ATTN_SOURCE = (
    "Dao-AILab/flash-attention .github/workflows/publish.yml `torch-version` at each release "
    "tag v<version> <https://github.com/Dao-AILab/flash-attention>"
)
#: flash-attn release -> the torch versions its prebuilt wheels were built against.
FLASH_ATTN_BUILT_AGAINST: dict[str, tuple[str, ...]] = {
    "2.3.0": ("1.12.1", "1.13.1", "2.0.1", "2.1.0.dev20230731"),
    "2.3.1": ("1.12.1", "1.13.1", "2.0.1", "2.1.0.dev20230731"),
    "2.3.1.post1": ("1.12.1", "1.13.1", "2.0.1", "2.1.0"),
    "2.3.2": ("1.12.1", "1.13.1", "2.0.1", "2.1.0"),
    "2.3.3": ("1.12.1", "1.13.1", "2.0.1", "2.1.0"),
    "2.3.4": ("1.12.1", "1.13.1", "2.0.1", "2.1.0"),
    "2.3.5": ("1.12.1", "1.13.1", "2.0.1", "2.1.0"),
    "2.3.6": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231127"),
    "2.4.0": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231106"),
    "2.4.0.post1": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231106"),
    "2.4.1": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231106"),
    "2.4.2": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231106"),
    "2.4.3": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231130"),
    "2.4.3.post1": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231130"),
    "2.5.0": ("1.12.1", "1.13.1", "2.0.1", "2.1.1", "2.2.0.dev20231130"),
    "2.5.1": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0.dev20231106", "2.3.0.dev20240126"),
    "2.5.1.post1": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0.dev20231106", "2.3.0.dev20240126"),
    "2.5.2": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.3.0.dev20240126"),
    "2.5.3": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.3.0.dev20240126"),
    "2.5.4": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.3.0.dev20240126"),
    "2.5.5": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.3.0.dev20240126"),
    "2.5.6": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.3.0.dev20240105"),
    "2.5.7": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.0", "2.3.0.dev20240207"),
    "2.5.8": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.2", "2.3.0"),
    "2.5.9": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.2", "2.3.0", "2.4.0.dev20240407"),
    "2.5.9.post1": ("1.12.1", "1.13.1", "2.0.1", "2.1.2", "2.2.2", "2.3.0", "2.4.0.dev20240407"),
    "2.6.0": ("2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.0.dev20240512"),
    "2.6.0.post1": ("2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.0.dev20240514"),
    "2.6.1": ("2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.0.dev20240514"),
    "2.6.2": ("2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.0.dev20240527"),
    "2.6.3": ("2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.0"),
    "2.7.0": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1"),
    "2.7.0.post1": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1"),
    "2.7.0.post2": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1"),
    "2.7.1": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241010"),
    "2.7.1.post1": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241010"),
    "2.7.1.post2": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241001"),
    "2.7.1.post3": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241001"),
    "2.7.1.post4": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241001"),
    "2.7.2": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241001"),
    "2.7.2.post1": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241001"),
    "2.7.3": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0.dev20241001"),
    "2.7.4": ("2.1.2", "2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0"),
    "2.7.4.post1": ("2.2.2", "2.3.1", "2.4.0", "2.5.1", "2.6.0"),
    "2.8.0": ("2.4.0", "2.5.1", "2.6.0", "2.7.1"),
    "2.8.0.post1": ("2.4.0", "2.5.1", "2.6.0", "2.7.1"),
    "2.8.0.post2": ("2.4.0", "2.5.1", "2.6.0", "2.7.1"),
    "2.8.1": ("2.4.0", "2.5.1", "2.6.0", "2.7.1"),
    "2.8.2": ("2.4.0", "2.5.1", "2.6.0", "2.7.1"),
    "2.8.3": ("2.4.0", "2.5.1", "2.6.0", "2.7.1", "2.8.0"),
    "2.8.3.post1": ("2.4.0", "2.5.1", "2.6.0", "2.7.1", "2.8.0"),
}  # fmt: skip


def findings(packages: Mapping[str, str]) -> list[Finding]:
    torch, flash = packages.get("torch"), packages.get("flash-attn")
    if torch is None or flash is None:
        return []
    built = built_against(flash, torch)
    if built is None or not _nightly_for_final(built, torch):
        return []
    better = _release_for(torch)
    fix = (
        pip_install(f"flash-attn=={better}") + " --no-build-isolation"
        if better
        else T("Build flash-attn from source against the installed torch.")
    )
    return [
        Finding(
            "host.extension-torch",
            Severity.ERROR,
            ("torch",),
            T(
                "flash-attn {flash}'s prebuilt wheel for torch {line} was built against torch "
                "{built}, a nightly, not torch {torch}: it fails with `undefined symbol` "
                "(source: {source}).",
                flash=flash,
                line=release_line(torch),
                built=built,
                torch=torch,
                source=FLASH_ATTN_SOURCE,
            ),
            fix,
        )
    ]


def built_against(flash: str, torch: str) -> str | None:
    """The torch that flash-attn release's wheel for this torch line was built against."""
    # NOTE: the post release is kept: `2.3.1.post1` was rebuilt against torch 2.1.0, where
    # `2.3.1` used a 2.1.0 nightly.
    for built in FLASH_ATTN_BUILT_AGAINST.get(public_version(flash), ()):
        if release_line(built) == release_line(torch):
            return built
    return None


def _nightly_for_final(built: str, torch: str) -> bool:
    try:
        return Version(built).is_prerelease and not Version(release_of(torch)).is_prerelease
    except InvalidVersion:
        return False


def _release_for(torch: str) -> str | None:
    """The oldest flash-attn release whose wheel for this torch line was built against a final
    torch no newer than the installed one (the smallest upgrade)."""
    for flash in sorted(FLASH_ATTN_BUILT_AGAINST, key=Version):
        built = built_against(flash, torch)
        if built is None or Version(built).is_prerelease:
            continue
        if Version(built) <= Version(release_of(torch)):
            return flash
    return None
