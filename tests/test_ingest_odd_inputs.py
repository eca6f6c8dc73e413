"""Inputs nobody tried: odd identities, odd addresses, odd files. Each is handled (one entity, the
rows loaded) or refused with its reason; none is dropped silently."""

from __future__ import annotations

import gzip
import json
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage.ingest.network import normalise_ip, normalise_network
from linkage.ingest.pipeline import ingest_directory
from linkage.ingest.readers import UnreadableInput
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded

NFC = unicodedata.normalize("NFC", "josé")
NFD = unicodedata.normalize("NFD", "josé")
TS = "2026-03-01T10:00:00Z"


def ingest(tmp_path: Path, files: dict[str, bytes | str]) -> tuple[object, list[dict], dict[str, list]]:
    """Ingest `files` (name -> content); (report, quarantine entries, graph tables' rows)."""
    data = tmp_path / "in"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content.encode() if isinstance(content, str) else content)
    with open_store(str(tmp_path / "g.duckdb")) as store:
        report = ingest_directory(store, data, load_settings(quarantine_dir=tmp_path / "q"))
        rows = {t: store.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("account", "ip", "used_ip", "paid_with")}
    entries = ([json.loads(x) for x in report.quarantine_file.read_text().splitlines()]
               if report.quarantine_file else [])
    return report, entries, rows


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_account_ids_differing_only_by_unicode_form_or_surrounding_whitespace_are_one_account(tmp_path: Path) -> None:
    assert NFC != NFD
    spellings = [NFC, NFD, f" {NFC}", f"{NFD}\t", f"\u00a0{NFC}\r\n"]
    requests = [{"ts": TS, "account_id": a, "ip": f"1.2.3.{i}"} for i, a in enumerate(spellings)]
    report, entries, rows = ingest(tmp_path, {
        "requests.jsonl": jsonl(requests),
        "accounts.csv": f"account_id,created_at\n{NFD},2026-01-01T00:00:00Z\n",
        "payments.jsonl": jsonl([{"account_id": f" {NFD} ", "instrument_fingerprint": "card-1", "ts": TS}]),
    })
    assert entries == [] and report.tables["requests"].loaded == 5
    assert [r[0] for r in rows["account"]] == [NFC]
    assert rows["account"][0][1] is not None  # the accounts file's created_at reached that one account
    assert {r[0] for r in rows["used_ip"]} == {NFC} and len(rows["used_ip"]) == 5
    assert [r[0] for r in rows["paid_with"]] == [NFC]


def test_account_ids_keep_their_case(tmp_path: Path) -> None:
    requests = [{"ts": TS, "account_id": a, "ip": "1.2.3.4"} for a in ("Bob", "bob")]
    _, _, rows = ingest(tmp_path, {"requests.jsonl": jsonl(requests)})
    assert [r[0] for r in rows["account"]] == ["Bob", "bob"]


@pytest.mark.parametrize("blank", ["\t", "\r\n", " \u00a0 "])
def test_an_account_id_of_whitespace_only_is_missing(tmp_path: Path, blank: str) -> None:
    requests = [{"ts": TS, "account_id": blank, "ip": "1.2.3.4"}, {"ts": TS, "account_id": "a1", "ip": "1.2.3.4"}]
    report, entries, rows = ingest(tmp_path, {"requests.jsonl": jsonl(requests)})
    assert [(e["line"], e["field"], e["reason"]) for e in entries] == [(1, "account_id", "missing required field")]
    assert [r[0] for r in rows["account"]] == ["a1"]


@pytest.mark.parametrize("raw", ["fe80::1%eth0", "fe80::1%1", "[fe80::1%eth0]"])
def test_an_ipv6_address_with_a_zone_index_is_not_an_address(raw: str) -> None:
    assert normalise_ip(raw) is None
    assert normalise_ip(raw.split("%")[0].lstrip("[")) == ("fe80::1", 6)  # the same address without its zone is


def test_an_ipv6_zone_index_is_quarantined_and_the_rest_loads(tmp_path: Path) -> None:
    requests = [{"ts": TS, "account_id": "a1", "ip": "fe80::1%eth0"}, {"ts": TS, "account_id": "a2", "ip": "fe80::1"}]
    report, entries, rows = ingest(tmp_path, {"requests.jsonl": jsonl(requests)})
    assert [(e["line"], e["field"], e["reason"], e["value"]) for e in entries] == [
        (1, "ip", "unparseable IP", "fe80::1%eth0")]
    assert [r[0] for r in rows["ip"]] == ["fe80::1"]
    assert [r[0] for r in rows["used_ip"]] == ["a2"]


@pytest.mark.parametrize("mapped", ["::ffff:1.2.3.4", "::FFFF:1.2.3.4", "0:0:0:0:0:ffff:102:304", "[::ffff:1.2.3.4]"])
def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_address(tmp_path: Path, mapped: str) -> None:
    requests = [{"ts": TS, "account_id": "a1", "ip": mapped}, {"ts": TS, "account_id": "a2", "ip": "1.2.3.4"}]
    _, entries, rows = ingest(tmp_path, {"requests.jsonl": jsonl(requests)})
    assert entries == []
    assert [r[:2] for r in rows["ip"]] == [("1.2.3.4", 4)]
    assert sorted((r[0], r[1]) for r in rows["used_ip"]) == [("a1", "1.2.3.4"), ("a2", "1.2.3.4")]


CSV_BODY = [f"{TS},a1,1.2.3.4", f"{TS},a2,not-an-ip", f"{TS},a3,1.2.3.6"]


@pytest.mark.parametrize("name,content", [
    ("utf-8 byte-order mark", b"\xef\xbb\xbf" + ("ts,account_id,ip\n" + "\n".join(CSV_BODY) + "\n").encode()),
    ("CR-only line endings", ("ts,account_id,ip\r" + "\r".join(CSV_BODY) + "\r").encode()),
    ("CRLF and a BOM", b"\xef\xbb\xbf" + ("ts,account_id,ip\r\n" + "\r\n".join(CSV_BODY) + "\r\n").encode()),
    ("mixed-case headers", ("TS,Account_Id,IP\n" + "\n".join(CSV_BODY) + "\n").encode()),
    ("padded headers", (" ts , account_id ,ip \n" + "\n".join(CSV_BODY) + "\n").encode()),
])
def test_csv_variants_load_every_row_and_quarantine_by_physical_line(tmp_path: Path, name: str, content: bytes) -> None:
    report, entries, rows = ingest(tmp_path, {"requests.csv": content})
    assert [r[0] for r in rows["account"]] == ["a1", "a3"]
    assert [(e["line"], e["field"], e["reason"]) for e in entries] == [(3, "ip", "unparseable IP")]
    assert (report.tables["requests"].loaded, report.tables["requests"].quarantined) == (2, 1)


@pytest.mark.parametrize("header", ["ts,account_id,ip,account_id", "ts,account_id,ip,Account_ID"])
def test_a_csv_header_naming_a_column_twice_is_refused_with_the_column(tmp_path: Path, header: str) -> None:
    data = tmp_path / "in"
    data.mkdir()
    (data / "requests.csv").write_text(f"{header}\n{TS},a1,1.2.3.4,b1\n")
    with open_store(str(tmp_path / "g.duckdb")) as store:
        with pytest.raises(UnreadableInput, match=r"'account_id' appears twice in the header \(fields 2 and 4\)") as exc:
            ingest_directory(store, data, load_settings(quarantine_dir=tmp_path / "q"))
        assert store.stats().nodes["Account"] == 0  # nothing was merged
    assert exc.value.path == data / "requests.csv"


def test_a_repeated_column_the_contract_does_not_use_is_ignored(tmp_path: Path) -> None:
    _, entries, rows = ingest(tmp_path, {"requests.csv": f"ts,account_id,ip,note,note\n{TS},a1,1.2.3.4,x,y\n"})
    assert entries == [] and [r[0] for r in rows["account"]] == ["a1"]


def test_a_parquet_file_naming_a_column_twice_by_case_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    pq.write_table(pa.table([pa.array([TS]), pa.array(["a1"]), pa.array(["b1"]), pa.array(["1.2.3.4"])],
                            names=["ts", "account_id", "ACCOUNT_ID", "ip"]), data / "requests.parquet")
    with open_store(":memory:") as store, pytest.raises(UnreadableInput, match="'account_id' appears twice"):
        ingest_directory(store, data, load_settings(quarantine_dir=tmp_path / "q"))


def _empty_parquet() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"ts": pa.array([], pa.string()), "account_id": pa.array([], pa.string()),
                             "ip": pa.array([], pa.string())}), sink)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("name,content", [
    ("requests.jsonl", b""),
    ("requests.jsonl.gz", gzip.compress(b"")),
    ("requests.csv", b""),
    ("requests.parquet", _empty_parquet()),
])
def test_an_empty_table_file_loads_nothing_beside_a_file_that_loads(tmp_path: Path, name: str, content: bytes) -> None:
    report, entries, rows = ingest(tmp_path, {
        name: content, "accounts.csv": "account_id,created_at\na1,2026-01-01T00:00:00Z\n"})
    assert entries == [] and report.quarantine_file is None
    assert [f.status for f in report.files if f.path.endswith(name)] == ["loaded"]
    assert report.tables["requests"].loaded == 0 and [r[0] for r in rows["account"]] == ["a1"]


@pytest.mark.parametrize("raw,expected", [
    ("010.1.02.3", ("10.1.2.3", 4)),      # zero-padded octets of mixed widths are decimal
    ("0010.1.2.3", None),                 # four digits is no octet
    ("1.2.3", None), ("1.2.3.4.5", None), ("1..2.3", None),
    ("[::1]", ("::1", 6)), ("[::1", None), ("x::1]", None), ("[1.2.3.4]", ("1.2.3.4", 4)),
    ("  ", None), (None, None),
])
def test_ip_spellings(raw: str | None, expected: tuple[str, int] | None) -> None:
    assert normalise_ip(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("2001:db8::1", ("2001:db8::1/128", 6)), ("1.2.3.4", ("1.2.3.4/32", 4)),
    ("10.0.0.0/8", ("10.0.0.0/8", 4)), ("::ffff:10.0.0.0/104", ("10.0.0.0/8", 4)), ("::ffff:10.0.0.0/95", None),
    ("::ffff:0.0.0.0/96", ("0.0.0.0/0", 4)),
    (" 10.0.0.0/8 ", ("10.0.0.0/8", 4)), ("10.0.0.0/", None), ("10.0.0.0/+8", None), ("10.0.0.0/8/8", None),
    ("fe80::/10%eth0", None), (None, None), ("", None), ("   ", None),
])
def test_network_spellings(raw: str | None, expected: tuple[str, int] | None) -> None:
    assert normalise_network(raw) == expected


def test_ids_from_a_truth_file_or_a_command_line_are_canonical_like_ingested_ones(tmp_path: Path) -> None:
    from linkage.evaluate.truth import load_truth
    from linkage.ingest.contract import canonical_account_id

    assert canonical_account_id(f"\t{NFD} ") == NFC and canonical_account_id(" \u00a0") is None
    assert canonical_account_id("Bob") == "Bob"
    truth = tmp_path / "truth.csv"
    truth.write_text(f"account_id,ring_id\n{NFD},r1\n {NFC}x,\n", encoding="utf-8")
    loaded = load_truth(truth)
    assert loaded.ring_of == {NFC: "r1"} and loaded.accounts == {NFC, f"{NFC}x"}


def test_a_whole_address_space_range_matches_every_address_of_its_version() -> None:
    from linkage.ingest.network import match_ips

    pairs = match_ips(["1.2.3.4", "2001:db8::1", "::1"], [("0.0.0.0/0", "all4"), ("::/0", "all6")])
    assert sorted(pairs) == [("1.2.3.4", "all4"), ("2001:db8::1", "all6"), ("::1", "all6")]
