"""The quarantine rules of `linkage/ingest/validate.py`, one rule per test, run as the SQL they are
over a few rows in an in-memory DuckDB (milliseconds each, so every rule is pinned cheaply)."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from linkage.ingest.contract import CONTRACTS
from linkage.ingest.network import normalise_ip, normalise_network
from linkage.ingest.readers import MISSING
from linkage.ingest.validate import (BAD_IP, NET_MAP, clean_sql, missing, quarantine_sql, rules_for, text,
                                     timestamp)

UTC = timezone.utc
TS = "2026-03-01T10:00:00Z"
OK_REQUEST = {"ts": TS, "account_id": "a1", "ip": "1.2.3.4"}


def check(table: str, rows: list[dict], types: dict[str, str] | None = None, file: str = "in/f.jsonl",
          ) -> tuple[list[tuple], list[dict]]:
    """(quarantine rows (line, field, reason, value), clean rows as dicts) of `rows` of `table`.

    Columns are text unless `types` says otherwise (SQL type, or MISSING); a row's `_json_ok`
    is False when it holds the key "_malformed"."""
    columns = CONTRACTS[table].columns
    present = {k for r in rows for k in r if not k.startswith("_")}
    types = {c: (types or {}).get(c, "VARCHAR" if c in present else MISSING) for c in columns}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    defs = ", ".join(f"{c} {t}" for c, t in types.items() if t != MISSING)
    con.execute(f"CREATE TABLE rel (_line BIGINT, _json_ok BOOLEAN{', ' + defs if defs else ''})")
    stored = [c for c, t in types.items() if t != MISSING]
    for i, r in enumerate(rows, 1):
        con.execute(f"INSERT INTO rel VALUES (?, ?{', ?' * len(stored)})",
                    [i, "_malformed" not in r, *[r.get(c) for c in stored]])
    # The staging maps the pipeline builds over distinct values.
    ips = [r["ip"] for r in rows if isinstance(r.get("ip"), str) and r["ip"].strip()]
    con.execute(f"CREATE TABLE {BAD_IP} (raw VARCHAR)")
    for ip in ips:
        if normalise_ip(ip) is None:
            con.execute(f"INSERT INTO {BAD_IP} VALUES (?)", [ip.strip()])
    nets = [r.get("cidr") or r.get("ip") for r in rows if table == "proxies"]
    con.execute(f"CREATE TABLE {NET_MAP} (raw VARCHAR, network VARCHAR)")
    for n in nets:
        if n and n.strip():
            con.execute(f"INSERT INTO {NET_MAP} VALUES (?, ?)", [n.strip(), (normalise_network(n) or (None,))[0]])
    rules = rules_for(table, types)
    bad = con.execute(f"SELECT line, field, reason, value FROM ({quarantine_sql(rules, 'rel', file, table, types)})"
                      " ORDER BY line").fetchall()
    cur = con.execute(clean_sql(rules, "rel"))
    names = [d[0] for d in cur.description]
    clean = [dict(zip(names, row)) for row in cur.fetchall()]
    con.close()
    return bad, clean


# ---- one reason each -------------------------------------------------------------------------

def test_a_malformed_json_line_is_quarantined_without_a_field() -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "_malformed": True}, OK_REQUEST])
    assert bad == [(1, None, "malformed JSON", None)] and len(clean) == 1


@pytest.mark.parametrize("col", ["ts", "account_id", "ip"])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_a_required_field_that_is_absent_or_blank_is_missing(col: str, empty: str | None) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, col: empty}, OK_REQUEST])
    assert bad == [(1, col, "missing required field", None if col != "ts" and col != "ip" else empty)]
    assert len(clean) == 1


def test_a_required_column_the_file_lacks_quarantines_every_row() -> None:
    bad, clean = check("requests", [{"ts": TS, "account_id": "a1"}])
    assert bad == [(1, "ip", "missing required field", None)] and clean == []


def test_proxies_need_an_ip_or_a_cidr() -> None:
    bad, clean = check("proxies", [{"provider": "p", "ip": None, "cidr": None},
                                   {"provider": "p", "ip": "1.2.3.4", "cidr": None},
                                   {"provider": "p", "ip": None, "cidr": "1.2.3.0/24"}])
    assert bad == [(1, "ip|cidr", "missing required field", None)]
    assert [c["network_raw"] for c in clean] == ["1.2.3.4", "1.2.3.0/24"]


def test_the_first_broken_rule_names_the_row() -> None:
    bad, _ = check("requests", [{"ts": "nope", "account_id": None, "ip": "300.1.1.1", "tokens_in": "-1"}])
    assert bad == [(1, "account_id", "missing required field", None)]


def test_an_unparseable_ip_is_quarantined_with_its_value() -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "ip": "300.1.2.3"}, {**OK_REQUEST, "ip": " 1.2.3.4 "}])
    assert bad == [(1, "ip", "unparseable IP", "300.1.2.3")]
    assert [c["ip"] for c in clean] == ["1.2.3.4"]


@pytest.mark.parametrize("columns,field", [(("cidr", "ip"), "cidr"), (("ip",), "ip")])
def test_an_unparseable_proxy_range_names_the_column_the_file_has(columns: tuple[str, ...], field: str) -> None:
    rows = [{"provider": "p", **{c: None for c in columns}, columns[0]: "1.2.3.0/99"},
            {"provider": "p", **{c: None for c in columns}, columns[0]: "1.2.3.0/24"}]
    bad, clean = check("proxies", rows)
    assert bad == [(1, field, "unparseable IP or CIDR", "1.2.3.0/99")] and len(clean) == 1


@pytest.mark.parametrize("email,ok", [("bob@example.com", True), (" bob@example.com ", True),
                                      ("bob@example", False), ("bob", False), ("a b@example.com", False),
                                      ("bob@@example.com", False)])
def test_an_email_needs_one_at_and_a_dotted_domain_and_is_never_echoed(email: str, ok: bool) -> None:
    bad, clean = check("accounts", [{"account_id": "a1", "created_at": TS, "email": email}])
    assert bad == ([] if ok else [(1, "email", "bad email", None)])
    assert [c["email"] for c in clean] == (["bob@example.com"] if ok else [])


@pytest.mark.parametrize("raw,expected", [
    ("12", 12), ("+12", 12), (" 7 ", 7), ("0", 0), ("9" * 18, int("9" * 18)),
    ("-4", "bad"), ("12.5", "bad"), ("12.0", "bad"), ("1e3", "bad"), ("9" * 19, "bad"), ("twelve", "bad"),
])
def test_text_token_counts_are_whole_non_negative_numbers(raw: str, expected: int | str) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "tokens_out": raw}])
    if expected == "bad":
        assert bad == [(1, "tokens_out", "negative or non-integer tokens", raw)] and clean == []
    else:
        assert bad == [] and clean[0]["tokens_out"] == expected and clean[0]["tokens_in"] is None


@pytest.mark.parametrize("sql_type,raw,expected", [
    ("INTEGER", 12, 12), ("INTEGER", -1, "bad"), ("BIGINT", 0, 0), ("UBIGINT", 5, 5),
    ("DOUBLE", 12.0, 12), ("DOUBLE", 12.5, "bad"), ("DOUBLE", -3.0, "bad"), ("FLOAT", 2.0, 2),
])
def test_typed_token_counts_are_whole_non_negative_numbers(sql_type: str, raw: float, expected: int | str) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "tokens_in": raw}], types={"tokens_in": sql_type})
    if expected == "bad":
        assert [(b[1], b[2]) for b in bad] == [("tokens_in", "negative or non-integer tokens")] and clean == []
    else:
        assert bad == [] and clean[0]["tokens_in"] == expected


def test_a_missing_typed_token_count_is_no_error() -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "tokens_in": None}], types={"tokens_in": "DOUBLE"})
    assert bad == [] and clean[0]["tokens_in"] is None


# ---- timestamps --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    (TS, datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T10:00:00.123456789Z", datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ("2026-03-01T10:00:00+23:59", datetime(2026, 2, 28, 10, 1, tzinfo=UTC)),
    ("2026-03-01T10:00:00-02:30", datetime(2026, 3, 1, 12, 30, tzinfo=UTC)),
    ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T10:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
    ("2026-03-31", datetime(2026, 3, 31, tzinfo=UTC)),  # -31 at the end is a day, not an offset
    ("2026-03-01 10:00:00 Europe/Paris", datetime(2026, 3, 1, 9, tzinfo=UTC)),
    ("2026-03-01T10:00:00+05", datetime(2026, 3, 1, 5, tzinfo=UTC)),
])
def test_an_rfc3339_timestamp_is_its_utc_instant(raw: str, expected: datetime) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "ts": raw}])
    assert bad == [] and clean[0]["ts"] == expected


@pytest.mark.parametrize("raw", ["2026-03-01T10:00:00+24:00", "2026-03-01T10:00:00-25:00", "2026-03-01T10:00:00+99:99",
                                 "2026-03-01T10:00:00+12:60", "2026-03-01T10:00:00+1260", "2026-03-01T10:00:00+30",
                                 "2026-03-01T10:00:00.5 +24:00"])
def test_an_offset_past_2359_is_quarantined_as_such(raw: str) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "ts": raw}])
    assert bad == [(1, "ts", "UTC offset beyond ±23:59", raw)] and clean == []


@pytest.mark.parametrize("raw", ["infinity", "-infinity", "epoch", "now", "today", "allballs", "yesterday",
                                 "2026-03-01T10:00:00EST", "2026-03-01T10:00:00+123", "20260301T100000",
                                 "2026-03-01 garbage", "last tuesday"])
def test_words_and_shapes_that_are_not_rfc3339_are_unparseable(raw: str) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "ts": raw}])
    assert bad == [(1, "ts", "unparseable timestamp", raw)] and clean == []


def test_created_at_and_payment_times_follow_the_same_rule() -> None:
    bad, _ = check("accounts", [{"account_id": "a1", "created_at": "infinity"},
                                {"account_id": "a2", "created_at": "2026-03-01T10:00:00+25:00"}])
    assert [(b[1], b[2]) for b in bad] == [("created_at", "unparseable timestamp"),
                                           ("created_at", "UTC offset beyond ±23:59")]
    bad, _ = check("payments", [{"account_id": "a1", "instrument_fingerprint": "c", "ts": "epoch"}])
    assert [(b[1], b[2]) for b in bad] == [("ts", "unparseable timestamp")]


@pytest.mark.parametrize("sql_type,value", [("TIMESTAMP", datetime(2026, 3, 1, 10)),
                                            ("TIMESTAMPTZ", datetime(2026, 3, 1, 10, tzinfo=UTC)),
                                            ("DATE", datetime(2026, 3, 1, 10).date())])
def test_a_typed_timestamp_column_is_taken_as_utc(sql_type: str, value: object) -> None:
    bad, clean = check("requests", [{**OK_REQUEST, "ts": value}], types={"ts": sql_type})
    hour = 0 if sql_type == "DATE" else 10
    assert bad == [] and clean[0]["ts"] == datetime(2026, 3, 1, hour, tzinfo=UTC)


# ---- account ids and text ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["josé", "jose\u0301", " josé", "josé\t", "\u00a0josé\r\n"])
def test_an_account_id_is_trimmed_and_nfc(raw: str) -> None:
    bad, clean = check("payments", [{"account_id": raw, "instrument_fingerprint": "c", "ts": TS}])
    assert bad == [] and [c["account_id"] for c in clean] == ["josé"]


def test_other_text_is_trimmed_and_keeps_its_case() -> None:
    _, clean = check("requests", [{**OK_REQUEST, "model": "  Big-Model ", "user_agent": " UA/1 "}])
    assert (clean[0]["model"], clean[0]["user_agent"]) == ("Big-Model", "UA/1")


def test_the_quarantine_names_a_file_whose_path_has_a_quote() -> None:
    file = "in/o'brien's/requests.jsonl"
    bad, _ = check("requests", [{**OK_REQUEST, "ip": None}], file=file)
    con = duckdb.connect()
    types = {c: "VARCHAR" for c in CONTRACTS["requests"].columns}
    con.execute("CREATE TABLE rel AS SELECT 1 AS _line, TRUE AS _json_ok, "
                + ", ".join(f"NULL::VARCHAR AS {c}" for c in types))
    con.execute(f"CREATE TABLE {BAD_IP} (raw VARCHAR)")
    row = con.execute(quarantine_sql(rules_for("requests", types), "rel", file, "requests", types)).fetchone()
    assert row[:5] == (file, 1, "requests", "ts", "missing required field")
    assert bad == [(1, "ip", "missing required field", None)]


def test_text_missing_and_timestamp_expressions_by_column_type() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t AS SELECT ' x ' AS v, 5 AS n, NULL::VARCHAR AS z, '  ' AS blank")
    one = lambda sql: con.execute(f"SELECT {sql} FROM t").fetchone()[0]  # noqa: E731
    assert one(text("v", "VARCHAR")) == "x" and one(text("n", "INTEGER")) == "5"
    assert one(text("v", MISSING)) is None and one(text("blank", "VARCHAR")) is None
    assert one(missing("v", MISSING)) is True and one(missing("z", "VARCHAR")) is True
    assert one(missing("blank", "VARCHAR")) is True and one(missing("blank", "VARCHAR", no_blanks=True)) is False
    assert one(missing("n", "INTEGER")) is False and one(missing("v", "VARCHAR")) is False
    assert one(timestamp("v", "VARCHAR")) is None  # not a time: NULL, never an error
