"""Keyed hashes for identifiers that must not reach the graph in clear.

E-mail addresses and payment-instrument fingerprints become HMAC-SHA256 with
`settings.hash_secret`: equal inputs still link accounts, but the store holds
nothing that can be reversed or looked up without the key. An e-mail keeps
its domain in clear (useful evidence, not personal on its own).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable

from linkage.settings import DEV_HASH_SECRET

log = logging.getLogger("linkage.ingest")
_warned = False


class Pseudonymiser:
    """HMAC-SHA256 keyed hashing with one secret; warns once if it is the dev default."""

    def __init__(self, secret: str):
        global _warned
        if secret == DEV_HASH_SECRET and not _warned:
            _warned = True
            log.warning("LINKAGE_HASH_SECRET is the development default: set a real secret in production")
        self._key = secret.encode()

    def keyed_hash(self, value: str, purpose: str) -> str:
        """Hex digest (32 chars) of `purpose:value`; the purpose keeps e-mail and card spaces apart."""
        msg = f"{purpose}:{value}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def emails(self, emails: Iterable[str]) -> list[tuple[str, str, str]]:
        """(raw, hash, domain) per distinct e-mail; hashed lower-cased and trimmed."""
        out = []
        for raw in emails:
            clean = raw.strip().lower()
            out.append((raw, self.keyed_hash(clean, "email"), clean.rsplit("@", 1)[-1]))
        return out

    def instruments(self, fingerprints: Iterable[str]) -> list[tuple[str, str]]:
        """(raw, hash) per distinct payment-instrument fingerprint (trimmed, case kept)."""
        return [(raw, self.keyed_hash(raw.strip(), "instrument")) for raw in fingerprints]


def uses_dev_secret(secret: str) -> bool:
    return secret == DEV_HASH_SECRET
