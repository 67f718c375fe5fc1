"""`chipdoctor matrix update`: fetch a signed data bundle, verify it, install it atomically.

Where from: `--from URL|FILE`, else CHIPDOCTOR_DATA_URL, else `data_url:` in the user's
XDG_CONFIG_HOME/chipdoctor/config.yaml. Never from a file in the working directory (a checkout
could plant one) and never a built-in URL (the project publishes none yet). urllib honours
HTTPS_PROXY/HTTP_PROXY/NO_PROXY. The download is bounded in size and time; every failure is
BadInput (exit 2) in one line, raised before the data in use is touched.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chipdoctor import __version__
from chipdoctor.boundedio import RefusedFile, read_regular, size_text
from chipdoctor.delivery import write_atomic
from chipdoctor.errors import BadInput
from chipdoctor.matrix.bundle import (
    BUNDLE_FORMAT,
    MAX_BUNDLE,
    PROJECT_KEY,
    Bundle,
    digest,
    load_public,
    verify,
)
from chipdoctor.matrix.store import (
    META,
    STATE,
    DataSource,
    active,
    data_home,
    installed,
    read_state,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ENV_URL = "CHIPDOCTOR_DATA_URL"
_CHUNK = 1 << 16


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path("~/.config").expanduser()) / "chipdoctor" / "config.yaml"


def source_of(given: str | None) -> str:
    """--from, else CHIPDOCTOR_DATA_URL, else the user's config; bad input when none says."""
    if given:
        return given
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    path = config_file()
    if path.exists():
        from chipdoctor.yamlio import read_yaml

        data = read_yaml(path).data
        url = data.get("data_url") if isinstance(data, dict) else None
        if isinstance(url, str) and url.strip():
            return url.strip()
    raise BadInput(
        f"no data source: pass --from URL|FILE, set {ENV_URL}, or write data_url: in {path} "
        "(chipdoctor has no built-in URL yet)"
    )


def fetch(source: str, timeout: float) -> bytes:
    """The bundle's bytes from a URL (http, https) or a file."""
    if source.startswith(("https://", "http://")):
        return _download(source, timeout)
    try:
        return read_regular(source, MAX_BUNDLE)
    except FileNotFoundError:
        raise BadInput("no such file", path=source) from None
    except (OSError, RefusedFile) as exc:
        raise BadInput(f"cannot read the bundle: {exc}", path=source) from None


def _download(url: str, timeout: float) -> bytes:
    """At most MAX_BUNDLE bytes within `timeout` seconds in all; a short body is refused."""
    request = urllib.request.Request(url, headers={"User-Agent": f"chipdoctor/{__version__}"})
    try:
        # A fresh opener reads the *_PROXY variables now (urlopen's global one keeps the first).
        opener = urllib.request.build_opener(urllib.request.ProxyHandler())
        with opener.open(request, timeout=timeout) as response:
            return _body(response, url, time.monotonic() + timeout, timeout)
    except urllib.error.HTTPError as exc:
        raise BadInput(f"the server answered HTTP {exc.code} {exc.reason}", path=url) from None
    except http.client.IncompleteRead as exc:
        got = len(exc.partial)
        total = got + (exc.expected or 0)
        raise BadInput(f"truncated download: {got} bytes of {total}", path=url) from None
    except (TimeoutError, socket.timeout):
        raise BadInput(f"no answer within {timeout:g} s", path=url) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise BadInput(f"no answer within {timeout:g} s", path=url) from None
        raise BadInput(f"cannot download: {exc.reason}", path=url) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise BadInput(f"cannot download: {exc}", path=url) from None


def _body(response: http.client.HTTPResponse, url: str, deadline: float, timeout: float) -> bytes:
    length = response.headers.get("Content-Length")
    expected = int(length) if length and length.isdigit() else None
    limit = f"the {size_text(MAX_BUNDLE)} limit"
    if expected is not None and expected > MAX_BUNDLE:
        raise BadInput(f"the bundle is {size_text(expected)}, over {limit}", path=url)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > MAX_BUNDLE:
            raise BadInput(f"the bundle is over {limit}", path=url)
        if time.monotonic() > deadline:
            raise BadInput(f"the download took longer than {timeout:g} s", path=url)
        chunks.append(chunk)
    if expected is not None and size != expected:
        raise BadInput(f"truncated download: {size} bytes of {expected}", path=url)
    return b"".join(chunks)


def trusted_keys(extra: Path | None) -> list[Ed25519PublicKey]:
    """The project's key shipped in the package, and a key the user trusts (--trust)."""
    keys = [load_public(PROJECT_KEY)] if PROJECT_KEY.is_file() else []
    if extra is not None:
        keys.append(load_public(extra))
    return keys


def update(
    given: str | None, *, trust: Path | None = None, timeout: float = 60.0
) -> tuple[DataSource, DataSource]:
    """Fetch, verify and install a bundle; (what was installed, what is in use now)."""
    source = source_of(given)
    keys = trusted_keys(trust)
    bundle = verify(fetch(source, timeout), keys, source)
    home = data_home()
    with _locked(home):
        return install(bundle, home, source), active()


def install(bundle: Bundle, home: Path, where: str) -> DataSource:
    """Stage the bundle, lint every matrix, then switch to it in one atomic rename of the state;
    the copy in use before stays as `previous` for --rollback."""
    folder = home / "data"
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    try:
        for name, data in bundle.files.items():
            (staging / name).write_bytes(data)
        _lint(staging, where)
        meta = {
            "format": BUNDLE_FORMAT,
            "updated": bundle.updated,
            "files": {name: digest(data) for name, data in bundle.files.items()},
            "manifest": bundle.manifest,
            "from": where,
        }
        (staging / META).write_text(json.dumps(meta, indent=1) + "\n")
        target = folder / bundle.id
        if installed(home, bundle.id) is None:
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    state = read_state(home)
    if state["current"] != bundle.id:
        _write_state(home, current=bundle.id, previous=state["current"])
    result = installed(home, bundle.id)
    if result is None:  # another process removed it between the rename and now
        raise BadInput("the installed data vanished while it was installed", path=str(target))
    return result


def rollback(home: Path | None = None) -> DataSource:
    """Swap the current and previous copies ("" = the bundled data); the new state is used."""
    home = home or data_home()
    with _locked(home):
        return _rollback(home)


def _rollback(home: Path) -> DataSource:
    state = read_state(home)
    if not state["current"] and not state["previous"]:
        raise BadInput(f"no previous data to roll back to in {home}")
    if state["previous"] and installed(home, state["previous"]) is None:
        raise BadInput(f"the previous data in {home} is missing or damaged; nothing changed")
    _write_state(home, current=state["previous"], previous=state["current"])
    return active()


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One update or rollback at a time: a second waits for the first (flock on .lock)."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_state(home: Path, *, current: str, previous: str) -> None:
    """Replace state.json in one rename, then drop the copies it no longer names."""
    state = json.dumps({"current": current, "previous": previous})
    write_atomic(home / STATE, state.encode(), force=True)
    folder = home / "data"
    for old in folder.iterdir() if folder.is_dir() else ():
        if old.name not in (current, previous) and not old.name.startswith("."):
            with contextlib.suppress(OSError):
                shutil.rmtree(old)


def _lint(folder: Path, where: str) -> None:
    """Every matrix must load as `matrix lint` loads it, and be named after its stack."""
    from chipdoctor.matrix.load import load_file

    for path in sorted(folder.glob("*.yaml")):
        try:
            matrix = load_file(path)
        except BadInput as exc:
            spot = f"{path.name}:{exc.line}" if exc.line else path.name
            raise BadInput(f"matrix lint failed: {spot}: {exc.message}", path=where) from None
        if matrix.stack != path.stem:
            raise BadInput(
                f"matrix lint failed: {path.name} holds the {matrix.stack!r} stack", path=where
            )
