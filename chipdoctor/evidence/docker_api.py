"""The two archive requests docker-py's public methods cannot make as chipdoctor needs them.

- The stat of a path: the Engine API answers `HEAD /containers/{id}/archive?path=…` with the
  stat alone, in the `X-Docker-Container-Path-Stat` header (Engine API, "Get information about
  files in a container"); docker-py only offers the GET, which starts streaming the tree.
- A bounded read of a path: docker-py's `get_archive` turns the read timeout off for the whole
  stream (`_stream_raw_result` calls `_disable_socket_timeout`), so a stalled engine would hang
  the check, and its response can only be closed by dropping its generator.

docker-py 7.x's `APIClient` is a `requests.Session` whose `base_url`, `api_version` and
`timeout` name the engine, so both requests use those public attributes, never its private
helpers. Everything that depends on that lives here, tested against a real engine
(tests/docker/test_docker_api.py); pyproject.toml bounds docker-py below 8 for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

STAT_HEADER = "X-Docker-Container-Path-Stat"
HTTP_NOT_FOUND = 404


class EngineRefused(Exception):
    """The engine answered with an error other than "no such path"."""


def path_stat(api: Any, container: str, path: str) -> dict[str, Any] | None:
    """The engine's stat of `path` in `container` (a final symlink not followed), None when absent.

    Keys: `name`, `size`, `mode` (Go's os.FileMode bits), `mtime`, `linkTarget`.
    """
    import docker.utils

    response = api.head(_archive_url(api, container), params={"path": path}, timeout=api.timeout)
    try:
        if response.status_code == HTTP_NOT_FOUND:
            return None
        if not response.ok or STAT_HEADER not in response.headers:
            raise EngineRefused(_reason(response))
        stat: dict[str, Any] = docker.utils.decode_json_header(response.headers[STAT_HEADER])
        return stat
    finally:
        response.close()


@contextlib.contextmanager
def archive_chunks(
    api: Any, container: str, path: str, chunk_bytes: int
) -> Iterator[Iterator[bytes]]:
    """`path` as an uncompressed tar stream, in chunks of up to `chunk_bytes`.

    Leaving the block closes the connection, so the engine stops sending what was not read;
    the client's timeout bounds every read.
    """
    response = api.get(
        _archive_url(api, container),
        params={"path": path},
        headers={"Accept-Encoding": "identity"},
        stream=True,
        timeout=api.timeout,
    )
    try:
        if not response.ok:
            raise EngineRefused(_reason(response))
        yield response.iter_content(chunk_size=chunk_bytes)
    finally:
        response.close()


def _archive_url(api: Any, container: str) -> str:
    return f"{api.base_url}/v{api.api_version}/containers/{quote(container, safe='')}/archive"


def _reason(response: Any) -> str:
    """The engine's own message (a JSON body `{"message": …}`), else the HTTP status."""
    try:
        message = response.json().get("message")
    except ValueError:
        message = None
    return (
        str(message) if message else f"HTTP {response.status_code} {response.reason or ''}".strip()
    )
