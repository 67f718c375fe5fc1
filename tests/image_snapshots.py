"""Container images as `docker build` sees them, made from a real container's snapshot.

`access-rocm-no-kfd` was recorded inside a real container (its ld.so.cache, /proc/self/mountinfo,
/.dockerenv): every stack's build-time image starts from it, drops what the host would bring
(device nodes, drivers) and adds the stack's own files, packages, libraries and tools.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import SNAPSHOTS

BASE = SNAPSHOTS / "access-rocm-no-kfd"
#: The base's Python site directory (a python:3.11.7 image).
SITE = "/usr/local/python3.11.7/lib/python3.11/site-packages"


class BuildTimeImage:
    """A copy of the base container snapshot being edited into one image; `save()` writes it."""

    def __init__(self, directory: Path) -> None:
        shutil.copytree(BASE, directory)
        (directory / "expected.yaml").unlink()
        self.directory = directory
        self.doc: dict[str, Any] = yaml.safe_load((directory / "snapshot.yaml").read_text())
        # The base's ROCm library: the ELF facts every added library is modelled on.
        self.elf: dict[str, Any] = self.doc["elf"]["/opt/rocm/lib/libamdhip64.so"]
        self._regular_file = self.doc["stats"]["/.dockerenv"]
        # At build time no GPU is passed in: the render node is gone.
        del self.doc["stats"]["/dev/dri/renderD128"]
        self.absent("/dev/dri")

    def without(self, *paths: str) -> BuildTimeImage:
        """Remove these trees of the base (and their ELF records)."""
        for path in paths:
            shutil.rmtree(self.directory / "files" / path.lstrip("/"))
            for recorded in [p for p in self.doc["elf"] if p.startswith(path + "/")]:
                del self.doc["elf"][recorded]
        return self

    def file(self, path: str, text: str) -> BuildTimeImage:
        local = self.directory / "files" / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text)
        return self

    def absent(self, *paths: str) -> BuildTimeImage:
        """These paths do not exist in the image (the host brings them)."""
        for path in paths:
            self.doc["stats"][path] = None
            if path in self.doc["dirs"] or path == "/dev/dri":
                self.doc["dirs"][path] = None
        return self

    def python(self, version: str | None = None, **packages: str) -> BuildTimeImage:
        if version is not None:
            self.doc["python"]["version"] = version
        self.doc["python"]["packages"].update(packages)
        return self

    def env(self, **variables: str) -> BuildTimeImage:
        self.doc["env"] = dict(variables)
        return self

    def libraries(
        self, directory: str, names: Iterable[str], *, needed: Iterable[str] = ()
    ) -> BuildTimeImage:
        """Shared objects in `directory`, modelled on the base's (`needed` for all of them;
        a name's own soname unless it is an extension module)."""
        names = list(names)
        self.doc["dirs"][directory] = names
        for name in names:
            soname = None if ".cpython-" in name else name
            self.doc["elf"][f"{directory}/{name}"] = {
                **self.elf,
                "soname": soname,
                **({"needed": list(needed)} if needed else {}),
            }
            self.doc["stats"][f"{directory}/{name}"] = {**self._regular_file}
        return self

    def dirs(self, listings: Mapping[str, list[str] | None]) -> BuildTimeImage:
        self.doc["dirs"].update(listings)
        return self

    def command(
        self, key: str, exit: int, stdout: str, stderr: str | None = None
    ) -> BuildTimeImage:
        """A tool's recorded output (`stdout`/`stderr`: the text)."""
        commands = self.directory / "commands"
        commands.mkdir(exist_ok=True)
        base = key.replace(" ", "-")
        (commands / f"{base}.txt").write_text(stdout)
        entry: dict[str, Any] = {"exit": exit, "stdout": f"commands/{base}.txt"}
        if stderr is not None:
            (commands / f"{base}.err").write_text(stderr)
            entry["stderr"] = f"commands/{base}.err"
        self.doc.setdefault("commands", {})[key] = entry
        return self

    def save(self) -> Path:
        (self.directory / "snapshot.yaml").write_text(yaml.safe_dump(self.doc, sort_keys=False))
        return self.directory
