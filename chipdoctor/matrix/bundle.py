"""Data bundles: every matrix file, the data's date and a sha256 manifest, signed with Ed25519.

One JSON file (`chipdoctor-data/1`), so it can be copied onto an air-gapped host as it is:

    {"format": "chipdoctor-data/1",
     "manifest": "chipdoctor-data/1\\nupdated 2026-12-06\\nsha256 <hex> ascend.yaml\\n…",
     "signature": "<base64 Ed25519 signature over the manifest's UTF-8 bytes>",
     "files": {"ascend.yaml": "<the file's text>", …}}

The signature covers the manifest only; the manifest pins each file by its sha256 and the date,
so nothing in the bundle can change without breaking one or the other. `cryptography` is
imported only here, by the commands that sign or verify (start-up stays fast).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chipdoctor.errors import BadInput
from chipdoctor.matrix.store import DATE

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

BUNDLE_FORMAT = "chipdoctor-data/1"
#: The largest bundle read or downloaded (the whole data is a few hundred KiB today).
MAX_BUNDLE = 32 << 20
MAX_FILES = 64
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.yaml$")
_LINE = re.compile(r"^sha256 ([0-9a-f]{64}) (\S+)$")
#: The project's public key, shipped in the package (its private key never is: docs/data.md).
PROJECT_KEY = Path(__file__).resolve().parent / "keys" / "chipdoctor-data.pub"


@dataclass(frozen=True)
class Bundle:
    """A verified bundle: its date, its files (name -> bytes) and its manifest."""

    updated: str
    files: dict[str, bytes]
    manifest: str

    @property
    def id(self) -> str:
        return digest(self.manifest.encode())[:16]


def digest(data: bytes) -> str:
    """The hex sha256 the manifest, the bundle id and an installed copy's meta pin data by."""
    return hashlib.sha256(data).hexdigest()


def keygen(prefix: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write PREFIX.key (PKCS#8 PEM, owner-only) and PREFIX.pub (SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from chipdoctor.delivery import ensure_writable, write_atomic

    private_path, public_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    for path in (private_path, public_path):
        ensure_writable(path, force=force)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_atomic(private_path, private, force=force, mode=0o600)
    write_atomic(public_path, public, force=force)
    return private_path, public_path


def manifest_text(updated: str, files: dict[str, bytes]) -> str:
    lines = [BUNDLE_FORMAT, f"updated {updated}"]
    lines += [f"sha256 {digest(files[n])} {n}" for n in sorted(files)]
    return "\n".join(lines) + "\n"


def make(files: dict[str, bytes], updated: str, key: Ed25519PrivateKey) -> bytes:
    """The bundle file's bytes for these matrix files, signed with `key`."""
    manifest = manifest_text(updated, files)
    document = {
        "format": BUNDLE_FORMAT,
        "manifest": manifest,
        "signature": base64.b64encode(key.sign(manifest.encode())).decode(),
        "files": {name: files[name].decode() for name in sorted(files)},
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def load_private(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(_read_key(path), password=None)
    except (ValueError, TypeError) as exc:
        raise BadInput(f"not an unencrypted PEM private key ({exc})", path=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput("not an Ed25519 private key", path=str(path))
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(_read_key(path))
    except ValueError as exc:
        raise BadInput(f"not a PEM public key ({exc})", path=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput("not an Ed25519 public key", path=str(path))
    return key


def _read_key(path: Path) -> bytes:
    from chipdoctor.boundedio import RefusedFile, read_regular

    try:
        return read_regular(path, 64 << 10)
    except FileNotFoundError:
        raise BadInput("no such key file", path=str(path)) from None
    except (OSError, RefusedFile) as exc:
        raise BadInput(f"cannot read the key: {exc}", path=str(path)) from None


def verify(raw: bytes, keys: list[Ed25519PublicKey], where: str) -> Bundle:
    """The bundle in `raw`, checked: its form, the signature (by any of `keys`), the manifest.

    Every failure is BadInput naming `where` (the URL or file) and what is wrong.
    """
    from cryptography.exceptions import InvalidSignature

    document = _document(raw, where)
    manifest, signature = document["manifest"], document["signature"]
    try:
        signed = base64.b64decode(signature, validate=True)
    except ValueError:
        raise BadInput("the bundle's signature is not base64", path=where) from None
    for key in keys:
        try:
            key.verify(signed, manifest.encode())
            break
        except InvalidSignature:
            continue
    else:
        raise BadInput("bad signature: no trusted key signed this bundle", path=where)
    updated, digests = _manifest(manifest, where)
    files = {name: _utf8(name, text, where) for name, text in document["files"].items()}
    if set(files) != set(digests):
        raise BadInput("the bundle's files are not the ones its manifest lists", path=where)
    for name, signed_digest in digests.items():
        if digest(files[name]) != signed_digest:
            raise BadInput(
                f"checksum mismatch: {name} is not the file the manifest signs", path=where
            )
    return Bundle(updated, files, manifest)


def _document(raw: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise BadInput("not a chipdoctor data bundle (not JSON: truncated?)", path=where) from None
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise BadInput(f"not a chipdoctor data bundle (format is not {BUNDLE_FORMAT})", path=where)
    if not isinstance(document.get("manifest"), str):
        raise BadInput("the bundle has no manifest", path=where)
    if not isinstance(document.get("signature"), str) or not document["signature"]:
        raise BadInput("the bundle is not signed", path=where)
    files = document.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise BadInput("the bundle's files are not a mapping of name to text", path=where)
    return document


def _utf8(name: str, text: str, where: str) -> bytes:
    """JSON may carry a lone surrogate (`\\ud800`), which no UTF-8 file holds."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise BadInput(f"{name[:80]!r} is not UTF-8 text", path=where) from None


def _manifest(text: str, where: str) -> tuple[str, dict[str, str]]:
    lines = text.splitlines()
    if len(lines) < 3 or lines[0] != BUNDLE_FORMAT or not lines[1].startswith("updated "):
        raise BadInput("the bundle's manifest is malformed", path=where)
    updated = lines[1][len("updated ") :]
    if not DATE.match(updated):
        raise BadInput(f"the manifest's date {updated!r} is not YYYY-MM-DD", path=where)
    digests: dict[str, str] = {}
    for line in lines[2:]:
        found = _LINE.match(line)
        if not found or not _NAME.match(found.group(2)) or found.group(2) in digests:
            raise BadInput(f"the manifest line {line[:80]!r} is malformed", path=where)
        digests[found.group(2)] = found.group(1)
    if len(digests) > MAX_FILES:
        raise BadInput(f"the bundle holds more than {MAX_FILES} files", path=where)
    return updated, digests
