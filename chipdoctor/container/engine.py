"""Talking to the Docker Engine: connect, read its registered runtimes, build a recipe.

The docker SDK is imported here only, so `chipdoctor --help` and a `check` that needs no
engine never load it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from chipdoctor.errors import BadInput
from chipdoctor.evidence.base import DockerEngine
from chipdoctor.i18n import T
from chipdoctor.model import Finding, Severity

DEFAULT_SOCKET = "/var/run/docker.sock"
#: Seconds `check` waits for the engine's answer about runtimes: never slows a check down much.
RUNTIME_TIMEOUT = 2.0


def engine_address() -> str | None:
    """DOCKER_HOST (a unix socket only if it exists), or the default socket when it exists;
    None when there is nothing to try."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        # A unix socket that is not there has no engine behind it: nothing to try.
        if host.startswith("unix://") and not Path(host[len("unix://") :]).exists():
            return None
        return host
    return f"unix://{DEFAULT_SOCKET}" if Path(DEFAULT_SOCKET).exists() else None


def connect(*, timeout: float = 60.0) -> Any:
    """A docker.DockerClient for DOCKER_HOST (or the default socket); exit 2 if unreachable."""
    import docker
    import docker.errors

    address = os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    refused = unix_refusal(address, timeout)
    if refused is not None:
        raise BadInput(f"cannot reach the Docker Engine at {address}: {refused}")
    try:
        client = docker.DockerClient(base_url=address, timeout=timeout)
    except (docker.errors.DockerException, OSError) as exc:
        raise BadInput(f"cannot reach the Docker Engine at {address}: {exc}") from None
    try:
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        client.close()
        raise BadInput(f"cannot reach the Docker Engine at {address}: {exc}") from None
    return client


def unix_refusal(address: str, timeout: float) -> OSError | None:
    """Why a `unix://` engine socket takes no connection, tried with a socket closed whatever
    happens; None when it does, or for another scheme. The docker SDK's own unix connection
    drops a socket whose connect failed without closing it (a ResourceWarning wherever the
    garbage collector next runs), so it only ever meets a socket that answered here."""
    if not address.startswith("unix://"):
        return None
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        try:
            probe.connect(address[len("unix://") :])
        except OSError as exc:
            return exc
    return None


def read_engine() -> DockerEngine | None:
    """The Docker Engine's runtimes (Engine API `/info`); None when there is no engine address
    or it does not answer within RUNTIME_TIMEOUT: a hint for container users, never a failure."""
    address = engine_address()
    if address is None:
        return None
    if unix_refusal(address, RUNTIME_TIMEOUT) is not None:
        return None
    import docker
    import docker.errors
    import requests.exceptions

    # NOTE: a fixed API version: with "auto" the client asks the engine in its constructor,
    # before there is a client to close when that fails. /info has listed Runtimes since 1.24.
    try:
        client = docker.DockerClient(base_url=address, timeout=RUNTIME_TIMEOUT, version="1.24")
    except (docker.errors.DockerException, OSError):
        return None
    try:
        info = client.info()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return None
    finally:
        client.close()
    runtimes = info.get("Runtimes") if isinstance(info, dict) else None
    return DockerEngine(
        address=address,
        runtimes=tuple(sorted(str(name) for name in runtimes or {})),
        default_runtime=str(info.get("DefaultRuntime") or ""),
    )


def runtime_findings(stacks: Iterable[str], engine: DockerEngine) -> list[Finding]:
    """Whether `engine` has the runtime each found stack's containers use (stack.yaml `mounts:`)."""
    from chipdoctor.recipes.data import mounts

    layouts = mounts()
    out = []
    for stack in stacks:
        layout = layouts.get(stack)
        runtime = None if layout is None else layout.runtime
        if layout is None or runtime is None:
            continue
        name = f"{layout.stack}.docker-runtime"
        if runtime.name in engine.runtimes:
            out.append(
                Finding(
                    name,
                    Severity.INFO,
                    (),
                    T(
                        "Docker has the `{runtime}` runtime registered (default runtime: "
                        "{default}).",
                        runtime=runtime.name,
                        default=engine.default_runtime or T("unknown"),
                    ),
                    "",
                )
            )
        else:
            out.append(
                Finding(
                    name,
                    Severity(runtime.missing),
                    (),
                    T(
                        "Docker at {address} has no `{runtime}` runtime registered (it has: "
                        "{registered}), so containers cannot get the {stack} devices through it "
                        "({source}).",
                        address=engine.address,
                        runtime=runtime.name,
                        registered=", ".join(engine.runtimes) or T("none"),
                        stack=layout.stack,
                        source=runtime.source,
                    ),
                    runtime.install,
                )
            )
    return out


def needs_runtime(stacks: Iterable[str]) -> bool:
    """Whether any of `stacks` runs its containers through a Docker runtime of its own."""
    from chipdoctor.recipes.data import mounts

    layouts = mounts()
    return any(s in layouts and layouts[s].runtime is not None for s in stacks)


def build(client: Any, context: Path, dockerfile: str, tag: str, out: TextIO) -> str:
    """Build `context/dockerfile` as `tag`, streaming the engine's progress to `out`."""
    import docker.errors

    try:
        stream = client.api.build(
            path=str(context), dockerfile=dockerfile, tag=tag, rm=True, forcerm=True, decode=True
        )
        image_id = ""
        for event in stream:
            if "stream" in event:
                out.write(event["stream"])
            elif "status" in event:
                out.write(f"{event['status']} {event.get('progress', '')}\n")
            if "aux" in event and "ID" in event["aux"]:
                image_id = event["aux"]["ID"]
            if "error" in event:
                raise BadInput(
                    f"docker build of {context / dockerfile} failed: {event['error'].strip()}"
                )
            out.flush()
    except docker.errors.APIError as exc:
        raise BadInput(
            f"docker build of {context / dockerfile} failed: {exc.explanation}"
        ) from None
    return image_id
