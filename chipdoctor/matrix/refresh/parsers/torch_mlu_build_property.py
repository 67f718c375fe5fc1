"""Cambricon/torch_mlu `scripts/release/build.property`: a JSON file per release branch naming
the package version (`1.22.2-torch2.1.0`), the driver it requires and the Neuware libraries it
is built against. setup.py turns the `-torch` into `+torch` in the wheel's version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chipdoctor.matrix.refresh.model import Generated, SourceError, recorded_files

NAME = "torch-mlu-build-property"
_LIBRARIES = {"cntoolkit": "neuware", "cnnl": "cnnl", "cncl": "cncl"}


def parse(directory: Path) -> Generated:
    out = Generated(NAME, "cambricon")
    for recorded in recorded_files(directory):
        where = str(recorded.path)
        try:
            data = json.loads(recorded.text())
        except json.JSONDecodeError as exc:
            raise SourceError(f"not JSON: {exc.msg}", path=where, line=exc.lineno) from None
        version = _text(data, "version", where)
        package, sep, torch = version.partition("-torch")
        if not sep:
            raise SourceError(
                f"version {version!r} is not '<torch_mlu>-torch<PyTorch>'", path=where
            )
        branch = recorded.meta.get("branch", "")
        source_id = f"gen-tm-bp-{branch or package}"
        out.sources[source_id] = recorded.source(
            f"Cambricon/torch_mlu scripts/release/build.property @ "
            f"{recorded.short_commit} (branch {branch}): {version}"
        )
        row: dict[str, object] = {"torch_mlu": f"{package}+torch{torch}", "torch": torch}
        requires = data.get("build_requires")
        if not isinstance(requires, dict):
            raise SourceError("build_requires is not a mapping", path=where)
        said = []
        for name, component in _LIBRARIES.items():
            if name in requires:
                release = _release(requires[name], f"build_requires.{name}", where)
                row[component] = f">={release.split('-')[0]}"
                said.append(f"{name} {release}")
        driver = _release(data.get("driver_requires"), "driver_requires", where)
        row["cambricon_driver"] = f">={driver.split('-')[0]}"
        row["branch"] = branch
        row["source"] = source_id
        row["note"] = f"build_requires {', '.join(said)}; driver_requires {driver}"
        out.add("torch_mlu", row)
    return out


def _text(data: Any, key: str, where: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise SourceError(f"{key} is missing or not text", path=where)
    return value


def _release(value: Any, what: str, where: str) -> str:
    """`["release", "6.2.0-1"]` -> `6.2.0-1`; a daily build is not a release and is refused."""
    if not (isinstance(value, list) and len(value) >= 2 and all(isinstance(v, str) for v in value)):
        raise SourceError(f"{what} is not [channel, version]", path=where)
    if value[0] != "release":
        raise SourceError(f"{what} names a {value[0]!r} build, not a release", path=where)
    return str(value[1])
