"""Bring the recorded copies up to date from GitHub: each `track` of a SOURCE.md follows one
branch of one file; the copy is saved under a name the parser derives from its content (a new
release gets a new file, older ones stay as recorded) and SOURCE.md is updated to the commit read.

Used by the weekly workflow; tests point `api` and `raw` at a server on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

from chipdoctor.matrix.refresh.model import (
    MAX_SOURCE_BYTES,
    SourceError,
    front_matter,
    plain_name,
    read_source,
)

GITHUB_API = "https://api.github.com"
GITHUB_RAW = "https://raw.githubusercontent.com"
TIMEOUT_S = 30.0
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_TRACK_KEYS = ("repo", "ref", "path", "name")

Label = Callable[[str], str]


@dataclass(frozen=True)
class Endpoints:
    api: str = GITHUB_API
    raw: str = GITHUB_RAW
    token: str = ""
    timeout: float = TIMEOUT_S


@dataclass(frozen=True)
class Fetched:
    name: str
    commit: str
    new: bool  # a file SOURCE.md did not list before
    changed: bool


def fetch_tracked(
    directory: Path, endpoints: Endpoints, today: str, label: Label | None
) -> list[Fetched]:
    """Download every tracked file of `directory`, rewrite SOURCE.md, and say what changed."""
    manifest = directory / "SOURCE.md"
    text = read_source(manifest)
    front, body = front_matter(text, manifest)
    files: dict[str, Any] = front.setdefault("files", {})
    tracks = front.get("track") or []
    if not isinstance(files, dict):
        raise SourceError("SOURCE.md front matter needs a 'files' mapping", path=str(manifest))
    if not isinstance(tracks, list) or not all(
        isinstance(track, dict) and all(key in track for key in _TRACK_KEYS) for track in tracks
    ):
        raise SourceError(
            f"SOURCE.md: track must be a list of mappings with {', '.join(_TRACK_KEYS)}",
            path=str(manifest),
        )
    out = []
    for track in tracks:
        repo, ref, path, pattern = (str(track[k]) for k in _TRACK_KEYS)
        sha = _commit(endpoints, repo, ref)
        data = _get(
            f"{endpoints.raw}/{quote(repo)}/{sha}/{quote(path)}", endpoints, MAX_SOURCE_BYTES
        )
        content = _text(data, f"{repo}@{sha}:{path}")
        name = pattern.format(label=label(content)) if "{label}" in pattern and label else pattern
        if not plain_name(name):
            raise SourceError(
                f"track {repo}:{path} gives the unsafe file name {name!r}", path=str(manifest)
            )
        target = directory / name
        changed = not target.is_file() or read_source(target) != content
        entry = dict(files.get(name) or {})
        entry.update(
            {key: track[key] for key in ("branch",) if key in track}
            | {"commit": sha, "url": f"https://github.com/{repo}/blob/{sha}/{path}"}
        )
        entry.pop("excerpt", None)
        out.append(Fetched(name, sha, name not in files, changed))
        files[name] = entry
        target.write_text(content, encoding="utf-8")
    if any(f.changed or f.new for f in out):
        front["retrieved"] = today
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=200)
    manifest.write_text(f"---\n{dumped}---\n{body}", encoding="utf-8")
    return out


def _commit(endpoints: Endpoints, repo: str, ref: str) -> str:
    url = f"{endpoints.api}/repos/{quote(repo)}/commits/{quote(ref, safe='')}"
    try:
        sha = json.loads(_get(url, endpoints, 1 << 20)).get("sha")
    except (ValueError, AttributeError):
        sha = None
    if not isinstance(sha, str) or len(sha) != 40 or not all(c in "0123456789abcdef" for c in sha):
        raise SourceError(f"{url}: no commit id in the answer")
    return sha


def _get(url: str, endpoints: Endpoints, limit: int) -> bytes:
    """At most `limit` bytes over HTTPS (plain HTTP only to this machine), within the timeout
    for the whole answer, not only for each read. A redirect is an error: it could leave HTTPS
    or carry the token elsewhere. HTTPS_PROXY is not used: the workflow runs with direct access.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise SourceError(f"{url}: only https URLs are fetched")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=endpoints.timeout)
    headers = {"User-Agent": "chipdoctor-refresh", "Accept": "application/json, text/plain"}
    if endpoints.token and url.startswith(endpoints.api.rstrip("/") + "/"):
        headers["Authorization"] = f"Bearer {endpoints.token}"
    deadline = time.monotonic() + endpoints.timeout
    chunks: list[bytes] = []
    size = 0
    response: http.client.HTTPResponse | None = None
    try:
        connection.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
        )
        response = connection.getresponse()
        if response.status != 200:
            raise SourceError(f"{url}: HTTP {response.status} {response.reason}")
        while size <= limit:
            if time.monotonic() > deadline:
                raise SourceError(f"{url}: no whole answer within {endpoints.timeout:g} s")
            chunk = response.read(min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException) as exc:
        raise SourceError(f"{url}: {exc or type(exc).__name__}") from None
    finally:
        if response is not None:
            response.close()
        connection.close()
    if size > limit:
        raise SourceError(f"{url}: over the {limit} byte limit")
    return b"".join(chunks)


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{where}: not UTF-8 text") from None
