"""What the wizard knows about the keystores it wrote, so re-runs need not decrypt them.

Opening a PKCS12 file makes ``cryptography`` re-validate the RSA key, about 0.1 s per file.
The state (``.apim-wizard/pki-state.json``, mode 0600, written through the plan) records
for each keystore its SHA-256, alias, certificate chain and a keyed digest of the password
it was written with.  A file whose bytes and password still match is known without being
opened; its key is decrypted only when a certificate must be reissued with it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from ..plan import SECRET_MODE, PlannedFile
from . import stores

STATE_FILE = ".apim-wizard/pki-state.json"


def _password_digest(file_digest: str, password: str) -> str:
    # Keyed by the file's own hash: says "same password as when written", nothing reusable.
    return hmac.new(file_digest.encode(), password.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Known:
    alias: str
    chain: tuple[x509.Certificate, ...]  # leaf first


class PkiState:
    def __init__(self, entries: dict[str, dict] | None = None):
        self.entries: dict[str, dict] = entries or {}
        self.written: dict[str, dict] = {}

    @classmethod
    def load(cls, out_dir: Path | None) -> PkiState:
        if out_dir is None:
            return cls()
        try:
            data = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
            return cls(dict(data.get("keystores", {})))
        except (OSError, ValueError, AttributeError):
            return cls()  # no state: files are opened the slow way

    def known(self, relative: str, data: bytes, password: str) -> Known | None:
        entry = self.entries.get(relative)
        digest = hashlib.sha256(data).hexdigest()
        if not entry or entry.get("sha256") != digest:
            return None
        if not hmac.compare_digest(entry.get("password", ""), _password_digest(digest, password)):
            return None
        try:
            chain = tuple(stores.load_cert_pem(entry["chain"].encode()))
        except (KeyError, ValueError):
            return None
        return Known(entry.get("alias", ""), chain)

    def record(self, relative: str, data: bytes, password: str, alias: str, chain) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self.written[relative] = {
            "sha256": digest,
            "password": _password_digest(digest, password),
            "alias": alias,
            "chain": stores.cert_pem(*chain).decode(),
        }

    def planned_file(self) -> PlannedFile:
        body = {"keystores": dict(sorted(self.written.items()))}
        return PlannedFile(STATE_FILE, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode(), SECRET_MODE)
