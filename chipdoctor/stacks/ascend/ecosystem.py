"""Ecosystem packages whose pairings no package metadata states, judged by the projects' own
tables (matrices/ascend.yaml):

- vllm-ascend <-> vLLM <-> CANN <-> torch_npu: vllm-ascend's release compatibility matrix
  (`vllm_ascend`; "For a release installation, use the vLLM and vLLM Ascend versions from the
  same release row") and the CANN each release's installation guide calls "Required for
  vllm-ascend and torch-npu" (`vllm_ascend_cann`: `>=` up to v0.11.0, `==` from v0.12.0rc1).
  vllm-ascend's Requires-Dist never names vLLM or CANN. It pins torch-npu, so the row judges
  torch_npu only where that METADATA was not recorded (a pasted `pip list`, an older snapshot).
- Triton-Ascend <-> CANN: the CANN releases its README lists for each release (`triton_ascend`).
  No official Triton-Ascend <-> torch_npu table exists (its installation guide names one
  current torch_npu), and MindSpeed's installed version (Megatron's core version) does not
  name a MindSpeed release, so neither is judged here (docs/stacks/ascend.md).

Severity follows the words of the source: an error where a project says a version is required
(vLLM of the row, the installation guide's CANN, a torch_npu of another torch release than the
pinned one), a warning where its table only lists what a release was tested with.
"""

from __future__ import annotations

from functools import partial

from chipdoctor.i18n import T, join
from chipdoctor.matrix.model import Matrix, Row
from chipdoctor.model import Finding, Inventory, Severity
from chipdoctor.rules.common import cite, newest_row, pip_install, release_of, stack_finding
from chipdoctor.stacks.ascend import facts
from chipdoctor.stacks.ascend.companions import install_cann
from chipdoctor.stacks.ascend.pip import torch_npu_line

_finding = partial(stack_finding, stack="ascend")


def findings(inventory: Inventory, matrix: Matrix) -> list[Finding]:
    out: list[Finding] = []
    cann = inventory.version("cann")
    vllm_ascend = _package(inventory, "vllm-ascend")
    rows = matrix.table("vllm_ascend").lookup(vllm_ascend) if vllm_ascend else []
    if vllm_ascend and cann:
        out += _cann(vllm_ascend, cann, rows[0] if rows else None, matrix)
    if vllm_ascend and rows:
        row = rows[0]
        out += _vllm(vllm_ascend, _package(inventory, "vllm"), cann, row, matrix)
        torch_npu = inventory.version("torch_npu")
        pins = inventory.facts.get(facts.FACT_VLLM_ASCEND_PINS, "").split()
        if torch_npu and "torch-npu" not in pins:
            out += _torch_npu(vllm_ascend, torch_npu, inventory, row, matrix)
    triton = _package(inventory, "triton-ascend")
    if triton and cann:
        out += _triton(triton, cann, matrix)
    return out


def _package(inventory: Inventory, name: str) -> str | None:
    return inventory.facts.get(facts.FACT_PACKAGE.format(name=name))


def _paired(matrix: Matrix, table: str, component: str, version: str) -> Row | None:
    """The newest release of the table's key whose row names `version` of `component`: a final
    release where one is, else the newest release candidate (many vllm-ascend releases are)."""
    rows = [row for row in matrix.table(table).rows if row.matches(component, version)]
    key = matrix.table(table).key
    return newest_row(rows, key) or (rows[0] if rows else None)


def _vllm(
    vllm_ascend: str, vllm: str | None, cann: str | None, row: Row, matrix: Matrix
) -> list[Finding]:
    """vllm-ascend is a plugin of one vLLM release: another vLLM is an error. The fix that keeps
    the installed CANN comes first: the release made for the installed vLLM where its row names
    this CANN, else vLLM of this release's row."""
    if vllm is not None and row.matches("vllm", vllm):
        return []
    wanted = row.first("vllm")
    keep_plugin = pip_install(f"vllm=={wanted}")
    best = _paired(matrix, "vllm_ascend", "vllm", vllm) if vllm is not None else None
    if best is None:
        fix: str = keep_plugin
    else:
        plugin = pip_install(f"vllm-ascend=={best.first('vllm-ascend')}")
        keep = T("or keep vllm-ascend {version}: {command}", version=vllm_ascend,
                 command=keep_plugin)  # fmt: skip
        fits = cann is None or best.matches("cann", cann) or not row.matches("cann", cann)
        other = T("or {command}", command=plugin)
        fix = join([plugin, keep]) if fits else join([keep_plugin, other])
    message = (
        T(
            "vllm-ascend {vllm_ascend} is the plugin release for vLLM {wanted}, but vLLM {vllm} "
            "is installed: the project says to install the vLLM and vLLM Ascend of one row of "
            "its release compatibility matrix {cite}.",
            vllm_ascend=vllm_ascend,
            wanted=wanted,
            vllm=vllm,
            cite=cite(matrix, row),
        )
        if vllm is not None
        else T(
            "vllm-ascend {vllm_ascend} is a plugin of vLLM {wanted}, but vLLM is not installed "
            "{cite}.",
            vllm_ascend=vllm_ascend,
            wanted=wanted,
            cite=cite(matrix, row),
        )
    )
    return [_finding("vllm-ascend-vllm", Severity.ERROR, (), message, fix)]


def _cann(vllm_ascend: str, cann: str, row: Row | None, matrix: Matrix) -> list[Finding]:
    """CANN other than the release row's: an error where the installation guide's requirement
    is not met, else a warning (the release was tested with another CANN). A release the
    matrix does not list (an rc such as v0.7.3rc1) is judged by its guide alone."""
    if row is not None and row.matches("cann", cann):
        return []
    required = matrix.table("vllm_ascend_cann").lookup(vllm_ascend)
    unmet = required[0] if required and not required[0].matches("cann", cann) else None
    if unmet is None and row is None:
        return []
    if unmet is not None:
        severity = Severity.ERROR
        message = T(
            "vllm-ascend {vllm_ascend} requires CANN {required} {cite}, but CANN {cann} is "
            "installed.",
            vllm_ascend=vllm_ascend,
            required=unmet.first("cann"),
            cite=cite(matrix, unmet),
            cann=cann,
        )
    else:
        assert row is not None
        severity = Severity.WARNING
        message = T(
            "vllm-ascend {vllm_ascend} was released with CANN {stable} {cite}; CANN {cann} is "
            "installed, which its release row does not name.",
            vllm_ascend=vllm_ascend,
            stable=row.first("cann"),
            cite=cite(matrix, row),
            cann=cann,
        )
    wanted = row.first("cann") if row is not None else _least(required[0].first("cann"))
    fixes = [install_cann(wanted)]
    paired = _paired(matrix, "vllm_ascend", "cann", cann)
    if paired is not None:
        command = pip_install(
            f"vllm-ascend=={paired.first('vllm-ascend')}", f"vllm=={paired.first('vllm')}"
        )
        fixes.append(T("or keep CANN {cann}: {command}", cann=cann, command=command))
    return [_finding("vllm-ascend-cann", severity, ("cann",), message, join(fixes))]


def _least(requirement: str) -> str:
    """The release a requirement names: `>=8.0.0` -> `8.0.0` (the guide's own minimum)."""
    return requirement.removeprefix(">=")


def _torch_npu(
    vllm_ascend: str, torch_npu: str, inventory: Inventory, row: Row, matrix: Matrix
) -> list[Finding]:
    """Where vllm-ascend's own pin was not recorded: every release pins torch-npu `==` to a
    build of its row's torch release, so another release is an error, another build of the
    same release a warning."""
    if row.matches("torch_npu", torch_npu):
        return []
    wanted = row.first("torch_npu")
    severity = Severity.ERROR if release_of(torch_npu) != release_of(wanted) else Severity.WARNING
    return [
        _finding(
            "vllm-ascend-torch_npu",
            severity,
            ("torch_npu",),
            T(
                "vllm-ascend {vllm_ascend} goes with torch_npu {wanted} {cite}, but torch_npu "
                "{torch_npu} is installed (vllm-ascend's own pin was not recorded).",
                vllm_ascend=vllm_ascend,
                wanted=wanted,
                cite=cite(matrix, row),
                torch_npu=torch_npu,
            ),
            torch_npu_line(wanted, inventory.version("torch"), inventory.version("python")),
        )
    ]


def _triton(triton: str, cann: str, matrix: Matrix) -> list[Finding]:
    rows = matrix.table("triton_ascend").lookup(triton)
    if not rows or any(row.matches("cann", cann) for row in rows):
        return []
    listed = rows[0].patterns("cann")
    fixes = [install_cann(listed[0])]
    paired = _paired(matrix, "triton_ascend", "cann", cann)
    if paired is not None:
        command = pip_install(f"triton-ascend=={paired.first('triton-ascend')}")
        fixes.append(T("or keep CANN {cann}: {command}", cann=cann, command=command))
    return [
        _finding(
            "triton-ascend-cann",
            Severity.WARNING,
            ("cann",),
            T(
                "Triton-Ascend {triton} lists CANN {listed} {cite}; CANN {cann} is installed.",
                triton=triton,
                listed=", ".join(listed),
                cite=cite(matrix, rows[0]),
                cann=cann,
            ),
            join(fixes),
        )
    ]
