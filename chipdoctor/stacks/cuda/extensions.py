"""The GPU architectures torch extensions carry (flash-attn, xformers, mish-cuda, ...): an
extension built for other GPUs fails at its first kernel with 'no kernel image is available for
execution on the device', however well torch itself runs.

The probe lists each torch-requiring distribution's native libraries from its `RECORD` (the
installed-files list of the wheel format, `*.dist-info/RECORD`: path, hash, size per CSV line)
and reads their `.nv_fatbin` through the evidence (chipdoctor/loader/devcode.py), so a snapshot
records the same; the rule judges them with the one runs-on predicate (archs.runs).
"""

from __future__ import annotations

import csv

from chipdoctor.evidence.base import NotRecorded, UnreadableError, normalize_name
from chipdoctor.evidence.pyinfo import DIST_INFO
from chipdoctor.i18n import T, join
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.probes.base import ProbeContext
from chipdoctor.recipes.safety import PACKAGE, VERSION
from chipdoctor.rules.common import stack_finding
from chipdoctor.rules.stack_packages import requirers
from chipdoctor.stacks.cuda.archs import Capability, capability_text, runs, sm_name
from chipdoctor.stacks.cuda.facts import CPP_EXTENSION_DOCS, FACT_EXTENSION

#: Native libraries read per distribution, and in all.
MAX_PER_DISTRIBUTION = 16
MAX_LIBRARIES = 64


def record_libraries(text: str) -> list[str]:
    """The `.so` paths a RECORD lists inside its site directory (none outside it: `../`)."""
    found: list[str] = []
    for row in csv.reader(text.splitlines()):
        path = row[0] if row else ""
        if path.endswith(".so") and not path.startswith("/") and ".." not in path.split("/"):
            found.append(path)
    return found


def _dist_infos(context: ProbeContext) -> dict[tuple[str, str], tuple[str, str]]:
    """(PEP 503 name, version) -> (site, `*.dist-info` directory), the first site winning as at
    import time; each site listed once."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for site in context.evidence.python.paths:
        try:
            entries = context.evidence.list_dir(site) or []
        except UnreadableError:
            continue
        for entry in entries:
            match = DIST_INFO.match(entry)
            if match is not None:
                key = (normalize_name(match.group("name")), match.group("version"))
                found.setdefault(key, (site.rstrip("/"), entry))
    return found


def probe(context: ProbeContext) -> None:
    """Record, per native library of each torch-requiring distribution, the targets it
    carries; libraries without device code are skipped. Nothing where the evidence cannot
    say (an image, an older snapshot)."""
    evidence = context.evidence
    packages = evidence.python.packages
    facts = context.inventory.facts
    names = requirers(evidence.requires_dist(), "torch")
    infos = _dist_infos(context) if names else {}
    count = reads = 0
    for name in names:
        version = packages.get(name)
        where = infos.get((name, version)) if version else None
        # NOTE: name and version go into the pasteable rebuild line of the finding: a
        # directory name a shell would run (`1.0$(...)`) is not judged.
        if version is None or where is None or not _plain(name, version):
            continue
        site, dist_info = where
        try:
            record = evidence.read_text(f"{site}/{dist_info}/RECORD")
        except UnreadableError:
            continue
        for relative in record_libraries(record or "")[:MAX_PER_DISTRIBUTION]:
            if reads >= MAX_LIBRARIES:
                return
            reads += 1
            path = f"{site}/{relative}"
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
            facts[f"{key}.dist"] = name
            facts[f"{key}.version"] = version
            facts[f"{key}.native"] = " ".join(code.native)
            facts[f"{key}.portable"] = " ".join(code.portable)
            count += 1


def _plain(name: str, version: str) -> bool:
    """A distribution name and version as a recipe accepts them (recipes/safety.py)."""
    return PACKAGE.fullmatch(name) is not None and VERSION.fullmatch(version) is not None


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
