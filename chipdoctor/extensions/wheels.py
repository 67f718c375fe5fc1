"""Which flash-attn wheel is installed, from the `direct_url.json` pip wrote beside it.

pip records in a distribution's `*.dist-info/direct_url.json` the URL it was installed from
when that was a URL or a local file (PEP 610,
https://packaging.python.org/en/latest/specifications/direct-url/): for a wheel, the archive
form `{"url": "file:///…/name.whl", "archive_info": {…}}`, the file name percent-encoded
(`+` as `%2B`). flash-attn's prebuilt wheels carry in their file name only (the version inside
stays plain) the local tag `+cu<cuda>torch<major.minor>cxx11abi<TRUE|FALSE>`: its build
workflow renames each wheel so (`tmpname=cu…torch…cxx11abi${{ inputs.cxx11_abi }}`, built
with `FLASH_ATTENTION_FORCE_CXX11_ABI` set to that value; Dao-AILab/flash-attention
.github/workflows/_build.yml, publish.yml before it), and its `setup.py` picks the wheel by
the same tag (`get_wheel_url`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from chipdoctor.evidence.base import Evidence, UnreadableError
from chipdoctor.extensions.installed import extension_dists
from chipdoctor.versions import public_version

#: A flash-attn release wheel's file name, as its build workflow names it.
FLASH_WHEEL = re.compile(
    r"flash_attn-(?P<version>[0-9][0-9a-z.]{0,30})\+cu(?P<cuda>[0-9]{2,4})"
    r"torch(?P<torch>[0-9]{1,2}\.[0-9]{1,3})cxx11abi(?P<abi>TRUE|FALSE)"
    r"-(?P<tags>cp[0-9]{2,3}-[a-z0-9]{1,10}-[a-z0-9_]{1,80})\.whl"
)
RELEASES = "https://github.com/Dao-AILab/flash-attention/releases/download"
_MAX_URL = 4096


@dataclass(frozen=True)
class FlashWheel:
    """The flash-attn wheel a distribution was installed from."""

    dist: str
    version: str
    file_name: str
    torch_line: str
    cxx11: bool

    def renamed(self, torch_line: str, cxx11: bool) -> str:
        """The file name of the same release's wheel for another torch line and ABI."""
        match = FLASH_WHEEL.fullmatch(self.file_name)
        assert match is not None
        abi = "TRUE" if cxx11 else "FALSE"
        return (
            f"flash_attn-{match['version']}+cu{match['cuda']}torch{torch_line}cxx11abi{abi}"
            f"-{match['tags']}.whl"
        )

    def url(self, file_name: str) -> str:
        """Where the release publishes `file_name` (flash-attn setup.py BASE_WHEEL_URL)."""
        return f"{RELEASES}/v{public_version(self.version)}/{file_name}"


def archive_url(text: str) -> str | None:
    """The `url` of a PEP 610 archive record; None for anything else (a VCS or directory
    install, text that is not such a JSON object)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("archive_info"), dict):
        return None
    url = data.get("url")
    return url if isinstance(url, str) and len(url) <= _MAX_URL else None


def wheel_file_name(url: str) -> str:
    """The file name at the end of `url`'s path, percent-decoded: a query (`?download=true`)
    or fragment (`#sha256=…`) is no part of it."""
    try:
        path = urlsplit(url).path
    except ValueError:  # an invalid IPv6 netloc
        return ""
    return unquote(path.rsplit("/", 1)[-1])


def flash_wheels(
    evidence: Evidence, infos: dict[tuple[str, str], tuple[str, str]]
) -> list[FlashWheel]:
    """The torch extensions installed from a flash-attn release wheel, by its file name."""
    found: list[FlashWheel] = []
    for name, version, site, dist_info in extension_dists(evidence, infos):
        try:
            text = evidence.read_text(f"{site}/{dist_info}/direct_url.json")
        except UnreadableError:
            continue
        url = archive_url(text) if text else None
        file_name = wheel_file_name(url) if url else ""
        match = FLASH_WHEEL.fullmatch(file_name)
        if match is None or match["version"] != public_version(version):
            continue
        found.append(FlashWheel(name, version, file_name, match["torch"], match["abi"] == "TRUE"))
    return found
