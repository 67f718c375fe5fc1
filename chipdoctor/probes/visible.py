"""``HIP_VISIBLE_DEVICES`` / ``ROCR_VISIBLE_DEVICES``: device ids that name no device.

Shared by the ROCm and DCU probes: both runtimes are HIP, which reads these variables as
comma-separated device ids (ROCR also accepts ``GPU-<uuid>``, left unchecked here).
"""

from __future__ import annotations

from chipdoctor.i18n import T
from chipdoctor.model import Severity
from chipdoctor.probes.base import ProbeContext


def check_visible_devices(
    context: ProbeContext, variables: tuple[str, ...], device_count: int | None, component: str
) -> None:
    """Add a ``visible-devices`` finding for every variable naming an id past the last device.

    All ids absent leaves the process with no device at all (error); some absent is a warning.
    """
    if device_count is None:
        return
    for variable in variables:
        value = context.evidence.getenv(variable)
        if value is None or not value.strip():
            continue
        ids = [int(p) for p in (piece.strip() for piece in value.split(",")) if p.isdigit()]
        absent = [i for i in ids if i >= device_count]
        if not absent:
            continue
        valid = [i for i in ids if i < device_count]
        facts = {
            "variable": variable,
            "value": value,
            "listed": ", ".join(map(str, absent)),
            "count": device_count,
            "last": device_count - 1,
        }
        context.add(
            "visible-devices",
            Severity.WARNING if valid else Severity.ERROR,
            (component,),
            T(
                "{variable}={value} names device {listed}, but the SMI tool shows {count} "
                "device(s) (ids 0-{last}); only {valid} can be used.",
                valid=valid,
                **facts,
            )
            if valid
            else T(
                "{variable}={value} names device {listed}, but the SMI tool shows {count} "
                "device(s) (ids 0-{last}), so no device is visible.",
                **facts,
            ),
            f"export {variable}=" + ",".join(map(str, valid or range(device_count))),
        )
