"""The request log is grouped by 64-bit keys of canonical values: messy spellings of one value
must land on one node, blanks must still be quarantined, and a hash collision must stop the load."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest_sample import snapshot, write
from linkage.ingest.encode import HashCollision, _check_unique
from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded

CLEAN = [
    {"ts": "2024-05-01T10:00:00Z", "account_id": "a1", "ip": "10.1.2.3", "prompt_fingerprint": "00000000deadbeef",
     "model": "m1", "user_agent": "curl/8", "tokens_in": 1},
    {"ts": "2024-05-01T10:01:00Z", "account_id": "a1", "ip": "10.1.2.3", "prompt_fingerprint": "00000000deadbeef",
     "model": "m1", "user_agent": "curl/8", "tokens_in": 2},
    {"ts": "2024-05-01T10:02:00Z", "account_id": "a2", "ip": "10.1.2.3", "prompt_fingerprint": "00000000deadbeef",
     "user_agent": "curl/8", "tokens_in": 4},
]
# The same three requests as a sloppy feed writes them: padding, upper-case hex, zero-padded octets,
# an IPv4-mapped IPv6 address, a blank model.
MESSY = [
    {**CLEAN[0], "account_id": " a1", "ip": "010.001.002.003", "prompt_fingerprint": "00000000DEADBEEF "},
    {**CLEAN[1], "account_id": "a1 ", "ip": "::ffff:10.1.2.3", "model": " m1", "user_agent": " curl/8"},
    {**CLEAN[2], "ip": " 10.1.2.3", "model": "  "},
]


def _graph(tmp: Path, name: str, rows: list[dict], ext: str = ".jsonl") -> tuple[dict, object]:
    data = tmp / name
    write(data / f"requests{ext}", rows)
    db = tmp / f"{name}.duckdb"
    with open_store(str(db)) as store:
        report = ingest_directory(store, data, load_settings(store=str(db)))
    return snapshot(db), report


def _without_files(g: dict) -> dict:
    return {k: v for k, v in g.items() if k != "ingested_file"}


@pytest.mark.parametrize("ext", [".jsonl", ".parquet"])
def test_messy_spellings_of_one_value_build_the_same_graph_as_clean_ones(tmp_path: Path, ext: str) -> None:
    clean, _ = _graph(tmp_path, "clean", CLEAN, ext)
    messy, report = _graph(tmp_path, "messy", MESSY, ext)
    assert report.quarantined == 0
    assert _without_files(messy) == _without_files(clean)
    assert len(clean["account"]) == 2 and len(clean["ip"]) == 1 and len(clean["prompt_fingerprint"]) == 1


def test_blank_required_values_are_quarantined_not_hashed(tmp_path: Path) -> None:
    rows = [*CLEAN, {**CLEAN[0], "account_id": "   "}, {**CLEAN[0], "ip": " "}, {**CLEAN[0], "ip": ""}]
    graph, report = _graph(tmp_path, "blanks", rows)
    assert report.tables["requests"].loaded == 3 and report.tables["requests"].quarantined == 3
    clean, _ = _graph(tmp_path, "clean", CLEAN)
    assert _without_files(graph) == _without_files(clean)
    lines = (report.quarantine_file.read_text().splitlines())
    assert len(lines) == 3 and all('"missing required field"' in line for line in lines)


def test_a_hash_collision_in_a_dictionary_stops_the_load() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE _d_x AS SELECT * FROM (VALUES (1::UBIGINT, 'a'), (1::UBIGINT, 'b')) t(h, s)")
    with pytest.raises(HashCollision, match="2 distinct values but 1 distinct hashes"):
        _check_unique(con, "_d_x")


@pytest.mark.parametrize("minutes", [1, 5, 10, 60])
def test_integer_buckets_equal_duckdbs_calendar_buckets(minutes: int) -> None:
    from linkage.ingest.aggregate import bucket

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("""CREATE TABLE t AS SELECT TIMESTAMPTZ '1969-12-30 00:00:00+00'
                   + to_microseconds(CAST(hash(i) % 5000000000000000 AS BIGINT)) AS ts FROM range(20000) r(i)""")
    width = minutes * 60_000_000
    mismatches = con.execute(f"""SELECT count(*) FROM (SELECT ts, epoch_us(ts) AS us FROM t)
        WHERE make_timestamp({bucket(width)})::TIMESTAMPTZ <> time_bucket(INTERVAL '{minutes} minutes', ts)
        """).fetchone()[0]
    assert mismatches == 0
    hours = con.execute(f"""SELECT count(*) FROM (SELECT ts, epoch_us(ts) AS us FROM t)
        WHERE make_timestamp({bucket(3_600_000_000)})::TIMESTAMPTZ <> date_trunc('hour', ts)""").fetchone()[0]
    assert hours == 0



def _encoding(tmp: Path, files: dict[str, list[dict] | None]):
    """What `build_dictionaries` finds out about request files (name -> rows, or None for a file
    already written), staged as the pipeline stages them."""
    from linkage.ingest import encode
    from linkage.ingest.contract import CONTRACTS
    from linkage.ingest.discover import InputFile
    from linkage.ingest.pipeline import _build_maps, _staging
    from linkage.ingest.readers import stage_file

    staged: dict[str, list] = {t: [] for t in CONTRACTS}
    con = _staging(load_settings(), str(tmp))
    for i, (name, rows) in enumerate(files.items()):
        path = tmp / name if rows is None else write(tmp / name, rows)
        fmt = "parquet" if name.endswith(".parquet") else "jsonl"
        staged["requests"].append((f"_f{i}", stage_file(con, InputFile(path, fmt, "requests"), f"_f{i}",
                                                        CONTRACTS["requests"].columns)))
    _build_maps(con, staged)
    found = encode.build_dictionaries(con, staged["requests"], "_ipmap", "_promptmap")
    con.close()
    return found


def test_clean_values_are_hashed_as_they_are(tmp_path: Path) -> None:
    found = _encoding(tmp_path, {"requests.jsonl": CLEAN})
    assert found.raw_ok == {"account_id": True, "user_agent": True, "model": True, "prompt_fingerprint": True,
                            "ip": True}
    assert found.ip_fix is False and found.no_blanks == frozenset({"account_id", "ip"})


def test_messy_values_take_the_canonical_path_column_by_column(tmp_path: Path) -> None:
    found = _encoding(tmp_path, {"requests.jsonl": MESSY})
    assert found.raw_ok == {"account_id": False, "user_agent": False, "model": False,
                            "prompt_fingerprint": False, "ip": True}
    assert found.ip_fix is True  # padded, zero-padded and mapped IPs are looked up
    assert found.no_blanks == frozenset({"ip"})  # padded ids are not canonical: blanks must be trimmed


def test_a_blank_ip_keeps_the_ip_blank_check(tmp_path: Path) -> None:
    found = _encoding(tmp_path, {"requests.jsonl": [*CLEAN, {**CLEAN[0], "ip": "  "}]})
    assert found.no_blanks == frozenset({"account_id"}) and found.raw_ok["ip"] is True


def test_a_typed_column_is_never_hashed_raw(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"ts": ["2024-05-01T10:00:00Z"], "account_id": pa.array([7], pa.int64()),
                             "ip": pa.array([167838211], pa.int64()), "model": ["m1"]}),
                   tmp_path / "requests.parquet")
    found = _encoding(tmp_path, {"requests.parquet": None})
    assert found.raw_ok["account_id"] is False and found.raw_ok["ip"] is False
    assert found.raw_ok["model"] is True


@pytest.mark.parametrize("spelling", ["clean", "messy"])
def test_every_column_of_a_request_reaches_its_edge(tmp_path: Path, spelling: str) -> None:
    from linkage.ingest.fingerprint import fingerprint_prompt

    prompt = "Explain step by step why 17 is prime"
    row = {"ts": "2024-05-01T10:00:00Z", "account_id": "a1", "ip": "10.1.2.3", "prompt": prompt,
           "prompt_fingerprint": "00000000deadbeef", "model": "m1", "user_agent": "curl/8",
           "tokens_in": 3, "tokens_out": 4}
    if spelling == "messy":
        row = {**row, "account_id": " a1", "ip": "::ffff:10.1.2.3", "model": " m1 ", "user_agent": "curl/8 ",
               "prompt": f"  {prompt} "}
    data = tmp_path / "in"
    write(data / "requests.jsonl", [row, {**row, "prompt": None, "model": None}])
    with open_store(":memory:") as store:
        ingest_directory(store, data, load_settings())
        q = lambda sql: sorted(store.con.execute(sql).fetchall())  # noqa: E731
        # raw text wins over the precomputed fingerprint; a row without text keeps its fingerprint
        assert q("SELECT account_id, fingerprint, count FROM sent") == sorted(
            [("a1", fingerprint_prompt(prompt).template, 1), ("a1", "00000000deadbeef", 1)])
        assert q("SELECT account_id, ip, requests FROM used_ip") == [("a1", "10.1.2.3", 2)]
        assert q("SELECT u.user_agent, a.requests FROM used_agent a JOIN user_agent u USING (ua_id)") == [
            ("curl/8", 2)]
        assert q("SELECT model, requests, tokens_in, tokens_out FROM activity") == [("", 1, 3, 4), ("m1", 1, 3, 4)]


def test_a_typed_ip_column_goes_through_the_map_and_a_number_is_no_address(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "in"
    data.mkdir()
    pq.write_table(pa.table({"ts": ["2024-05-01T10:00:00Z"] * 2, "account_id": ["a1", "a2"],
                             "ip": pa.array([167838211, None], pa.int64())}), data / "requests.parquet")
    with open_store(":memory:") as store:
        report = ingest_directory(store, data, load_settings(quarantine_dir=tmp_path / "q"))
        assert store.con.execute("SELECT count(*) FROM used_ip").fetchone()[0] == 0
    entries = [json.loads(x) for x in report.quarantine_file.read_text().splitlines()]
    assert [(e["line"], e["field"], e["reason"], e["value"]) for e in entries] == [
        (1, "ip", "unparseable IP", "167838211"), (2, "ip", "missing required field", None)]


PROMPT = "Summarise the open issues of the billing service and list the owners of each one please"
PROMPTED = [{**r, "prompt": PROMPT} for r in CLEAN]
# The same prompts padded with the Unicode space separators trim() removes (ASCII space, NBSP, U+3000,
# U+2009), and a fourth request whose prompt is blank: it keeps its precomputed fingerprint.
PADDED = [{**PROMPTED[0], "prompt": f"  {PROMPT}\u00a0"}, {**PROMPTED[1], "prompt": f"\u3000{PROMPT}"},
          {**PROMPTED[2], "prompt": f"{PROMPT}\u2009 "}]
BLANK = {**CLEAN[0], "ts": "2024-05-01T10:03:00Z", "prompt": " \u3000 ", "prompt_fingerprint": "00000000feedface"}


@pytest.mark.parametrize("ext", [".jsonl", ".parquet"])
def test_padded_prompts_build_the_graph_of_trimmed_ones_and_a_blank_prompt_is_no_prompt(
        tmp_path: Path, ext: str) -> None:
    clean, _ = _graph(tmp_path, "clean", [*PROMPTED, {**BLANK, "prompt": None}], ext)
    padded, report = _graph(tmp_path, "padded", [*PADDED, BLANK], ext)
    assert report.quarantined == 0
    assert _without_files(padded) == _without_files(clean)
    fingerprints = {r[0] for r in clean["prompt_fingerprint"]}
    assert len(fingerprints) == 2 and "00000000feedface" in fingerprints
