"""The recipe data shipped in the wheel, read from every registered stack's `stack.yaml`
(docs/stack-yaml.md): its base images (`images:`), host mounts (`mounts:`) and where its pip
packages come from (`wheels:`); the image sources and environments the stacks share are in
`images.yaml` here. Each stack's data lives in its own folder, so adding a stack edits no list.

Every value is checked against the strict patterns of `recipes.safety` as it is loaded, so a
broken entry fails with FILE:LINE before any recipe is written.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from chipdoctor.recipes.safety import checked
from chipdoctor.yamlio import LocatedYaml, YamlPath, read_yaml

#: The image sources and environments every stack's `images:` may name.
SHARED_IMAGES = Path(__file__).resolve().parent / "images.yaml"
STACK_FORMAT = "chipdoctor-stack/1"
#: The sections a stack.yaml may have, each optional (access: chipdoctor/access/data.py).
SECTIONS = ("access", "mounts", "images", "wheels")


@dataclass(frozen=True)
class ImageTag:
    """One published image: `repository:tag`, what it has installed, and the ENV it sets."""

    stack: str
    repository: str
    tag: str
    values: Mapping[str, str]
    provides: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    source: str
    mirrors: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Runtime:
    name: str
    install: str
    source: str
    missing: str  # the severity of "not registered": info or warning


@dataclass(frozen=True)
class Mounts:
    stack: str
    devices: tuple[str, ...]
    volumes: tuple[str, ...]
    options: tuple[str, ...]
    runtime: Runtime | None
    source: str
    #: (finding id, reason): what a build cannot have because the host brings it at run time.
    preflight_ignore: tuple[tuple[str, str], ...] = ()
    #: `apptainer exec` options that bring the GPUs in (Apptainer shares the host's /dev).
    apptainer: tuple[str, ...] = ()

    def device_nodes(self, count: int) -> list[str]:
        """Device nodes with `{index}` expanded for `count` devices (at least one)."""
        out: list[str] = []
        for device in self.devices:
            if "{index}" in device:
                out += [device.replace("{index}", str(i)) for i in range(max(count, 1))]
            else:
                out.append(device)
        return out

    def host_paths(self) -> list[tuple[str, str]]:
        """(host path, container path) of every bind mount."""
        return [(v.split(":", 1)[0], v.split(":", 1)[1]) for v in self.volumes]


@dataclass(frozen=True)
class WheelSource:
    package: str
    index_url: str  # "" is pip's default index (PyPI)
    versions: tuple[str, ...]
    elsewhere: str
    source: str

    def on_index(self, version: str) -> bool:
        return not self.versions or version in self.versions


def read_stack_file(path: Path) -> LocatedYaml:
    """One stack.yaml: its format and its known sections, each a mapping or (images) a list."""
    doc = read_yaml(path)
    if not isinstance(doc.data, dict) or doc.data.get("format") != STACK_FORMAT:
        raise doc.error((), f"{path.name} must be a mapping with format: {STACK_FORMAT}")
    for key, value in doc.data.items():
        if key == "format":
            continue
        if key not in SECTIONS:
            raise doc.error(
                (key,), f"unknown section {key!r} (a stack.yaml has {', '.join(SECTIONS)})"
            )
        kind = list if key == "images" else dict
        if not isinstance(value, kind):
            raise doc.error((key,), f"{key} must be a {'list' if kind is list else 'mapping'}")
    return doc


@lru_cache(maxsize=1)
def stack_files() -> dict[str, LocatedYaml]:
    """Every registered stack's stack.yaml, in registry order; a stack without one has no data."""
    from chipdoctor.stacks import STACKS

    return {
        name: read_stack_file(path)
        for name, stack in STACKS.items()
        if (path := stack.data_file()).is_file()
    }


def _sections(stacks: Mapping[str, LocatedYaml], section: str) -> list[tuple[str, LocatedYaml]]:
    return [(name, doc) for name, doc in stacks.items() if section in doc.data]


def _text(doc: LocatedYaml, where: YamlPath, value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise doc.error(where, "expected text")
    return str(value)


def _check(doc: LocatedYaml, where: YamlPath, kind: str, value: Any) -> str:
    text = _text(doc, where, value)
    checked(kind, text, f"{doc.path}:{doc.line(where)}")
    return text


@lru_cache(maxsize=1)
def images() -> tuple[ImageTag, ...]:
    """Every published tag of the registered stacks."""
    return load_images(read_yaml(SHARED_IMAGES), stack_files())


def load_images(shared: LocatedYaml, stacks: Mapping[str, LocatedYaml]) -> tuple[ImageTag, ...]:
    """Every published tag, expanded from the release entries, in registry then file order."""
    sources, environments = _shared(shared)
    out: list[ImageTag] = []
    for stack, doc in _sections(stacks, "images"):
        for e_index, entry in enumerate(doc.data["images"]):
            where: YamlPath = ("images", e_index)
            repository = _check(
                doc, (*where, "repository"), "image reference", entry.get("repository")
            )
            template = _text(doc, (*where, "tag"), entry.get("tag"))
            source = _text(doc, (*where, "source"), entry.get("source"))
            if source not in sources:
                raise doc.error(
                    (*where, "source"),
                    f"source {source!r} is not defined under sources in recipes/images.yaml",
                )
            provides = tuple(str(p) for p in entry.get("provides") or ())
            mirrors = tuple(
                _check(doc, (*where, "mirrors"), "image reference", m)
                for m in entry.get("mirrors") or ()
            )
            family = ImageTag(stack, repository, template, {}, provides, (), source, mirrors)
            for r_index, release in enumerate(entry.get("releases") or []):
                release_at: YamlPath = (*where, "releases", r_index)
                environment = environments.get(str(release.get("environment", "")), ())
                if release.get("environment") and not environment:
                    raise doc.error(
                        (*release_at, "environment"),
                        "no such environment under environments in recipes/images.yaml",
                    )
                out += _expand(doc, release_at, family, release, environment)
    return tuple(out)


def _shared(
    doc: LocatedYaml,
) -> tuple[set[str], dict[str, tuple[tuple[str, str], ...]]]:
    """The source keys and the environments of the shared images.yaml."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise doc.error((), f"{Path(doc.path).name} must be a mapping with format and sources")
    for key in data:
        if key not in ("format", "sources", "environments"):
            raise doc.error((key,), f"unknown key {key!r}: a stack's images go in its stack.yaml")
    environments: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, body in (data.get("environments") or {}).items():
        pairs = []
        for index, pair in enumerate(body.get("env") or []):
            at: YamlPath = ("environments", name, "env", index)
            if not isinstance(pair, list) or len(pair) != 2:
                raise doc.error(at, "an environment entry is [NAME, value]")
            variable = _check(doc, at, "environment variable name", pair[0])
            value = _text(doc, at, pair[1])
            # `{cann}` is filled per release; the filled value is checked again in the recipe.
            checked("environment value", value.replace("{cann}", "0"), f"{doc.path}:{doc.line(at)}")
            pairs.append((variable, value))
        environments[str(name)] = tuple(pairs)
    return set(data["sources"]), environments


def _expand(
    doc: LocatedYaml,
    at: YamlPath,
    family: ImageTag,
    release: Mapping[str, Any],
    environment: tuple[tuple[str, str], ...],
) -> list[ImageTag]:
    """Every tag of one release entry; `family.tag` is the template, filled per combination."""
    template, provides = family.tag, family.provides
    fields = {
        k: v if isinstance(v, list) else [v] for k, v in release.items() if k != "environment"
    }
    names = list(fields)
    out = []
    for combination in itertools.product(*(fields[n] for n in names)):
        values = {
            n: _check(doc, (*at, n), "version" if n in provides else "image tag", v)
            for n, v in zip(names, combination)
        }
        # NOTE: tags spell versions in lower case (`8.3.rc1` for CANN 8.3.RC1;
        # Ascend/cann-container-image OVERVIEW.md); Python 3.10 is `py310` in some families.
        fill = {n: v.lower() for n, v in values.items()}
        if "python" in values:
            fill["python_nodot"] = values["python"].replace(".", "")
        try:
            tag = template.format(**fill)
        except (KeyError, IndexError):
            raise doc.error(
                at, f"the tag template {template!r} names a field this release lacks"
            ) from None
        checked("image tag", tag, f"{doc.path}:{doc.line(at)}")
        env = tuple((k, v.replace("{cann}", values.get("cann", ""))) for k, v in environment)
        out.append(replace(family, tag=tag, values=values, environment=env))
    return out


@lru_cache(maxsize=1)
def mounts() -> dict[str, Mounts]:
    """What each registered stack's containers need from the host."""
    return load_mounts(stack_files())


def load_mounts(stacks: Mapping[str, LocatedYaml]) -> dict[str, Mounts]:
    out = {}
    for stack, doc in _sections(stacks, "mounts"):
        body = doc.data["mounts"]
        where: YamlPath = ("mounts",)
        runtime = None
        if body.get("runtime"):
            r = body["runtime"]
            runtime = Runtime(
                _check(doc, (*where, "runtime", "name"), "image tag", r.get("name")),
                _text(doc, (*where, "runtime", "install"), r.get("install")),
                _text(doc, (*where, "runtime", "source"), r.get("source")),
                _severity(doc, (*where, "runtime", "missing"), r.get("missing")),
            )
        out[str(stack)] = Mounts(
            str(stack),
            tuple(_check(doc, (*where, "devices"), "device", d) for d in body.get("devices") or ()),
            tuple(_check(doc, (*where, "volumes"), "volume", v) for v in body.get("volumes") or ()),
            tuple(
                _check(doc, (*where, "options"), "docker run option", o)
                for o in body.get("options") or ()
            ),
            runtime,
            _text(doc, (*where, "source"), body.get("source")),
            tuple(
                (
                    _check(doc, (*where, "preflight_ignore"), "finding id", item.get("id")),
                    _text(doc, (*where, "preflight_ignore"), item.get("reason")),
                )
                for item in body.get("preflight_ignore") or ()
            ),
            tuple(
                _check(doc, (*where, "apptainer"), "docker run option", o)
                for o in body.get("apptainer") or ()
            ),
        )
    return out


def _severity(doc: LocatedYaml, where: YamlPath, value: Any) -> str:
    if value not in ("info", "warning"):
        raise doc.error(where, "missing must be info or warning")
    return str(value)


@lru_cache(maxsize=1)
def wheels() -> dict[str, dict[str, WheelSource]]:
    """Where each registered stack's pip packages come from."""
    return load_wheels(stack_files())


def load_wheels(stacks: Mapping[str, LocatedYaml]) -> dict[str, dict[str, WheelSource]]:
    out: dict[str, dict[str, WheelSource]] = {}
    for stack, doc in _sections(stacks, "wheels"):
        for package, body in doc.data["wheels"].items():
            where: YamlPath = ("wheels", package)
            checked("package name", str(package), f"{doc.path}:{doc.line(where)}")
            index = str(body.get("index_url") or "")
            if index:
                _check(doc, (*where, "index_url"), "URL", index)
            elsewhere = str(body.get("elsewhere") or "")
            if elsewhere:
                _check(doc, (*where, "elsewhere"), "URL", elsewhere)
            versions = tuple(
                _check(doc, (*where, "versions"), "version", v) for v in body.get("versions") or ()
            )
            out.setdefault(str(stack), {})[str(package)] = WheelSource(
                str(package),
                index,
                versions,
                elsewhere,
                _text(doc, (*where, "source"), body.get("source")),
            )
    return out
