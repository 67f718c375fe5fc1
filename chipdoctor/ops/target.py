"""Which vendor release a model is judged against: `--target torch_npu==2.5.1`, or the
extension installed for `--python` (or recorded in `--snapshot`).

A torch_npu version maps to its TorchNPU release through the Ascend matrix's `torch_npu` table
(each row's `branch`, e.g. `v2.7.1-26.1.0`), copied into the operator data when it is generated
(so `ops` need not load the matrix); a torch_mlu version names its release directly
(`1.22.2+torch2.1.0`, as the branch's build.property does).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chipdoctor.errors import BadInput
from chipdoctor.evidence.base import Evidence, normalize_name
from chipdoctor.ops.data import STACK_OF_COMPONENT, Release, StackOps, stack_ops


@dataclass(frozen=True)
class Target:
    stack: str
    component: str
    version: str
    release: Release
    torch: str  # the torch version the extension is built for (`2.7.1`)

    @property
    def minor(self) -> str:
        return ".".join(self.torch.split(".")[:2])


def parse_target(text: str) -> tuple[str, str]:
    component, sep, version = text.partition("==")
    component = normalize_name(component.strip()).replace("-", "_")
    if not sep or not version.strip():
        raise BadInput(f"--target {text!r}: write COMPONENT==VERSION, e.g. torch_npu==2.5.1")
    if component not in STACK_OF_COMPONENT:
        known = ", ".join(sorted(STACK_OF_COMPONENT))
        raise BadInput(f"--target {text!r}: {component} has no operator data (known: {known})")
    return component, version.strip()


def installed(evidence: Evidence, stack: str | None, *, snapshot: bool) -> tuple[str, str]:
    """The vendor extension installed for the inspected interpreter (or recorded in the
    snapshot); `stack` picks one."""
    python = evidence.python
    found = [
        (component, version)
        for component, of_stack in STACK_OF_COMPONENT.items()
        if (stack is None or of_stack == stack)
        and (version := python.package(component.replace("_", "-"))) is not None
    ]
    if not found:
        where = f" for the {stack} stack" if stack else ""
        raise BadInput(
            f"no vendor extension{where} is installed "
            f"{'in this snapshot' if snapshot else 'for this interpreter'}: "
            "name one with --target (e.g. --target torch_npu==2.5.1)"
        )
    if len(found) > 1:
        names = ", ".join(f"{c} {v}" for c, v in found)
        raise BadInput(f"several vendor extensions are installed ({names}): pick one with --stack")
    return found[0]


def resolve(component: str, version: str) -> Target:
    stack = STACK_OF_COMPONENT[component]
    data = stack_ops(stack)
    release_name, torch = _release_of(data, version)
    release = data.release(release_name)
    if release is None or release.unreleased:
        covered = ", ".join(r.name for r in data.releases if not r.unreleased)
        raise BadInput(
            f"{component} {version} belongs to {data.family} {release_name}, which has no "
            f"operator file in the bundled data (it covers {covered})"
        )
    return Target(stack, component, version, release, torch)


def _release_of(data: StackOps, version: str) -> tuple[str, str]:
    """A torch_npu version exactly as the Ascend matrix lists it; a torch_mlu one with or
    without its `+torchX.Y.Z` (which it needs when several builds share the number)."""
    entry = data.versions.get(version)
    if entry is None and data.stack == "ascend":  # a row added to the matrix since generation
        entry = matrix_versions().get(version)
    if entry is not None:
        return entry["release"], entry["torch"]
    if data.stack == "ascend":
        raise BadInput(
            f"torch_npu {version} is not in the Ascend matrix, so its TorchNPU release is "
            "unknown (see `chipdoctor matrix show ascend`)"
        )
    matches = [name for name in data.versions if name.startswith(f"{version}+")]
    if len(matches) != 1:
        known = ", ".join(data.versions)
        how = "is ambiguous: add +torchX.Y.Z" if matches else "has no operator file"
        raise BadInput(f"{data.component} {version} {how} (the bundled data covers {known})")
    return data.versions[matches[0]]["release"], data.versions[matches[0]]["torch"]


def component_version(data: StackOps, release: str, torch: str) -> str | None:
    """The extension version a release ships for `torch` (TorchNPU 26.1.0, 2.7.1 -> 2.7.1.post8)."""
    found = _shipped(data.versions, release, torch)
    if found is None and data.stack == "ascend":  # a row added to the matrix since generation
        found = _shipped(matrix_versions(), release, torch)
    return found


def _shipped(versions: dict[str, dict[str, str]], release: str, torch: str) -> str | None:
    for version, entry in versions.items():
        if entry["release"] == release and entry["torch"] == torch:
            return version
    return None


@cache
def matrix_versions() -> dict[str, dict[str, str]]:
    """torch_npu version -> its TorchNPU release and torch, from the Ascend matrix's `torch_npu`
    rows (their `branch`, e.g. v2.7.1-26.1.0), in the matrix's order; a version's first row
    wins. scripts/ops_data.py copies this into the data so that `ops` need not load the matrix.

    Read once, as the operator data is (data.stack_ops): judging one model asks it once per
    operator a later release has, up to 15 loads of the matrix (half a second) otherwise."""
    from chipdoctor.matrix.load import load_matrices

    versions: dict[str, dict[str, str]] = {}
    for row in load_matrices().get("ascend").table("torch_npu").rows:
        branch = row.extra.get("branch", "")
        torch, _, release = branch[1:].partition("-")
        if branch and release:
            versions.setdefault(row.first("torch_npu"), {"release": release, "torch": torch})
    return versions
