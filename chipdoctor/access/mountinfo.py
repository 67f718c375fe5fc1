"""`/proc/self/mountinfo`: which paths of a container come from the host and which from its image.

Line format, per proc(5): `id parent major:minor root mount-point options [optional…] -
fstype source super-options`; spaces, tabs, newlines and backslashes in paths are written as
octal escapes (`\\040`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MOUNTINFO = "/proc/self/mountinfo"
#: File systems a container runtime creates itself; a path on them is neither host nor image.
_RUNTIME_FS = frozenset(
    {"proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "shm"}
)
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class Mount:
    point: str
    root: str  # the path inside the source file system that is mounted here
    fstype: str
    source: str

    @property
    def runtime(self) -> bool:
        return self.fstype in _RUNTIME_FS


def parse_mountinfo(text: str) -> list[Mount]:
    """Every well-formed line, in order; later mounts over the same point hide earlier ones."""
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if len(fields) < dash + 3 or len(fields) < 6:
            continue
        mounts.append(
            Mount(
                point=_unescape(fields[4]),
                root=_unescape(fields[3]),
                fstype=fields[dash + 1],
                source=_unescape(fields[dash + 2]),
            )
        )
    return mounts


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), text)


def covering(mounts: list[Mount], path: str) -> Mount | None:
    """The mount a path lives on: the last mounted one whose point is the path or a parent."""
    best: Mount | None = None
    for mount in mounts:
        point = mount.point.rstrip("/") or "/"
        inside = point in ("/", path) or path.startswith(point + "/")
        if inside and (best is None or len(point) >= len(best.point.rstrip("/") or "/")):
            best = mount
    return best
