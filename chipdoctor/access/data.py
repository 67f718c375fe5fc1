"""The bundled access data: the `access:` section of each stack's stack.yaml (libraries,
groups, visible-device variables, notes on devices and volumes; docs/stack-yaml.md) over its
`mounts:` section (what `docker run` passes in, read through the recipes' own reader so the
check and the recipes share one list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chipdoctor.recipes.data import Mounts
    from chipdoctor.yamlio import LocatedYaml, YamlPath

INDEX = "{index}"  # one node per device: /dev/davinci{index} (the `mounts:` spelling)


class DataError(ValueError):
    """The bundled data is malformed: a bug in chipdoctor, caught by its own tests."""


@dataclass(frozen=True)
class Provider:
    name: str
    what: str
    installed: str  # the component id probes report when it is installed
    install: str
    dirs: tuple[str, ...] = ()
    script: str = ""  # environment script whose sourcing adds `dirs`
    setup: str = ""  # the fix when installed but not searched, where no script does it
    host: tuple[str, ...] = ()  # `mounts:` volumes (host paths) bringing it into a container
    from_host: bool = False  # the runtime's --gpus brings it from the host
    merge: tuple[str, ...] = ()


@dataclass(frozen=True)
class Library:
    name: str
    provider: str
    when: tuple[str, ...] = ()  # component ids or pip names; empty: always
    needed_by: tuple[str, ...] = ()  # pip names that fail to import without it


@dataclass(frozen=True)
class VisibleVariable:
    variable: str
    nodes: str  # a device-node pattern with {index}


@dataclass(frozen=True)
class Device:
    path: str  # what --device names, `{index}` for a numbered node
    what: str = ""
    nodes: tuple[str, ...] = ()  # the node patterns a directory entry carries
    optional: str = ""  # why a stack may lack it ("" when it is required)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The character-device patterns to look for."""
        return self.nodes or (self.path,)

    @property
    def shown(self) -> str:
        return self.path.replace(INDEX, "N")

    def flag(self) -> str:
        return f"--device {self.path.replace(INDEX, '0')}"


@dataclass(frozen=True)
class Volume:
    host: str
    container: str
    what: str = ""
    optional: bool = False

    def flag(self) -> str:
        return f"-v {self.host}:{self.container}"


@dataclass(frozen=True)
class StackAccess:
    stack: str
    driver: str  # the kernel driver's component id
    package: str
    objects: tuple[str, ...]
    build_fact: str  # an Inventory fact that says torch is built for this stack ("" if none)
    providers: dict[str, Provider]
    libraries: tuple[Library, ...]
    groups: tuple[str, ...]
    visible: tuple[VisibleVariable, ...]
    devices: tuple[Device, ...]
    volumes: tuple[Volume, ...]
    options: tuple[str, ...]  # other `docker run` options of the stack (--group-add, --gpus)

    @property
    def gpus(self) -> str:
        """The `--gpus …` option when a container toolkit brings devices and driver, else ""."""
        return next((o for o in self.options if o.startswith("--gpus")), "")


@cache
def access_data() -> dict[str, StackAccess]:
    """What each registered stack's extension needs, from the stacks' stack.yaml files."""
    from chipdoctor.recipes.data import mounts, stack_files

    return load_access(stack_files(), mounts())


def load_access(
    stacks: Mapping[str, LocatedYaml], shared: Mapping[str, Mounts]
) -> dict[str, StackAccess]:
    """The `access:` sections of `stacks`, over their `mounts:` (`shared`, by stack)."""
    out = {}
    for name, doc in stacks.items():
        if "access" not in doc.data:
            continue
        if name not in shared:
            raise DataError(_at(doc, ("access",), f"{name} has access but no mounts section"))
        out[name] = _stack(doc, name, shared[name])
    return out


def _at(doc: LocatedYaml, where: YamlPath, message: str) -> str:
    return f"{doc.path}:{doc.line(where)}: {message}"


def _words(value: Any) -> str:
    return " ".join(str(value or "").split())


def _stack(doc: LocatedYaml, name: str, mounts: Mounts) -> StackAccess:
    data: dict[str, Any] = doc.data["access"]
    extension = data.get("extension") or {}
    providers = _providers(data)
    libraries = tuple(
        Library(
            str(item["name"]),
            str(item["provider"]),
            tuple(item.get("when") or ()),
            tuple(item.get("needed_by") or ()),
        )
        for item in data.get("libraries") or ()
    )
    _check_references(doc, name, providers, libraries, mounts)
    return StackAccess(
        stack=name,
        driver=str(data.get("driver") or ""),
        package=str(extension.get("package") or ""),
        objects=tuple(extension.get("objects") or ()),
        build_fact=str(extension.get("built_for") or ""),
        providers=providers,
        libraries=libraries,
        groups=tuple(data.get("groups") or ()),
        visible=tuple(
            VisibleVariable(str(item["variable"]), str(item["nodes"]))
            for item in data.get("visible_devices") or ()
        ),
        devices=_devices(mounts, data.get("devices") or {}),
        volumes=_volumes(mounts, data.get("volumes") or {}),
        options=mounts.options,
    )


def _providers(data: dict[str, Any]) -> dict[str, Provider]:
    return {
        key: Provider(
            key,
            _words(value["what"]),
            str(value["installed"]),
            _words(value["install"]),
            tuple(value.get("dirs") or ()),
            str(value.get("script") or ""),
            _words(value.get("setup")),
            tuple(value.get("host") or ()),
            bool(value.get("from_host", False)),
            tuple(value.get("merge") or ()),
        )
        for key, value in (data.get("providers") or {}).items()
    }


def _check_references(
    doc: LocatedYaml,
    name: str,
    providers: dict[str, Provider],
    libraries: tuple[Library, ...],
    mounts: Mounts,
) -> None:
    """Each library names a provider, and each provider's host paths are volumes of the mounts."""
    for index, library in enumerate(libraries):
        if library.provider not in providers:
            at: YamlPath = ("access", "libraries", index, "provider")
            raise DataError(_at(doc, at, f"{name}: {library.name} names no provider"))
    hosts = {host for host, _ in mounts.host_paths()}
    for provider in providers.values():
        for host in provider.host:
            if host not in hosts:
                where = ("access", "providers", provider.name, "host")
                raise DataError(_at(doc, where, f"{name}: {host} is no volume of its mounts"))


def _devices(mounts: Mounts, notes: dict[str, Any]) -> tuple[Device, ...]:
    """The mounts' device nodes, then those only the notes name, each with its notes."""
    devices = mounts.devices
    listed = [*devices, *(p for p in notes if p not in devices)]
    return tuple(
        Device(
            path,
            _words((notes.get(path) or {}).get("what")),
            tuple((notes.get(path) or {}).get("nodes") or ()),
            _words((notes.get(path) or {}).get("optional")),
        )
        for path in listed
    )


def _volumes(mounts: Mounts, notes: dict[str, Any]) -> tuple[Volume, ...]:
    return tuple(
        Volume(
            host,
            container,
            _words((notes.get(container) or {}).get("what")),
            bool((notes.get(container) or {}).get("optional", False)),
        )
        for host, container in mounts.host_paths()
    )
