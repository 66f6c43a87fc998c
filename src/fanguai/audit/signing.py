"""Signed checkpoints of the audit chain and signed archives, kept outside the database.

The database role can rewrite rows and recompute SM3 hashes; it cannot forge an SM2 signature
made with a key it never sees. A checkpoint records (seq, row hash, time) signed with the audit
signing key; verification checks every checkpoint against the rows, so rewriting the chain up to
a checkpoint, or truncating below one, is caught even when the head row was rewritten too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fanguai.crypto.provider import CryptoProvider


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain's row ``seq`` had hash ``row_hash`` at ``at``."""

    seq: int
    row_hash: str
    at: str
    signature: str

    def message(self) -> bytes:
        return f"fanguai-audit-checkpoint|{self.seq}|{self.row_hash}|{self.at}".encode()


class AuditSigner:
    """The SM2 key pair for checkpoints and archives, in files readable only by the operator."""

    def __init__(self, data_dir: Path, provider: CryptoProvider | None = None) -> None:
        from fanguai.crypto.provider import get_provider

        self.dir = data_dir / "audit"
        self.key_dir = data_dir / "keys"
        self.provider = provider or get_provider()

    @property
    def checkpoints_path(self) -> Path:
        return self.dir / "checkpoints.jsonl"

    def _keypair(self, *, create: bool) -> tuple[str | None, str]:
        private = self.key_dir / "audit-signing.key"
        public = self.key_dir / "audit-signing.pub"
        if not public.exists():
            if not create:
                raise FileNotFoundError(f"no audit signing key in {self.key_dir}")
            self.key_dir.mkdir(parents=True, exist_ok=True)
            priv_hex, pub_hex = self.provider.sm2_generate_keypair()
            fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(priv_hex)
            public.write_text(pub_hex)
        priv = private.read_text().strip() if private.exists() else None
        return priv, public.read_text().strip()

    def public_key(self) -> str | None:
        """The verification key, or None when no checkpoint was ever signed here."""
        try:
            return self._keypair(create=False)[1]
        except FileNotFoundError:
            return None

    def sign(self, data: bytes) -> str:
        """An SM2 signature (hex) over ``data`` with the audit signing key."""
        priv, _ = self._keypair(create=True)
        if priv is None:
            raise FileNotFoundError("the audit signing private key is missing")
        return self.provider.sm2_sign(priv, data)

    def verify_signature(self, data: bytes, signature: str) -> bool:
        """Whether ``signature`` is valid for ``data`` under the audit public key."""
        public = self.public_key()
        return public is not None and self.provider.sm2_verify(public, data, signature)

    def write_checkpoint(self, *, seq: int, row_hash: str, at: datetime) -> Checkpoint:
        """Sign and append a checkpoint."""
        unsigned = Checkpoint(seq=seq, row_hash=row_hash, at=at.isoformat(), signature="")
        cp = Checkpoint(seq, row_hash, unsigned.at, self.sign(unsigned.message()))
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.checkpoints_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(cp.__dict__) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return cp

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint written so far, oldest first."""
        if not self.checkpoints_path.exists():
            return []
        out = []
        for line in self.checkpoints_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(Checkpoint(**json.loads(line)))
        return out
