"""NVIDIA's driver redistributable manifests, `redistrib_<driver>.json` under
developer.download.nvidia.com/compute/nvidia-driver/redist/: per driver release, the packages it
ships, among them `cuda_compat`, the CUDA forward-compatibility package, whose `cuda_variant`
names the CUDA release that driver implements.

From CUDA 13.4 NVIDIA publishes a driver branch per toolkit instead of an exact minimum; for such
a release the lowest branch among the recorded manifests whose `cuda_compat` is built for it is
the branch a `toolkit_driver` row asks for (`>=620`, `branch: R620`). Older releases have an exact
minimum in the release notes, so their manifests are passed over (the summary says so).

A recorded manifest may be an excerpt (SOURCE.md `excerpt: true`): the JSON cut off part-way.
Its complete top-level members are read one by one with the json module's decoder, and the cut
ends the reading; a manifest not marked as an excerpt must be whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chipdoctor.matrix.refresh.model import Generated, RecordedFile, SourceError, recorded_files

NAME = "nvidia-driver-redist"
BRANCH_ONLY_FROM = (13, 4)  # NVIDIA names only a driver branch from this CUDA release on
_NEEDED = ("release_date", "release_label", "release_product", "cuda_compat")


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "cuda")
    lowest: dict[str, tuple[int, list[str]]] = {}  # CUDA -> (branch, source ids)
    sources: dict[str, dict[str, str]] = {}
    for recorded in recorded_files(directory):
        manifest = _manifest(recorded)
        label = str(manifest["release_label"])
        branch = _branch(label, str(recorded.path))
        source_id = f"gen-nv-driver-redist-{label}"
        variants = _variants(manifest["cuda_compat"], str(recorded.path))
        sources[source_id] = recorded.source(
            f"NVIDIA driver {label} redistributable manifest redistrib_{label}.json "
            f"({manifest['release_date']}): its cuda_compat package is built for CUDA "
            + ", ".join(variants)
        )
        for cuda in variants:
            if _release(cuda) < BRANCH_ONLY_FROM:
                out.skipped.append(
                    f"CUDA {cuda} (driver {label}): NVIDIA publishes an exact minimum for it"
                )
                continue
            known = lowest.get(cuda)
            if known is None or branch < known[0]:
                lowest[cuda] = (branch, [source_id])
            elif branch == known[0]:
                known[1].append(source_id)
    for cuda in sorted(lowest, key=_release, reverse=True):
        branch, cited = lowest[cuda]
        out.sources.update({source_id: sources[source_id] for source_id in cited})
        out.add(
            "toolkit_driver",
            {
                "cuda": cuda,
                "nvidia_driver": f">={branch}",
                "branch": f"R{branch}",
                "source": cited[0] if len(cited) == 1 else cited,
                "note": f"CUDA {cuda}: NVIDIA names the R{branch} branch, no exact minimum "
                f"(the lowest recorded branch whose cuda_compat is built for {cuda})",
            },
        )
    return out


def _manifest(recorded: RecordedFile) -> dict[str, Any]:
    where = str(recorded.path)
    members = _members(recorded.text(), where, excerpt=recorded.meta.get("excerpt") == "True")
    missing = [key for key in _NEEDED if key not in members]
    if missing:
        raise SourceError(f"the manifest has no {', '.join(missing)}", path=where)
    if members["release_product"] != "nvidia-driver":
        raise SourceError(
            f"release_product is {members['release_product']!r}, not 'nvidia-driver'", path=where
        )
    return members


def _members(text: str, where: str, *, excerpt: bool) -> dict[str, Any]:
    """The top-level members of a JSON object, in order; in an excerpt, those before the cut."""
    decoder = json.JSONDecoder()
    members: dict[str, Any] = {}
    at = _space(text, 0)
    if not text.startswith("{", at):
        raise SourceError("not a JSON object", path=where)
    at = _space(text, at + 1)
    while not text.startswith("}", at):
        try:
            key, value, at = _member(decoder, text, at)
        except json.JSONDecodeError as exc:
            if excerpt:
                return members
            raise SourceError(f"not JSON: {exc.msg}", path=where, line=exc.lineno) from None
        except RecursionError:  # arrays nested thousands deep: no manifest NVIDIA publishes
            raise SourceError("not JSON NVIDIA publishes: nested too deep", path=where) from None
        if not isinstance(key, str):
            raise SourceError("a member name that is not text", path=where)
        members[key] = value
        at = _space(text, at)
        if text.startswith(",", at):
            at = _space(text, at + 1)
        elif not text.startswith("}", at):
            if excerpt and at >= len(text):
                return members
            raise SourceError("not JSON: expecting ',' or '}'", path=where)
    return members


def _member(decoder: json.JSONDecoder, text: str, at: int) -> tuple[Any, Any, int]:
    """The `name: value` member at `at`, and the index after it."""
    key, at = decoder.raw_decode(text, at)
    at = _space(text, at)
    if not text.startswith(":", at):
        raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
    value, at = decoder.raw_decode(text, _space(text, at + 1))
    return key, value, at


def _space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _branch(label: str, where: str) -> int:
    """`620.70.06` -> 620."""
    major = label.split(".", maxsplit=1)[0]
    if not major.isdigit():
        raise SourceError(f"release_label {label!r} is not a driver version", path=where)
    return int(major)


def _variants(compat: Any, where: str) -> list[str]:
    variants = compat.get("cuda_variant") if isinstance(compat, dict) else None
    if not isinstance(variants, list) or not variants:
        raise SourceError("cuda_compat has no cuda_variant list", path=where)
    for variant in variants:
        parts = str(variant).split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise SourceError(f"cuda_variant {variant!r} is not MAJOR.MINOR", path=where)
    return [str(v) for v in variants]


def _release(cuda: str) -> tuple[int, int]:
    major, minor = cuda.split(".")
    return int(major), int(minor)
