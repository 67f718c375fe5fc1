"""Report an interpreter's version and installed distributions as JSON.

Runs in-process for the current interpreter and as a script (`python pyinfo.py`) for
`--python PATH`, so it uses only the standard library of Python 3.8+ and never imports torch.
"""

import os
import re
import sys

# NOTE: a `.dist-info` directory is named `{name}-{version}.dist-info` (binary distribution
# format spec), so reading names is ~10x faster than parsing every METADATA file; `.egg-info`
# directories carry no reliable version in their name and are read through importlib.metadata.
DIST_INFO = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)\.dist-info$")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _egg_info_version(path: str) -> "tuple[str, str] | None":
    from importlib import metadata

    dist = metadata.PathDistribution.at(path)
    name = dist.metadata["Name"]
    return (name, dist.version) if name else None


def installed_packages(paths: "list[str]", found_in: "list[str] | None" = None) -> "dict[str, str]":
    """Normalised name -> version; the first entry on the path wins, as at import time.

    Directories that hold at least one distribution are appended to `found_in`.
    """
    packages: dict[str, str] = {}
    for entry in paths:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for child in names:
            found = None
            match = DIST_INFO.match(child)
            if match:
                found = (match.group("name"), match.group("version"))
            elif child.endswith(".egg-info"):
                try:
                    found = _egg_info_version(os.path.join(entry, child))
                except Exception:  # a broken egg-info must not stop the inventory
                    found = None
            if found and _normalize(found[0]) not in packages:
                packages[_normalize(found[0])] = found[1]
                if found_in is not None and entry and os.path.abspath(entry) not in found_in:
                    found_in.append(os.path.abspath(entry))
    return packages


def python_version() -> str:
    """platform.python_version() without importing platform (~2 ms of `check`'s start-up):
    the first word of sys.version ("3.13.0rc1"), a missing patch number written as 0."""
    version = sys.version.split()[0]
    return version + ".0" if version.count(".") == 1 else version


def collect() -> "dict[str, object]":
    paths: list[str] = []
    packages = installed_packages(list(sys.path), paths)
    return {
        "version": python_version(),
        "executable": sys.executable,
        "packages": packages,
        "paths": paths,
    }


if __name__ == "__main__":
    import json

    json.dump(collect(), sys.stdout)
