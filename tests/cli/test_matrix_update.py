"""`chipdoctor matrix keygen | bundle | update [--rollback]` against a real HTTP server on
127.0.0.1: a good bundle replaces the data `check` uses and --rollback restores it; every bad
download is exit 2 with one line, and the data in use is untouched."""

from __future__ import annotations

import base64
import datetime
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chipdoctor.matrix.bundle import load_private, make
from chipdoctor.matrix.store import bundled
from tests.conftest import SNAPSHOTS, run_cli

SNAPSHOT = str(SNAPSHOTS / "ascend-910b-healthy")


def _next_day(day: str) -> str:
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()


#: A day after the bundled data, so an installed bundle is the newest and is used.
NEWER = _next_day(bundled().updated)


def _matrices(folder: Path, *, broken: bool = False) -> Path:
    """The bundled matrices dated NEWER (ascend.yaml with an unknown field when `broken`)."""
    folder.mkdir()
    for path in sorted(Path(bundled().path).glob("*.yaml")):
        text = re.sub(r"(?m)^updated: .*$", f'updated: "{NEWER}"', path.read_text())
        if broken and path.name == "ascend.yaml":
            text = text.replace("tables:\n", "colour: blue\ntables:\n", 1)
        (folder / path.name).write_text(text)
    return folder


def _cli(
    *args: str, home: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {"XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
    return run_cli(*args, env={**environment, **(env or {})}, cwd=cwd)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two key pairs made by `matrix keygen`: the one the tests trust, and another."""
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("trusted", "other"):
        result = run_cli("matrix", "keygen", str(folder / name))
        assert result.returncode == 0, result.stderr
        out[name] = folder / name
    assert (folder / "trusted.key").stat().st_mode & 0o077 == 0
    return out


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> dict[str, bytes]:
    """The bodies the server serves: a good bundle and each kind of bad one."""
    folder = tmp_path_factory.mktemp("bundles")

    def bundle(name: str, key: str) -> bytes:
        data = _matrices(folder / f"{name}-data")
        out = folder / f"{name}.json"
        result = run_cli(
            "matrix", "bundle", str(out), "--sign", f"{keys[key]}.key", "--data", str(data)
        )
        assert result.returncode == 0, result.stderr
        assert f"data of {NEWER}" in result.stdout
        return out.read_bytes()

    good = bundle("good", "trusted")
    document = json.loads(good)
    wrong = dict(document, files={**document["files"], "cuda.yaml": "# changed\n"})
    unsigned = dict(document, signature="")
    # a lone surrogate: valid JSON, no text that encodes
    surrogate = dict(document, files={**document["files"], "cuda.yaml": "\ud800"})
    return {
        "/good.json": good,
        "/checksum.json": json.dumps(wrong).encode(),
        "/badsig.json": bundle("badsig", "other"),
        "/unsigned.json": json.dumps(unsigned).encode(),
        "/surrogate.json": json.dumps(surrogate).encode(),
        "/deep.json": b"[" * 100_000 + b"]" * 100_000,
        # `matrix bundle` lints what it signs: this one is signed by hand
        "/lint.json": make(
            {p.name: p.read_bytes() for p in _matrices(folder / "lint", broken=True).iterdir()},
            NEWER,
            load_private(Path(f"{keys['trusted']}.key")),
        ),
        "/flipped.json": json.dumps(
            dict(document, signature=base64.b64encode(b"\0" * 64).decode())
        ).encode(),
    }


@pytest.fixture(scope="module")
def server(bundles: dict[str, bytes]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the bundles, errors, a truncated body and a
    request it never answers (until the test module ends)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path  # an absolute URI when we act as the proxy
            if path in bundles:
                self._send(200, bundles[path])
            elif path == "/truncated.json":
                body = bundles["/good.json"]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
            elif path == "/500.json":
                self._send(500, b"oops")
            elif path == "/hang.json":
                release.wait(30)
            else:
                self._send(404, b"not here")

        def _send(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    release.set()
    httpd.shutdown()
    httpd.server_close()


def _data_in_use(home: Path) -> dict[str, str]:
    result = _cli("check", "--snapshot", SNAPSHOT, "--format", "json", home=home)
    assert result.returncode == 0, result.stderr
    data: dict[str, str] = json.loads(result.stdout)["data"]
    return data


def _state(home: Path) -> tuple[bytes, list[str]]:
    root = home / "data" / "chipdoctor"
    state = (root / "state.json").read_bytes() if (root / "state.json").exists() else b""
    return state, sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_update_replaces_the_data_and_rollback_restores_it(
    tmp_path: Path, server: str, keys: dict[str, Path]
) -> None:
    assert _data_in_use(tmp_path)["source"] == "bundled"
    trust = f"{keys['trusted']}.pub"
    result = _cli(
        "matrix", "update", "--from", f"{server}/good.json", "--trust", trust, home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "now using the updated data" in result.stdout
    used = _data_in_use(tmp_path)
    assert used["source"] == "updated" and used["updated"] == NEWER
    assert used["path"].startswith(str(tmp_path / "data" / "chipdoctor" / "data"))
    table = _cli("check", "--snapshot", SNAPSHOT, home=tmp_path).stdout
    assert f"data: updated, refreshed {NEWER}" in table
    result = _cli("matrix", "update", "--rollback", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _data_in_use(tmp_path)["source"] == "bundled"
    # a second rollback goes forward again; a damaged copy is passed over for the bundled one
    assert _cli("matrix", "update", "--rollback", home=tmp_path).returncode == 0
    assert _data_in_use(tmp_path)["source"] == "updated"
    (Path(used["path"]) / "ascend.yaml").write_text("format: chipdoctor-matrix/1\n")
    assert _data_in_use(tmp_path)["source"] == "bundled"


def test_the_url_comes_from_the_environment_or_the_users_config_never_the_working_directory(
    tmp_path: Path, server: str, keys: dict[str, Path]
) -> None:
    trust = f"{keys['trusted']}.pub"
    (tmp_path / ".chipdoctor.yaml").write_text(f"data_url: {server}/good.json\n")
    result = _cli("matrix", "update", "--trust", trust, home=tmp_path, cwd=tmp_path)
    assert result.returncode == 2
    assert "no data source" in result.stderr
    env = {"CHIPDOCTOR_DATA_URL": f"{server}/good.json"}
    assert _cli("matrix", "update", "--trust", trust, home=tmp_path, env=env).returncode == 0
    assert _cli("matrix", "update", "--rollback", home=tmp_path).returncode == 0
    config = tmp_path / "config" / "chipdoctor" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"data_url: {server}/good.json\n")
    assert _cli("matrix", "update", "--trust", trust, home=tmp_path).returncode == 0
    assert _data_in_use(tmp_path)["source"] == "updated"


def test_a_proxy_from_the_environment_is_used(
    tmp_path: Path, server: str, keys: dict[str, Path]
) -> None:
    """The test server answers as the proxy: the bundle's host does not exist."""
    env = {"HTTP_PROXY": server, "http_proxy": server, "NO_PROXY": "", "no_proxy": ""}
    result = _cli(
        "matrix", "update", "--from", "http://data.chipdoctor.invalid/good.json",
        "--trust", f"{keys['trusted']}.pub", home=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


BAD: dict[str, str] = {
    "/truncated.json": "truncated download",
    "/checksum.json": "checksum mismatch: cuda.yaml",
    "/badsig.json": "bad signature",
    "/flipped.json": "bad signature",
    "/unsigned.json": "not signed",
    "/surrogate.json": "'cuda.yaml' is not UTF-8 text",
    "/deep.json": "not a chipdoctor data bundle (not JSON",
    "/lint.json": "matrix lint failed: ascend.yaml:",
    "/404.json": "HTTP 404",
    "/500.json": "HTTP 500",
    "/hang.json": "no answer within 1 s",
}


@pytest.mark.parametrize("path", BAD, ids=list(BAD))
def test_a_bad_download_is_exit_2_in_one_line_and_changes_nothing(
    tmp_path: Path, server: str, keys: dict[str, Path], path: str
) -> None:
    trust = f"{keys['trusted']}.pub"
    good = _cli(
        "matrix", "update", "--from", f"{server}/good.json", "--trust", trust, home=tmp_path
    )
    assert good.returncode == 0, good.stderr
    before, used = _state(tmp_path), _data_in_use(tmp_path)
    started = time.monotonic()
    result = _cli(
        "matrix", "update", "--from", f"{server}{path}", "--trust", trust, "--timeout", "1",
        home=tmp_path,
    )  # fmt: skip
    assert time.monotonic() - started < 20
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert BAD[path] in result.stderr
    assert _state(tmp_path) == before
    assert _data_in_use(tmp_path) == used


def test_a_bundle_file_copied_over_installs_and_the_project_key_alone_rejects_a_test_key(
    tmp_path: Path, bundles: dict[str, bytes], keys: dict[str, Path]
) -> None:
    copied = tmp_path / "chipdoctor-data.json"
    copied.write_bytes(bundles["/good.json"])
    refused = _cli("matrix", "update", "--from", str(copied), home=tmp_path)
    assert refused.returncode == 2 and "bad signature" in refused.stderr
    trust = f"{keys['trusted']}.pub"
    assert (
        _cli("matrix", "update", "--from", str(copied), "--trust", trust, home=tmp_path).returncode
        == 0
    )
    assert _data_in_use(tmp_path)["updated"] == NEWER


def test_nothing_to_roll_back_is_bad_input(tmp_path: Path) -> None:
    result = _cli("matrix", "update", "--rollback", home=tmp_path)
    assert result.returncode == 2 and "no previous data" in result.stderr


def test_bundle_refuses_to_overwrite_and_keygen_keeps_existing_keys(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    out = tmp_path / "b.json"
    out.write_text("mine")
    result = run_cli("matrix", "bundle", str(out), "--sign", f"{keys['trusted']}.key")
    assert result.returncode == 2 and out.read_text() == "mine"
    again = run_cli("matrix", "keygen", str(keys["trusted"]))
    assert again.returncode == 2


def test_check_does_not_import_cryptography() -> None:
    code = (
        "import sys; from chipdoctor.cli import main\n"
        "from chipdoctor.engine import check\n"
        "from chipdoctor.evidence.snapshot import SnapshotEvidence\n"
        "from chipdoctor.matrix.load import load_matrices\n"
        f"check(SnapshotEvidence({SNAPSHOT!r}), load_matrices())\n"
        "print('cryptography' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_state_or_meta_file_nested_too_deep_reads_as_none(tmp_path: Path) -> None:
    """Damaged files in the user's data home fall back to the bundled data, no internal error."""
    from chipdoctor.matrix.store import installed, read_state

    deep = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "state.json").write_bytes(deep)
    assert read_state(tmp_path) == {"current": "", "previous": ""}
    folder = tmp_path / "data" / "0123456789abcdef"
    folder.mkdir(parents=True)
    (folder / "bundle.json").write_bytes(deep)
    assert installed(tmp_path, "0123456789abcdef") is None
