"""Issue 11, item 3: nothing secret leaves in `chipdoctor snapshot --archive`. Each kind of
secret is planted in each place the archive keeps (an environment value, the paths the probes
read, a vendor tool's output and errors, a file copy), a real snapshot is taken of this
machine, and every byte of the archive, member names included, is searched for it."""

from __future__ import annotations

import os
import platform
import tarfile
from pathlib import Path

import pytest
import yaml

from chipdoctor.evidence.redact import REDACTED, redact_text
from tests.conftest import run_cli, write_tool

#: (kind, what is planted, the part that must not survive). Example values only: the AWS ones
#: are AWS's documentation examples.
SECRETS = [
    ("url-password-with-slash", "https://alice:s3cr/et@pkgs.example.com/simple", "s3cr/et"),
    ("url-password-with-at", "https://alice:p@ss@pkgs.example.com/simple", "p@ss"),
    ("user-pass-no-scheme", "alice:hunter2x@pkgs.example.com", "hunter2x"),
    ("bearer", "Authorization: Bearer abcDEF1234567890", "abcDEF1234567890"),
    ("aws-access-key-id", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    (
        "aws-secret-by-name",
        "aws_secret_access_key=wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
    ),
    ("hugging-face", "hf_" + "Qz7" * 11 + "x", "Qz7Qz7Qz7"),
    ("github", "ghp_" + "Ab9" * 12, "Ab9Ab9Ab9"),
    ("gitlab", "glpat-" + "Xy3_" * 5, "Xy3_Xy3_"),
    ("pypi", "pypi-AgEIcHlwaS5vcmc" + "Kp4" * 20, "Kp4Kp4Kp4"),
    (
        "private-key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAA",
    ),
]


def archived(tmp_path: Path, secret: str, extra_env: dict[str, str]) -> dict[str, bytes]:
    """A real `snapshot --archive` with `secret` planted everywhere: its members by name."""
    # A directory named after the secret (a `/` in it makes a deeper one) is the toolkit home,
    # so it is an environment value and the root of every path the Ascend probe reads; its
    # install file holds the secret too.
    home = tmp_path / "planted" / secret.replace("\n", " ") / "ascend-toolkit" / "latest"
    info = home / f"{platform.machine()}-linux" / "ascend_toolkit_install.info"
    info.parent.mkdir(parents=True)
    info.write_text(f"package_name=Ascend-cann-toolkit\nversion=8.2.RC1\n{secret}\n")
    tools = write_tool(
        tmp_path / "bin",
        "npu-smi",
        f"cat <<'OUT'\nnpu-smi 24.1.rc2 {secret}\nOUT\ncat >&2 <<'ERR'\nfailed: {secret}\nERR\n",
    ).parent
    directory = tmp_path / "snap"
    result = run_cli(
        "snapshot",
        str(directory),
        "--archive",
        env={
            "PATH": f"{tools}:{os.environ['PATH']}",
            "ASCEND_TOOLKIT_HOME": str(home),
            "ASCEND_HOME_PATH": str(home),
            **extra_env,
        },
    )
    assert result.returncode == 0, result.stderr
    members: dict[str, bytes] = {}
    with tarfile.open(tmp_path / "snap.tar.gz") as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            members[member.name] = handle.read() if handle else b""
    return members


@pytest.mark.parametrize(
    ("kind", "secret", "must_not_survive"), SECRETS, ids=[s[0] for s in SECRETS]
)
def test_no_secret_survives_in_the_archive(
    tmp_path: Path, kind: str, secret: str, must_not_survive: str
) -> None:
    members = archived(tmp_path, secret, {})
    needle = must_not_survive.encode()
    leaks = [name for name, data in members.items() if needle in name.encode() or needle in data]
    assert leaks == []
    document = yaml.safe_load(next(v for k, v in members.items() if k.endswith("/snapshot.yaml")))
    # Each place was recorded, and redacted there: the environment, the paths the probe read,
    # the tool's output and errors, the file copy.
    assert REDACTED in document["env"]["ASCEND_TOOLKIT_HOME"]
    assert any(REDACTED in name and name.endswith("_install.info") for name in members)
    outputs = [v for k, v in members.items() if "/commands/npu-smi" in k]
    assert len(outputs) == 2 and all(REDACTED.encode() in v for v in outputs)
    copies = [v for v in members.values() if v.startswith(b"package_name=Ascend-cann-toolkit")]
    assert copies and all(REDACTED.encode() in v for v in copies)


def test_a_secret_named_by_its_variable_is_redacted_wherever_it_appears(tmp_path: Path) -> None:
    """A value with no pattern of its own, known secret only by the name of the variable that
    holds it, is found verbatim in paths, outputs and file copies."""
    secret = "plainLookingValue42"
    members = archived(tmp_path, secret, {"ASCEND_AUTH_TOKEN": secret, "HF_TOKEN": secret})
    assert [n for n, d in members.items() if secret.encode() in d or secret in n] == []


@pytest.mark.parametrize(
    "text",
    [
        "version=8.2.RC1",
        "Version: 12.4",
        "package_name=Ascend-cann-toolkit",
        "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 |",
        "/usr/local/lib:/opt/x@y",
        "https://github.com/org/repo@v1.0",
        "docker.io/rocm/pytorch:latest@sha256:0123abcd",
        "registry.example.com:5000/x@sha256:0123abcd",
    ],
)
def test_ordinary_evidence_is_left_alone(text: str) -> None:
    assert redact_text(text) == text
