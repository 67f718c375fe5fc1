"""The GPU architectures torch extensions carry (flash-attn, xformers, mish-cuda, ...): an
extension built for other GPUs fails at its first kernel with 'no kernel image is available for
execution on the device', however well torch itself runs.

The probe takes each torch extension's native libraries from their `RECORD`
(chipdoctor/extensions/installed.py) and reads their `.nv_fatbin` through the evidence
(chipdoctor/loader/devcode.py), so a snapshot records the same; the rule judges them with the
one runs-on predicate (archs.runs).
"""

from __future__ import annotations

from chipdoctor.evidence.base import NotRecorded, UnreadableError
from chipdoctor.extensions import CPP_EXTENSION_DOCS
from chipdoctor.extensions.installed import torch_extensions
from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.probes.base import ProbeContext
from chipdoctor.rules.common import stack_finding
from chipdoctor.stacks.cuda.archs import Capability, capability_text, runs, sm_name
from chipdoctor.stacks.cuda.facts import FACT_EXTENSION


def probe(context: ProbeContext) -> None:
    """Record, per native library of each torch extension (extensions/installed.py), the
    targets it carries; libraries without device code are skipped. Nothing where the evidence
    cannot say (an image, an older snapshot)."""
    evidence = context.evidence
    facts = context.inventory.facts
    count = 0
    for extension in torch_extensions(evidence):
        for path in extension.libraries:
            try:
                code = evidence.device_code(path)
            except NotRecorded:
                return
            except UnreadableError:
                continue
            if code is None or not _cuda_targets(code.native + code.portable):
                continue  # no device code, or HIP's
            key = f"{FACT_EXTENSION}{count}"
            facts[key] = path
            facts[f"{key}.dist"] = extension.name
            facts[f"{key}.version"] = extension.version
            facts[f"{key}.native"] = " ".join(code.native)
            facts[f"{key}.portable"] = " ".join(code.portable)
            count += 1


def _cuda_targets(names: tuple[str, ...]) -> bool:
    return any(name.startswith(("sm_", "compute_")) for name in names)


def _extensions(
    inventory: Inventory,
) -> list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]]:
    """(path, dist, version, cubins, PTX) of each library the probe read, in its order."""
    facts = inventory.facts
    found = []
    index = 0
    while (path := facts.get(f"{FACT_EXTENSION}{index}")) is not None:
        key = f"{FACT_EXTENSION}{index}"
        found.append(
            (
                path,
                facts.get(f"{key}.dist", "?"),
                facts.get(f"{key}.version", "?"),
                tuple(facts.get(f"{key}.native", "").split()),
                tuple(facts.get(f"{key}.portable", "").split()),
            )
        )
        index += 1
    return found


def findings(inventory: Inventory, capabilities: dict[int, Capability]) -> list[Finding]:
    """`cuda.extension-gpu-arch`: one per distribution with a library a GPU cannot run."""
    names = {d.index: d.name for d in inventory.devices if d.stack == "cuda"}
    failing: dict[tuple[str, str], dict[str, str]] = {}
    missing: dict[tuple[str, str], dict[int, Capability]] = {}
    for path, dist, version, native, portable in _extensions(inventory):
        for index, capability in capabilities.items():
            if runs(capability, native, portable):
                continue
            failing.setdefault((dist, version), {})[path] = T(
                "{path} (carries {archs})", path=path, archs=" ".join(native + portable)
            )
            missing.setdefault((dist, version), {})[index] = capability
    out: list[Finding] = []
    for (dist, version), files in failing.items():
        gpus = missing[(dist, version)]
        listed = " ".join(sorted({capability_text(c) for c in gpus.values()}))
        gpu_text = join(
            [
                T("GPU {index} ({name}, {sm})", index=i, name=names.get(i, "?"), sm=sm_name(c))
                for i, c in gpus.items()
            ],
            ", ",
        )
        sms = join(sorted({sm_name(c) for c in gpus.values()}), ", ")
        out.append(
            stack_finding(
                "extension-gpu-arch",
                Severity.ERROR,
                (),  # the extension is no component: no torch plan cures it (fix/agree.py)
                T(
                    "{gpus} cannot run the torch extension {dist} {version}: {files} has no "
                    "cubin and no PTX for it, so its kernels fail with 'no kernel image is "
                    "available for execution on the device'.",
                    gpus=gpu_text,
                    dist=dist,
                    version=version,
                    files=join(list(files.values()), "; "),
                ),
                T(
                    "Rebuild {dist} for this GPU: for a source install, "
                    'TORCH_CUDA_ARCH_LIST="{archs}" pip install --no-build-isolation '
                    "--no-cache-dir --force-reinstall {dist}=={version} ({docs}); or install "
                    "a build of {dist} that carries {sms}.",
                    dist=dist,
                    archs=listed,
                    version=version,
                    docs=CPP_EXTENSION_DOCS,
                    sms=sms,
                ),
                stack="cuda",
            )
        )
    return out
