"""No raw prompt or e-mail reaches the store; IPs normalise; proxy intel matches by IP and CIDR."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest_sample import ACCOUNTS, SECRET_EMAIL, SECRET_PROMPT, snapshot, write, write_dataset
from linkage.ingest.network import match_ips, normalise_ip, normalise_network
from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.store import open_store


@pytest.mark.embedded
def test_no_raw_prompt_or_email_anywhere_in_the_store(tmp_path: Path) -> None:
    db = tmp_path / "g.duckdb"
    with open_store(str(db)) as store:
        ingest_directory(store, write_dataset(tmp_path / "in", ".jsonl"), load_settings(hash_secret="s3cret"))
    needles = [SECRET_PROMPT, "Zanzibar", "Quokka-7731", SECRET_EMAIL, "quokka.secret", "bob@example.com",
               "card-XYZ"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        checked = 0
        for table in tables:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                " AND data_type = 'VARCHAR'", [table]).fetchall()]
            for col in cols:
                for needle in needles:
                    hits = con.execute(f'SELECT count(*) FROM {table} WHERE lower("{col}") LIKE ?',
                                       [f"%{needle.lower()}%"]).fetchone()[0]
                    assert hits == 0, (table, col, needle)
                checked += 1
        assert checked > 20
        # the domain is kept, the address hashed
        assert ("hidden-example.org",) in con.execute("SELECT email_domain FROM account").fetchall()
    finally:
        con.close()
    raw = db.read_bytes() + (Path(f"{db}.wal").read_bytes() if Path(f"{db}.wal").exists() else b"")
    for needle in needles:
        assert needle.encode() not in raw and needle.lower().encode() not in raw


@pytest.mark.embedded
def test_email_hash_is_keyed(tmp_path: Path) -> None:
    hashes = []
    for secret in ("one", "two"):
        db = tmp_path / f"{secret}.duckdb"
        write(tmp_path / secret / "accounts.csv", ACCOUNTS)
        with open_store(str(db)) as store:
            ingest_directory(store, tmp_path / secret, load_settings(hash_secret=secret))
        hashes.append({r[0]: r[2] for r in snapshot(db)["account"]})
    assert hashes[0]["a1"] and hashes[0]["a1"] != hashes[1]["a1"]


@pytest.mark.parametrize("raw,expected", [
    ("1.2.3.4", ("1.2.3.4", 4)),
    (" 010.001.002.003 ", ("10.1.2.3", 4)),
    ("::ffff:1.2.3.4", ("1.2.3.4", 4)),
    ("::FFFF:0102:0304", ("1.2.3.4", 4)),
    ("2001:0DB8:0000:0000:0000:0000:0000:0001", ("2001:db8::1", 6)),
    ("[2001:db8::1]", ("2001:db8::1", 6)),
    ("FE80::A", ("fe80::a", 6)),
    ("256.1.1.1", None), ("1.2.3", None), ("2001:db8::g", None), ("", None), ("hello", None),
])
def test_ip_normalisation(raw: str, expected: tuple[str, int] | None) -> None:
    assert normalise_ip(raw) == expected


def test_network_normalisation() -> None:
    assert normalise_network("10.0.0.5/8") == ("10.0.0.0/8", 4)
    assert normalise_network("2001:DB8::/32") == ("2001:db8::/32", 6)
    assert normalise_network("1.2.3.4") == ("1.2.3.4/32", 4)
    assert normalise_network("::ffff:1.2.3.4") == ("1.2.3.4/32", 4)
    assert normalise_network("1.2.3.0/33") is None and normalise_network("x/8") is None


def test_cidr_matching_v4_v6_nested() -> None:
    ips = ["10.1.2.3", "10.1.9.9", "192.168.0.1", "2001:db8::1", "2001:db9::1", "0.0.0.1"]
    nets = [("10.0.0.0/8", "big"), ("10.1.2.0/24", "small"), ("10.1.2.3/32", "host"),
            ("2001:db8::/32", "v6"), ("0.0.0.0/0", "everything")]
    got = set(match_ips(ips, nets))
    expected = {("10.1.2.3", "big"), ("10.1.2.3", "small"), ("10.1.2.3", "host"), ("10.1.9.9", "big"),
                ("2001:db8::1", "v6")} | {(ip, "everything") for ip in ips if ":" not in ip}
    assert got == expected
