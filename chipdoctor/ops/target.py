"""Which vendor release a model is judged against: `--target torch_npu==2.5.1`, or the
extension installed for `--python` (or recorded in `--snapshot`).

A torch_npu version maps to its TorchNPU release through the Ascend matrix's `torch_npu` table
(each row's `branch`, e.g. `v2.7.1-26.1.0`); a torch_mlu version names its release directly
(`1.22.2+torch2.1.0`, as the branch's build.property does).
"""

from __future__ import annotations

from dataclasses import dataclass

from chipdoctor.errors import BadInput
from chipdoctor.evidence.base import Evidence, normalize_name
from chipdoctor.matrix.model import Row
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


def installed(evidence: Evidence, stack: str | None) -> tuple[str, str]:
    """The vendor extension installed for the inspected interpreter; `stack` picks one."""
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
            f"no vendor extension{where} is installed for this interpreter: "
            "name one with --target (e.g. --target torch_npu==2.5.1)"
        )
    if len(found) > 1:
        names = ", ".join(f"{c} {v}" for c, v in found)
        raise BadInput(f"several vendor extensions are installed ({names}): pick one with --stack")
    return found[0]


def resolve(component: str, version: str) -> Target:
    stack = STACK_OF_COMPONENT[component]
    data = stack_ops(stack)
    if stack == "ascend":
        release_name, torch = _torchnpu_release(version)
    else:
        release_name, torch = _torch_mlu_release(data, version)
    release = data.release(release_name)
    if release is None or release.unreleased:
        covered = ", ".join(r.name for r in data.releases if not r.unreleased)
        raise BadInput(
            f"{component} {version} belongs to {data.family} {release_name}, which has no "
            f"operator file in the bundled data (it covers {covered})"
        )
    return Target(stack, component, version, release, torch)


def _torchnpu_release(version: str) -> tuple[str, str]:
    for row in _torch_npu_rows():
        if row.first("torch_npu") == version and row.extra.get("branch"):
            torch, _, release = row.extra["branch"][1:].partition("-")
            return release, torch
    raise BadInput(
        f"torch_npu {version} is not in the Ascend matrix, so its TorchNPU release is unknown "
        "(see `chipdoctor matrix show ascend`)"
    )


def component_version(stack: str, release: str, torch: str) -> str | None:
    """The extension version a release ships for `torch` (TorchNPU 26.1.0, 2.7.1 -> 2.7.1.post8)."""
    if stack != "ascend":
        return release.split("+", 1)[0]
    branch = f"v{torch}-{release}"
    for row in _torch_npu_rows():
        if row.extra.get("branch") == branch:
            return row.first("torch_npu")
    return None


def _torch_npu_rows() -> list[Row]:
    from chipdoctor.matrix.load import load_matrices

    return load_matrices().get("ascend").table("torch_npu").rows


def _torch_mlu_release(data: StackOps, version: str) -> tuple[str, str]:
    wanted = version if "+" in version else None
    matches = [
        r
        for r in data.releases
        if r.name == wanted or (wanted is None and r.name.startswith(f"{version}+"))
    ]
    if len(matches) != 1:
        known = ", ".join(r.name for r in data.releases)
        how = "is ambiguous: add +torchX.Y.Z" if matches else "has no operator file"
        raise BadInput(f"torch_mlu {version} {how} (the bundled data covers {known})")
    release = matches[0]
    return release.name, release.name.split("+torch", 1)[1]
