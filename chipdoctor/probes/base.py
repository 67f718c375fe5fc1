"""What every probe is, and the helpers that turn unreadable evidence into findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from chipdoctor.evidence.base import CommandResult, Evidence, NotRecorded, UnreadableError
from chipdoctor.i18n import T
from chipdoctor.model import Component, Finding, Inventory, Severity

if TYPE_CHECKING:
    from chipdoctor.loader.devcode import DeviceCode


class Probe(Protocol):
    """Reads one stack (or the host) through the evidence interface; never raises."""

    name: str

    def collect(self, evidence: Evidence) -> Inventory: ...


class ProbeContext:
    """One probe run: the evidence, and the inventory it fills."""

    def __init__(self, stack: str, evidence: Evidence) -> None:
        self.stack = stack
        self.evidence = evidence
        self.inventory = Inventory()

    def read(self, path: str) -> str | None:
        """The file's text; an unreadable file becomes a warning finding and reads as absent."""
        try:
            return self.evidence.read_text(path)
        except UnreadableError as exc:
            self.add(
                "unreadable-file",
                Severity.WARNING,
                (),
                T(
                    "Cannot read {path}: {reason}; what it records is missing from this check.",
                    path=path,
                    reason=exc.reason,
                ),
                T(
                    "Run chipdoctor as a user who can read {path}, or fix its permissions.",
                    path=path,
                ),
            )
            return None

    def list_dir(self, path: str) -> list[str]:
        try:
            return self.evidence.list_dir(path) or []
        except UnreadableError as exc:
            self.add(
                "unreadable-file",
                Severity.WARNING,
                (),
                T("Cannot list {path}: {reason}.", path=path, reason=exc.reason),
                T("Run chipdoctor as a user who can read {path}.", path=path),
            )
            return []

    def run(self, key: str) -> CommandResult | None:
        return self.evidence.run(key)

    def add(
        self,
        name: str,
        severity: Severity,
        components: tuple[str, ...],
        message: str,
        fix: str = "",
    ) -> None:
        self.inventory.findings.append(
            Finding(f"{self.stack}.{name}", severity, components, message, fix)
        )

    def torch_device_code(self, library: str) -> tuple[str, DeviceCode] | None:
        """(path, what it carries) of the installed torch's GPU library (`library`, relative to
        site-packages); None for a CPU build, or where the evidence cannot say (an image, an
        older snapshot): the rules then use the published lists. An unreadable one is a note."""
        evidence = self.evidence
        if not evidence.python.package("torch"):
            return None
        for site in evidence.python.paths:
            path = f"{site.rstrip('/')}/{library}"
            try:
                code = evidence.device_code(path)
            except NotRecorded:
                return None
            except UnreadableError as exc:
                self.add(
                    "torch-kernels-unreadable",
                    Severity.INFO,
                    ("torch",),
                    T(
                        "The GPU architectures of {path} could not be read ({reason}); the "
                        "published list of this torch build is used instead.",
                        path=path,
                        reason=exc.reason,
                    ),
                )
                return None
            if code is not None:
                return path, code
        return None

    def homes(self, variable: str, default: str) -> list[str]:
        """Where to look for an install: the absolute path `variable` names, then `default`."""
        value = self.evidence.getenv(variable)
        found = [value.rstrip("/") or "/"] if value and value.startswith("/") else []
        return list(dict.fromkeys([*found, default]))

    def finish(self, *, found: bool = False) -> Inventory:
        """The inventory, naming the stack when the probe met anything of it: a component, a
        device, a problem above a note, or what the probe itself counts (`found`)."""
        inventory = self.inventory
        if (
            found
            or inventory.components
            or inventory.devices
            or any(f.severity is not Severity.INFO for f in inventory.findings)
        ):
            inventory.stacks.append(self.stack)
        return inventory

    def component(self, component_id: str, version: str, source: str) -> None:
        if self.inventory.version(component_id) is None:
            self.inventory.components.append(Component(component_id, version, source))


def command_failure(result: CommandResult) -> str:
    """One line saying how a command failed, for messages."""
    if result.timed_out:
        return T(
            "`{command}` did not answer and was killed ({error})",
            command=result.key,
            error=result.error,
        )
    if result.truncated:
        return T("`{command}` was stopped: {error}", command=result.key, error=result.error)
    if result.exit is None:
        return T(
            "`{command}` could not be started: {error}", command=result.key, error=result.error
        )
    lines = [line.strip() for line in (result.stderr + "\n" + result.stdout).splitlines()]
    detail: str = next((line[:200] for line in lines if line), T("no output"))
    return T(
        "`{command}` exited with status {status}: {detail}",
        command=result.key,
        status=result.exit,
        detail=detail,
    )
