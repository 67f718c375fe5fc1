"""Updating the recorded sources over HTTP, against a real server on 127.0.0.1 that answers the
way GitHub's API and raw file host do (and the ways they fail)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from chipdoctor.matrix.refresh.fetch import Endpoints, fetch_tracked
from chipdoctor.matrix.refresh.model import SourceError, recorded_files
from chipdoctor.matrix.refresh.parsers import PARSERS
from tests.conftest import FIXTURES

SOURCES = FIXTURES / "sources"
SHA = "0123456789abcdef0123456789abcdef01234567"
NOTES_26_2 = (SOURCES / "pta-release-notes" / "release_notes-26.2.0.md").read_bytes()


class Site:
    """What the server answers: path -> (status, body)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes]] = {}
        self.seen: list[tuple[str, str | None]] = []


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("Authorization")))
            status, body = state.pages.get(self.path, (404, b"not found"))
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", body.decode())
                body = b""
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def endpoints(base: str, token: str = "", timeout: float = 10.0) -> Endpoints:
    return Endpoints(api=f"{base}/api", raw=f"{base}/raw", token=token, timeout=timeout)


def notes_dir(tmp_path: Path) -> Path:
    target = tmp_path / "pta-release-notes"
    shutil.copytree(SOURCES / "pta-release-notes", target)
    return target


def serve_notes(state: Site, body: bytes) -> None:
    state.pages["/api/repos/Ascend/pytorch/commits/master"] = (
        200,
        json.dumps({"sha": SHA}).encode(),
    )
    state.pages[f"/raw/Ascend/pytorch/{SHA}/docs/zh/release_notes.md"] = (200, body)


def test_a_newer_copy_of_the_same_release_replaces_the_excerpt(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    state, base = site
    whole = NOTES_26_2 + "\n## 更新说明\n\n(the rest of the notes)\n".encode()
    serve_notes(state, whole)
    directory = notes_dir(tmp_path)
    label = PARSERS["pta-release-notes"].label
    (fetched,) = fetch_tracked(directory, endpoints(base, token="t0ken"), "2099-01-01", label)
    assert (fetched.name, fetched.new, fetched.changed) == ("release_notes-26.2.0.md", False, True)
    assert (directory / fetched.name).read_bytes() == whole
    front = yaml.safe_load((directory / "SOURCE.md").read_text().split("---\n")[1])
    assert front["retrieved"] == "2099-01-01"
    entry = front["files"]["release_notes-26.2.0.md"]
    assert entry == {
        "commit": SHA,
        "url": f"https://github.com/Ascend/pytorch/blob/{SHA}/docs/zh/release_notes.md",
    }
    assert "# TorchNPU release notes" in (directory / "SOURCE.md").read_text()  # body kept
    # The token goes to the API only, never to the file host.
    assert state.seen == [
        ("/api/repos/Ascend/pytorch/commits/master", "Bearer t0ken"),
        (f"/raw/Ascend/pytorch/{SHA}/docs/zh/release_notes.md", None),
    ]
    assert [f.path.name for f in recorded_files(directory)] == [
        "release_notes-26.2.0.md",
        "release_notes-26.1.0.md",
        "release_notes-26.0.0.md",
        "release_notes-7.3.0.md",
    ]


def test_a_new_release_is_a_new_file_and_the_old_ones_stay(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    state, base = site
    serve_notes(state, NOTES_26_2.replace(b">26.2.0</span>", b">26.3.0</span>"))
    directory = notes_dir(tmp_path)
    label = PARSERS["pta-release-notes"].label
    (fetched,) = fetch_tracked(directory, endpoints(base), "2099-01-01", label)
    assert (fetched.name, fetched.new) == ("release_notes-26.3.0.md", True)
    assert (directory / "release_notes-26.2.0.md").read_bytes() == NOTES_26_2
    assert len(recorded_files(directory)) == 5


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ((404, b"no"), "HTTP 404"),
        ((500, b"oops"), "HTTP 500"),
        ((200, b"<html>rate limited</html>"), "no commit id"),
        ((302, b"http://example.invalid/elsewhere"), "HTTP 302"),
    ],
)
def test_failures_name_the_url_and_leave_the_copy_alone(
    site: tuple[Site, str], tmp_path: Path, page: tuple[int, bytes], message: str
) -> None:
    state, base = site
    state.pages["/api/repos/Ascend/pytorch/commits/master"] = page
    directory = notes_dir(tmp_path)
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(SourceError, match=message) as caught:
        fetch_tracked(directory, endpoints(base), "2099-01-01", None)
    assert "/api/repos/Ascend/pytorch/commits/master" in str(caught.value)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before


def test_a_server_that_never_answers_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(SourceError, match="timed out"):
            fetch_tracked(notes_dir(tmp_path), endpoints(base, timeout=0.5), "2099-01-01", None)


def test_plain_http_is_refused_except_to_this_machine(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="only https"):
        fetch_tracked(
            notes_dir(tmp_path), Endpoints(api="http://example.invalid"), "2099-01-01", None
        )


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("files: [a.md]\n", "needs a 'files' mapping"),
        ("files: {}\ntrack: {repo: Ascend/pytorch}\n", "track must be a list of mappings"),
        ("files: {}\ntrack:\n- {repo: Ascend/pytorch, ref: master}\n", "with repo, ref, path"),
    ],
)
def test_a_malformed_source_md_is_a_source_error_before_any_download(
    tmp_path: Path, front: str, message: str
) -> None:
    (tmp_path / "SOURCE.md").write_text(f"---\n{front}---\n# notes\n")
    with pytest.raises(SourceError, match=message):
        fetch_tracked(tmp_path, Endpoints(api="http://example.invalid"), "2099-01-01", None)
