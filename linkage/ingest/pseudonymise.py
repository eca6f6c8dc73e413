"""Keyed hashes for identifiers that must not reach the graph in clear.

E-mail addresses and payment-instrument fingerprints become HMAC-SHA256 with
`settings.hash_secret`: equal inputs still link accounts, but the store holds
nothing that can be reversed or looked up without the key. An e-mail keeps
its domain in clear (useful evidence, not personal on its own). Values arrive
trimmed (the validation's text form); e-mails are lower-cased before hashing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import duckdb

from linkage.settings import DEV_HASH_SECRET

log = logging.getLogger("linkage.ingest")
_warned = False
_BLOCK = 64  # SHA-256 block size: HMAC pads (or first hashes) the key to this
_KEY_TABLE = "_hmac_key"


class Pseudonymiser:
    """HMAC-SHA256 keyed hashing with one secret; warns once if it is the dev default.

    The ingest hashes in SQL (`install` + `email_map_sql`/`instrument_map_sql`), in
    parallel over distinct values; `keyed_hash` is the same function in Python,
    the reference the SQL is tested against.
    """

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

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """Put HMAC's inner and outer padded keys in a temp table of the (in-memory) staging database.

        As data, not as SQL text: key material never appears in a statement or an error message.
        """
        key = self._key if len(self._key) <= _BLOCK else hashlib.sha256(self._key).digest()
        key = key.ljust(_BLOCK, b"\0")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_KEY_TABLE} (ipad BLOB, opad BLOB)")
        con.execute(f"INSERT INTO {_KEY_TABLE} VALUES (?, ?)",
                    [bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)])

    def uninstall(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DROP TABLE IF EXISTS {_KEY_TABLE}")


def _keyed_hash_sql(value: str, purpose: str) -> str:
    """SQL for `Pseudonymiser.keyed_hash(value, purpose)`; needs `_hmac_key k` in the FROM clause."""
    return f"left(sha256(k.opad || unhex(sha256(k.ipad || encode('{purpose}:' || {value})))), 32)"


def email_map_sql(source: str) -> str:
    """(raw, email_hash, email_domain) per distinct raw e-mail of `source`: hashed lower-cased."""
    return f"""SELECT raw, {_keyed_hash_sql('lower(raw)', 'email')} AS email_hash,
                      string_split(lower(raw), '@')[-1] AS email_domain
               FROM (SELECT DISTINCT raw FROM ({source}) WHERE raw IS NOT NULL), {_KEY_TABLE} k"""


def instrument_map_sql(source: str) -> str:
    """(raw, instrument_id) per distinct raw payment-instrument fingerprint of `source` (case kept)."""
    return f"""SELECT raw, {_keyed_hash_sql('raw', 'instrument')} AS instrument_id
               FROM (SELECT DISTINCT raw FROM ({source}) WHERE raw IS NOT NULL), {_KEY_TABLE} k"""


def uses_dev_secret(secret: str) -> bool:
    return secret == DEV_HASH_SECRET
