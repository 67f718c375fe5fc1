"""Is the check running in a container, and which of a stack's host paths did `docker run` bring?

Markers, each documented by the runtime that makes it:
- `/.dockerenv`: created in every container's init layer by the Docker Engine (moby/moby
  daemon/initlayer/setup_unix.go);
- `/run/.containerenv`: "a container environment file is created in each container"
  (podman-run(1));
- `/var/run/secrets/kubernetes.io/serviceaccount`: the service-account token Kubernetes mounts
  into pods (https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/).
And the files the runtimes bind-mount into every container: `/etc/hostname`, `/etc/hosts` and
`/etc/resolv.conf` (moby container/container_unix.go `NetworkMounts`; podman-run(1): "Several
files will be automatically created within the container"; the kubelet manages /etc/hosts).

NOTE: a machine image made from a container keeps a stale `/.dockerenv`; this machine's own
build host is one. So a marker counts only when mountinfo is unreadable or shows one of those
bind mounts, and the bind mounts alone are enough.
"""

from __future__ import annotations

from dataclasses import dataclass

from chipdoctor.access.mountinfo import MOUNTINFO, Mount, covering, parse_mountinfo
from chipdoctor.evidence.base import Evidence, UnreadableError
from chipdoctor.i18n import T

MARKERS = (
    ("/.dockerenv", "Docker"),
    ("/run/.containerenv", "Podman"),
    ("/var/run/secrets/kubernetes.io/serviceaccount", "Kubernetes"),
)
RUNTIME_FILES = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")

HOST, IMAGE, MISSING = "host", "image", "missing"


@dataclass(frozen=True)
class Container:
    """What tells a container apart, and its mount table (empty when unreadable)."""

    markers: tuple[str, ...]
    runtime_mounts: tuple[str, ...]
    mounts: tuple[Mount, ...]
    has_proc_self: bool = False

    @property
    def running(self) -> bool:
        """A running container has /proc/self; an image read at rest (`check --image`) has not.

        Its mount table alone does not tell: one that cannot be read (or a snapshot that lacks
        it) would pass a running container off as an image and skip its device check.
        """
        return bool(self.mounts) or self.has_proc_self

    def describe(self) -> str:
        names = [name for path, name in MARKERS if path in self.markers]
        shown = ", ".join(self.markers + self.runtime_mounts)
        if names:
            return T("a {names} container ({shown})", names=" / ".join(names), shown=shown)
        return T("a container ({shown})", shown=shown)

    def origin(self, path: str, exists: bool) -> str:
        """HOST when a bind mount brings `path` in, IMAGE when the image has it, else MISSING.

        Only meaningful for a running container: an image at rest has no mount table.
        """
        mount = covering(list(self.mounts), path)
        if mount is not None and (mount.point.rstrip("/") or "/") != "/" and not mount.runtime:
            return HOST if exists else MISSING
        return IMAGE if exists else MISSING


def detect(evidence: Evidence) -> Container | None:
    markers = tuple(path for path, _ in MARKERS if _exists(evidence, path))
    try:
        text = evidence.read_text(MOUNTINFO)
    except UnreadableError:
        text = None
    mounts = tuple(parse_mountinfo(text)) if text else ()
    points = {mount.point for mount in mounts}
    runtime = tuple(path for path in RUNTIME_FILES if path in points)
    if runtime or (markers and not mounts):
        return Container(markers, runtime, mounts, _exists(evidence, "/proc/self"))
    return None


def _exists(evidence: Evidence, path: str) -> bool:
    try:
        return evidence.stat(path) is not None
    except UnreadableError:
        return True  # it is there, only not ours to look into
