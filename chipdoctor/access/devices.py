"""Device nodes: present, character devices, and openable (read and write) by this user.

Never opens a node: permission comes from the mode bits, owner, group and POSIX ACL that
`stat` and the `system.posix_acl_access` attribute report, weighed as the kernel's permission
check weighs them (acl(5), "ACCESS CHECK ALGORITHM"). The visible-device variables are checked
against the nodes that exist, unless the stack's probe already checked them against its SMI.
"""

from __future__ import annotations

import re

from chipdoctor.access.context import AccessContext
from chipdoctor.access.data import INDEX, Device, StackAccess
from chipdoctor.evidence.base import FileStat, Identity, UnreadableError
from chipdoctor.i18n import T, join
from chipdoctor.model import Severity

# acl(5) tag values of <linux/posix_acl.h>.
ACL_USER_OBJ, ACL_USER, ACL_GROUP_OBJ, ACL_GROUP, ACL_MASK, ACL_OTHER = 1, 2, 4, 8, 16, 32
READ_WRITE = 6


def node_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern).replace(re.escape(INDEX), r"[0-9]+") + r"\Z")


def matching_nodes(
    ctx: AccessContext, pattern: str, unreadable: dict[str, str] | None = None
) -> list[str]:
    """The existing paths a `/dev/davinci{index}`-style pattern names, in numeric order.

    A directory that cannot be listed names none; it goes into `unreadable` with the reason.
    """
    if INDEX not in pattern:
        return [pattern] if ctx.exists(pattern) else []
    directory = pattern.rsplit("/", 1)[0]
    try:
        entries = ctx.evidence.list_dir(directory) or []
    except UnreadableError as exc:
        if unreadable is not None:
            unreadable[directory] = exc.reason
        return []
    regex = node_pattern(pattern.rsplit("/", 1)[1])
    names = [entry for entry in entries if regex.match(entry)]
    return [f"{directory}/{name}" for name in sorted(names, key=_numeric)]


def _numeric(name: str) -> tuple[str, int]:
    digits = re.search(r"[0-9]+$", name)
    return (name[: digits.start()], int(digits.group())) if digits else (name, -1)


def can_open(info: FileStat, identity: Identity) -> bool:
    """Read and write allowed, by the POSIX ACL access check (mode bits when no ACL)."""
    if identity.uid == 0:
        return True
    acl = info.acl or (
        (ACL_USER_OBJ, (info.mode >> 6) & 7, 0),
        (ACL_GROUP_OBJ, (info.mode >> 3) & 7, 0),
        (ACL_OTHER, info.mode & 7, 0),
    )
    mask = next((perm for tag, perm, _ in acl if tag == ACL_MASK), 7)
    if info.uid == identity.uid:
        return _allows(next((perm for tag, perm, _ in acl if tag == ACL_USER_OBJ), 0))
    named = [perm for tag, perm, who in acl if tag == ACL_USER and who == identity.uid]
    if named:
        return _allows(named[0] & mask)
    groups = [
        perm
        for tag, perm, who in acl
        if (tag == ACL_GROUP_OBJ and info.gid in identity.gids)
        or (tag == ACL_GROUP and who in identity.gids)
    ]
    if groups:
        return any(_allows(perm & mask) for perm in groups)
    return _allows(next((perm for tag, perm, _ in acl if tag == ACL_OTHER), 0))


def _allows(perm: int) -> bool:
    return perm & READ_WRITE == READ_WRITE


def _inspect_nodes(
    ctx: AccessContext,
    nodes: list[str],
    wrong_kind: list[tuple[str, str]],
    denied: list[tuple[str, FileStat]],
    unreadable: dict[str, str],
) -> None:
    """Sort one device's nodes into those of the wrong kind, those denied, and the unreadable."""
    for node in nodes:
        try:
            info = ctx.evidence.stat(node)
        except UnreadableError as exc:
            unreadable[node] = exc.reason
            continue
        if info is None:
            continue
        if info.kind != "char":
            wrong_kind.append((node, info.kind))
        elif not can_open(info, ctx.identity):
            denied.append((node, info))


def check_devices(ctx: AccessContext, spec: StackAccess) -> None:
    missing: list[Device] = []
    optional: list[Device] = []
    wrong_kind: list[tuple[str, str]] = []
    denied: list[tuple[str, FileStat]] = []
    unreadable: dict[str, str] = {}  # path -> why it cannot be looked at
    for device in spec.devices:
        nodes = [
            node for pattern in device.patterns for node in matching_nodes(ctx, pattern, unreadable)
        ]
        if not nodes:
            if not any(p.rsplit("/", 1)[0] in unreadable for p in device.patterns):
                (optional if device.optional else missing).append(device)
            continue
        _inspect_nodes(ctx, nodes, wrong_kind, denied, unreadable)
    _missing(ctx, spec, missing, optional)
    if wrong_kind:
        ctx.add(
            f"{spec.stack}.device-not-char",
            Severity.ERROR,
            (spec.driver,),
            T(
                "{nodes} should be a character device made by the driver (a `-v` bind mount of "
                "a path the host lacks creates a directory; a copy makes a file).",
                nodes=join(
                    [T("{node} (a {kind})", node=node, kind=kind) for node, kind in wrong_kind],
                    ", ",
                ),
            ),
            T(
                "Restart the container with {flags}",
                flags=" ".join(f"--device {node}" for node, _ in wrong_kind),
            )
            if ctx.container is not None
            else T("Remove it and reload the driver (or reboot) so that it makes the node again."),
        )
    if denied:
        _denied(ctx, spec, denied)
    if unreadable:
        _unreadable(ctx, spec, unreadable)
    _visible_devices(ctx, spec)


def _unreadable(ctx: AccessContext, spec: StackAccess, unreadable: dict[str, str]) -> None:
    """Nodes this user cannot even look at: unknown, not missing (the probes' unreadable-file)."""
    ctx.add(
        f"{spec.stack}.device-unreadable",
        Severity.WARNING,
        (spec.driver,),
        T(
            "Cannot check the device nodes {nodes}; whether this user can open them is unknown.",
            nodes=", ".join(f"{path} ({reason})" for path, reason in unreadable.items()),
        ),
        T(
            "Run chipdoctor as a user who can read {path}, or fix its permissions.",
            path=", ".join(unreadable),
        ),
    )


def _missing(
    ctx: AccessContext, spec: StackAccess, missing: list[Device], optional: list[Device]
) -> None:
    driver = spec.driver
    if ctx.container is not None:
        if missing or optional:
            absent = missing + optional
            why = "; ".join(f"{d.path}: {d.optional}" for d in optional)
            ctx.add(
                f"{spec.stack}.device-missing",
                Severity.ERROR if missing else Severity.WARNING,
                (driver,),
                T(
                    "This runs in {container} started without {nodes} ({what}){unusable}{why}.",
                    container=ctx.container.describe(),
                    nodes=", ".join(d.shown for d in absent),
                    what="; ".join(d.what for d in absent),
                    unusable=T(": no {stack} device can be used", stack=spec.stack)
                    if missing
                    else "",
                    why=T(" ({why})", why=why) if why else "",
                ),
                T("Start the container with {flags}", flags=_device_flags(spec, absent)),
            )
        return
    seen = any(device.stack == spec.stack for device in ctx.inventory.devices)
    if not missing or seen or ctx.has_error_on(driver):
        return  # the SMI tool saw devices, or the probe explained why it could not
    installed = ctx.inventory.version(driver) is not None
    nodes = ", ".join(d.shown for d in missing)
    reason = (
        T("the driver is installed but not loaded, so no device can be used.")
        if installed
        else T("no driver has made them, so this machine can build for the stack but not run.")
    )
    ctx.add(
        f"{spec.stack}.device-missing",
        Severity.ERROR if installed else Severity.WARNING,
        (driver,),
        T("{nodes} does not exist: {reason}", nodes=nodes, reason=reason)
        if len(missing) == 1
        else T("{nodes} do not exist: {reason}", nodes=nodes, reason=reason),
        T("Load the driver: check `dmesg` for its errors, reinstall it and reboot.")
        if installed
        else T("Install the stack's driver on a machine with the accelerator."),
    )


def _device_flags(spec: StackAccess, devices: list[Device]) -> str:
    flags = " ".join(device.flag() for device in devices)
    numbered = [device.shown for device in devices if INDEX in device.path]
    if numbered:
        flags = T(
            "{flags}   # one {nodes} per accelerator the job uses",
            flags=flags,
            nodes=", ".join(numbered),
        )
    if spec.gpus:
        return T("{gpus} (the NVIDIA Container Toolkit), or {flags}", gpus=spec.gpus, flags=flags)
    return flags


def _denied(ctx: AccessContext, spec: StackAccess, denied: list[tuple[str, FileStat]]) -> None:
    identity = ctx.identity
    user = identity.user or str(identity.uid)
    nodes = ", ".join(f"{node} ({_describe(info)})" for node, info in denied)
    groups = {
        info.group or str(info.gid): info.gid
        for _, info in denied
        if (info.mode >> 3) & READ_WRITE == READ_WRITE
    }
    known = (
        T(" (the {groups} group of the driver install)", groups=" / ".join(spec.groups))
        if spec.groups
        else ""
    )
    names = ", ".join(groups)
    fix: str
    if not groups:
        owners = sorted({info.owner or str(info.uid) for _, info in denied})
        fix = T(
            "Run the job as {owners}, or have the administrator make the nodes group-readable "
            "and -writable for a group you are in.",
            owners=" or ".join(owners),
        )
        reason = T("only their owner may open them")
    elif ctx.container is not None:
        fix = T(
            "Start the container with {flags}",
            flags=" ".join(f"--group-add {gid}" for gid in groups.values()),
        )
        reason = T(
            "their group {groups}{known} is not among the container user's groups",
            groups=names,
            known=known,
        )
    else:
        member = _listed_members(ctx, list(groups))
        if member:
            fix = T(
                "Log out and back in (or run `newgrp {group}`): {user} is in {groups} already, "
                "but this session started before that.",
                group=member[0],
                user=user,
                groups=", ".join(member),
            )
        else:
            fix = T(
                "{commands}   # then log in again: a new group applies to new sessions",
                commands="\n".join(f"sudo usermod -aG {group} {user}" for group in groups),
            )
        reason = T(
            "{user} is not in their group {groups}{known}", user=user, groups=names, known=known
        )
    ctx.add(
        f"{spec.stack}.device-permission",
        Severity.ERROR,
        (spec.driver,),
        T(
            "{user} (uid {uid}) cannot open {nodes}: {reason}.",
            user=user,
            uid=identity.uid,
            nodes=nodes,
            reason=reason,
        ),
        fix,
    )


def _describe(info: FileStat) -> str:
    bits = "".join(
        char if info.mode & (1 << (8 - index)) else "-" for index, char in enumerate("rwxrwxrwx")
    )
    acl = "+" if info.acl else ""
    return f"c{bits}{acl} {info.owner or info.uid} {info.group or info.gid}"


def _listed_members(ctx: AccessContext, groups: list[str]) -> list[str]:
    """Groups of /etc/group that list the user although the process does not hold them."""
    user = ctx.identity.user
    if not user:
        return []
    try:
        text = ctx.evidence.read_text("/etc/group") or ""
    except UnreadableError:
        return []
    listed = []
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] in groups and user in fields[3].split(","):
            listed.append(fields[0])
    return listed


def _visible_devices(ctx: AccessContext, spec: StackAccess) -> None:
    from chipdoctor.stacks.ascend.probe import parse_visible_devices

    finding_id = f"{spec.stack}.visible-devices"
    if ctx.finding(finding_id) is not None:
        return  # the stack's probe compared it with its SMI tool already
    for variable in spec.visible:
        value = ctx.evidence.getenv(variable.variable)
        if value is None or not value.strip():
            continue
        count = len(matching_nodes(ctx, variable.nodes))
        if count == 0:
            continue  # device-missing says so
        if variable.variable == "ASCEND_RT_VISIBLE_DEVICES":
            ids = parse_visible_devices(value)[0]
        else:
            ids = [int(p) for p in (piece.strip() for piece in value.split(",")) if p.isdigit()]
        absent = [i for i in ids if i >= count]
        if not absent:
            continue
        valid = [i for i in ids if i < count]
        pattern = variable.nodes.replace(INDEX, "*")
        ctx.add(
            finding_id,
            Severity.WARNING if valid else Severity.ERROR,
            (spec.driver,),
            T(
                "{variable}={value} names device {absent}, but only {count} {pattern} node(s) "
                "exist here, so the runtime sees ids 0-{last}{uses}",
                variable=variable.variable,
                value=value,
                absent=", ".join(map(str, absent)),
                count=count,
                pattern=pattern,
                last=count - 1,
                uses=T(" and uses only {valid}.", valid=str(valid))
                if valid
                else T(" and no device at all."),
            ),
            f"export {variable.variable}=" + ",".join(map(str, valid or range(count))),
        )
        return
