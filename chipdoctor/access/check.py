"""What the process can really load and open: libraries, device nodes, container mounts.

Runs after the stack probes (engine.collect), for the stacks they found, because it needs what
they found: where the toolkit is, which environment script sets it up, whether the driver is
installed. Reads only through the evidence interface, so snapshots record it all.
"""

from __future__ import annotations

from chipdoctor.access import container as containers
from chipdoctor.access.context import AccessContext
from chipdoctor.access.data import StackAccess, access_data
from chipdoctor.access.devices import check_devices
from chipdoctor.access.libraries import check_libraries
from chipdoctor.evidence.base import Evidence, NotRecorded
from chipdoctor.i18n import T, join
from chipdoctor.model import NOTE_PREFIX, Inventory, Severity


def check_access(evidence: Evidence, inventory: Inventory) -> None:
    """Add the access findings of every stack found to `inventory`."""
    data = access_data()
    stacks = [data[name] for name in inventory.stacks if name in data]
    if not stacks:
        return
    try:
        identity = evidence.identity()
    except NotRecorded:
        # NOTE: a note, not a finding, so reports of chipdoctor-snapshot/1 stay as they were.
        inventory.facts[f"{NOTE_PREFIX}access"] = T(
            "shared libraries, device nodes and container mounts are not recorded in this "
            "snapshot, so they are not checked (a chipdoctor-snapshot/2 records them)."
        )
        return
    context = AccessContext(evidence, inventory, identity, containers.detect(evidence))
    # NOTE: an image read at rest (`check --image`) gets its devices only when it runs, and
    # has no mount table: only its libraries can be judged.
    at_rest = context.container is not None and not context.container.running
    for spec in stacks:
        explained = check_libraries(context, spec)
        if at_rest:
            continue
        check_devices(context, spec)
        if context.container is not None:
            _mounts(context, spec, explained)


def _mounts(context: AccessContext, spec: StackAccess, explained: set[str]) -> None:
    """Which of the stack's host paths the container has, and from where; flags for the rest."""
    assert context.container is not None
    status: dict[str, list[str]] = {
        containers.HOST: [],
        containers.IMAGE: [],
        containers.MISSING: [],
    }
    wanted = []
    for volume in spec.volumes:
        origin = context.container.origin(volume.container, context.exists(volume.container))
        status[origin].append(volume.container)
        if origin == containers.MISSING and volume.host not in explained:
            wanted.append(volume)
    host, image, missing = (
        ", ".join(status[key]) for key in (containers.HOST, containers.IMAGE, containers.MISSING)
    )
    parts = [
        part
        for part in (
            T("from the host: {paths}", paths=host) if host else "",
            T("from the image: {paths}", paths=image) if image else "",
            T("missing: {paths}", paths=missing) if missing else "",
        )
        if part
    ]
    optional = [v for v in wanted if v.optional]
    if parts:
        context.add(
            f"{spec.stack}.container-mounts",
            Severity.INFO,
            (),
            T(
                "This runs in {container}. The {stack} paths `docker run` may mount: {parts}.",
                container=context.container.describe(),
                stack=spec.stack,
                parts=join(parts, "; "),
            ),
            T(
                "Optionally start the container with {flags}",
                flags=" ".join(v.flag() for v in optional),
            )
            if optional
            else "",
        )
    required = [v for v in wanted if not v.optional]
    if required:
        context.add(
            f"{spec.stack}.mount-missing",
            Severity.WARNING,
            (),
            T(
                "The container lacks {volumes}.",
                volumes=join(
                    [T("{path} ({what})", path=v.container, what=v.what) for v in required], "; "
                ),
            ),
            T("Start the container with {flags}", flags=" ".join(v.flag() for v in required)),
        )
