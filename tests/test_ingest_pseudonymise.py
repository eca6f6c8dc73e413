"""E-mails and instruments are hashed in SQL at ingest; that SQL is HMAC-SHA256, equal to the Python reference."""

from __future__ import annotations

import duckdb
import pytest

from linkage.ingest.pseudonymise import Pseudonymiser, email_map_sql, instrument_map_sql

VALUES = ["alice@example.com", "Bob.Smith+tag@Example.COM", "ünïcødé@bücher.de", "名前@例え.jp",
          "card-XYZ", "a'quote@x.io", "x" * 300 + "@long.example"]
SECRETS = ["short", "", "k" * 64, "a secret longer than the sixty-four byte block of SHA-256, so HMAC hashes it first"]


@pytest.mark.parametrize("secret", SECRETS)
def test_sql_keyed_hashes_equal_the_python_hmac(secret: str) -> None:
    pseudo = Pseudonymiser(secret)
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS raw", [VALUES])
    pseudo.install(con)
    emails = {r[0]: r[1:] for r in con.execute(email_map_sql("SELECT raw FROM v")).fetchall()}
    cards = dict(con.execute(instrument_map_sql("SELECT raw FROM v")).fetchall())
    pseudo.uninstall(con)
    for v in VALUES:
        assert emails[v] == (pseudo.keyed_hash(v.lower(), "email"), v.lower().rsplit("@", 1)[-1])
        assert cards[v] == pseudo.keyed_hash(v, "instrument")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_hmac_key'").fetchone()[0] == 0


def test_different_secrets_and_purposes_give_unrelated_hashes() -> None:
    a, b = Pseudonymiser("one"), Pseudonymiser("two")
    assert a.keyed_hash("x@y.z", "email") != b.keyed_hash("x@y.z", "email")
    assert a.keyed_hash("x@y.z", "email") != a.keyed_hash("x@y.z", "instrument")
