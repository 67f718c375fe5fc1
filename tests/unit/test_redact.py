"""Snapshots record allow-listed environment variables only, with secrets redacted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chipdoctor.engine import collect
from chipdoctor.evidence.base import PlatformInfo, PythonInfo
from chipdoctor.evidence.redact import REDACTED, is_allowed, redact
from chipdoctor.evidence.snapshot import (
    Recording,
    RecordingEvidence,
    SnapshotEvidence,
    write_snapshot,
)
from tests.conftest import SNAPSHOTS


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("PATH", True),
        ("LD_LIBRARY_PATH", True),
        ("ASCEND_TOOLKIT_HOME", True),
        ("CUDA_VISIBLE_DEVICES", True),
        ("HIP_VISIBLE_DEVICES", True),
        ("ROCR_VISIBLE_DEVICES", True),
        ("MLU_VISIBLE_DEVICES", True),
        ("NEUWARE_HOME", True),
        ("TORCH_DEVICE_BACKEND_AUTOLOAD", True),
        ("AWS_SECRET_ACCESS_KEY", False),
        ("GITHUB_TOKEN", False),
        ("SSH_AUTH_SOCK", False),
        ("PIP_INDEX_URL", False),
        ("path", False),
    ],
)
def test_allow_list(name: str, allowed: bool) -> None:
    assert is_allowed(name) is allowed


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TORCH_HUB_TOKEN", "abc", REDACTED),
        ("ASCEND_PASSWD", "x", REDACTED),
        ("CUDA_API_KEY", "x", REDACTED),
        ("NVIDIA_CREDENTIALS", "x", REDACTED),
        (
            "ASCEND_MIRROR",
            "https://bob:hunter2@mirror.example.com/pypi",
            f"https://{REDACTED}@mirror.example.com/pypi",
        ),
        ("TORCH_HEADER", "Authorization: Bearer abc.def-123", f"Authorization: Bearer {REDACTED}"),
        ("ASCEND_X", "id=AKIAIOSFODNN7EXAMPLE", f"id={REDACTED}"),
        ("TORCH_X", "hf_" + "a" * 34, REDACTED),
        ("PATH", "/usr/local/bin:/usr/bin", "/usr/local/bin:/usr/bin"),
        ("ASCEND_HOME_PATH", "/usr/local/Ascend/ascend-toolkit/latest", None),
    ],
)
def test_redaction(name: str, value: str, expected: str | None) -> None:
    assert redact(name, value) == (value if expected is None else expected)


def test_the_writer_enforces_the_allow_list(tmp_path: Path) -> None:
    recording = Recording(
        env={
            "PATH": "/usr/bin",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "ASCEND_AUTH_TOKEN": "t0ps3cret",
            "CUDA_HOME": "https://u:p4ss@host/cuda",
            "HIP_VISIBLE_DEVICES": None,
        }
    )
    write_snapshot(tmp_path, recording, PlatformInfo(), PythonInfo())
    text = (tmp_path / "snapshot.yaml").read_text()
    for secret in ("wJalrXUtnFEMI", "t0ps3cret", "p4ss"):
        assert secret not in text
    assert yaml.safe_load(text)["env"] == {
        "ASCEND_AUTH_TOKEN": REDACTED,
        "CUDA_HOME": f"https://{REDACTED}@host/cuda",
        "PATH": "/usr/bin",
    }


def test_every_variable_a_probe_reads_is_allow_listed() -> None:
    """Replaying every scenario through a recorder lists the variables probes read: if one
    were not allow-listed, a snapshot would lose it and its report would differ."""
    read: set[str] = set()
    for scenario in sorted(p for p in SNAPSHOTS.iterdir() if (p / "snapshot.yaml").is_file()):
        recorder = RecordingEvidence(SnapshotEvidence(scenario))
        collect(recorder)
        read.update(recorder.recording.env)
    assert {"HOME", "ASCEND_TOOLKIT_HOME", "CUDA_VISIBLE_DEVICES"} <= read
    assert sorted(name for name in read if not is_allowed(name)) == []
