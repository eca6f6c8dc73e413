"""Re-ingest is a no-op, day 1 + day 2 equals both at once, a killed ingest reruns clean,
and an unreadable file leaves the store as it was."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ingest_sample import ACCOUNTS, DAY1, DAY2, PAYMENTS, PROXIES, run_cli, snapshot, write
from linkage.ingest.pipeline import ingest_directory
from linkage.ingest.readers import UnreadableInput
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded


def _ingest(data: Path, db: Path):
    with open_store(str(db)) as store:
        return ingest_directory(store, data, load_settings())


def _day_dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    day1, both = tmp_path / "day1", tmp_path / "both"
    write(day1 / "accounts.jsonl", ACCOUNTS)
    write(day1 / "requests-2024-05-01.jsonl", DAY1)
    write(day1 / "payments.csv", PAYMENTS)
    # the proxy intel arrives on day 2, after the requests it matches
    day2 = tmp_path / "day2"
    write(day2 / "requests-2024-05-02.parquet", DAY2)
    write(day2 / "proxies.jsonl.gz", PROXIES)
    for d in (day1, day2):
        for f in d.iterdir():
            (both / f.name).parent.mkdir(exist_ok=True)
            (both / f.name).write_bytes(f.read_bytes())
    return day1, day2, both


def test_reingest_changes_nothing(tmp_path: Path) -> None:
    _, _, both = _day_dirs(tmp_path)
    db = tmp_path / "g.duckdb"
    first = _ingest(both, db)
    before = snapshot(db)
    again = _ingest(both, db)
    assert snapshot(db) == before
    assert len(again.skipped) == len(first.files) == 5 and again.loaded == 0


def test_day1_then_day2_equals_both_at_once(tmp_path: Path) -> None:
    day1, day2, both = _day_dirs(tmp_path)
    _ingest(day1, tmp_path / "inc.duckdb")
    _ingest(day2, tmp_path / "inc.duckdb")
    _ingest(both, tmp_path / "once.duckdb")
    inc, once = snapshot(tmp_path / "inc.duckdb"), snapshot(tmp_path / "once.duckdb")
    # A prompt family is born in a batch holding two or more of its prompts (here: one prompt per day,
    # so only the single batch finds it); once born it spans batches (tests/test_ingest_families.py).
    family_tables = ("prompt_family", "prompt_family_key", "sent_family")
    assert not any(inc[t] for t in family_tables) and all(once[t] for t in family_tables)
    assert {k: v for k, v in inc.items() if k not in family_tables} == {
        k: v for k, v in once.items() if k not in family_tables}
    # counts summed and time ranges widened across days; proxies matched IPs already stored
    a1 = next(r for r in inc["used_ip"] if r[:2] == ("a1", "1.2.3.4"))
    assert a1[2] == 2 and a1[3].day == 1 and a1[4].day == 2
    assert ("1.2.3.4", "ResiNet|residential") in inc["exit_of"]
    assert ("10.0.0.7", "TorList|tor") in inc["exit_of"]


@pytest.mark.parametrize("crash_at", ["merge", "before-merge"])
def test_killed_ingest_reruns_to_the_clean_state(tmp_path: Path, crash_at: str) -> None:
    day1, day2, both = _day_dirs(tmp_path)
    db, clean = tmp_path / "g.duckdb", tmp_path / "clean.duckdb"
    assert run_cli("ingest", str(day1), "--store", str(db)).returncode == 0
    after_day1 = snapshot(db)
    crashed = run_cli("ingest", str(day2), "--store", str(db), env={"LINKAGE_TEST_CRASH_AT": crash_at})
    assert crashed.returncode == 17, crashed.stderr
    assert snapshot(db) == after_day1  # nothing of day 2 is half-applied
    assert run_cli("ingest", str(day2), "--store", str(db)).returncode == 0
    # the same two nights, never interrupted
    assert run_cli("ingest", str(day1), "--store", str(clean)).returncode == 0
    assert run_cli("ingest", str(day2), "--store", str(clean)).returncode == 0
    assert snapshot(db) == snapshot(clean)


@pytest.mark.parametrize("name,content", [
    ("requests.parquet", b"PAR1 this is not a parquet file PAR1"),
    ("requests.jsonl.gz", b"\x1f\x8b\x08\x00garbage-not-gzip"),
    ("requests.csv", b"ts,account_id,ip\n2024-05-01T00:00:00Z,a\xff\xfe,1.2.3.4\n"),
])
def test_unreadable_file_stops_and_leaves_the_store(tmp_path: Path, name: str, content: bytes) -> None:
    day1, _, _ = _day_dirs(tmp_path)
    db = tmp_path / "g.duckdb"
    _ingest(day1, db)
    before = snapshot(db)
    bad = tmp_path / "bad"
    write(bad / "accounts.jsonl", [{"account_id": "zz", "created_at": "2024-05-03T00:00:00Z"}])
    (bad / name).write_bytes(content)
    with pytest.raises(UnreadableInput) as err:
        _ingest(bad, db)
    assert name in str(err.value)
    assert snapshot(db) == before
    cli = run_cli("ingest", str(bad), "--store", str(db))
    assert cli.returncode == 2 and name in cli.stderr and "unchanged" in cli.stderr
    assert snapshot(db) == before


def test_a_lockstep_window_split_across_two_batches_is_complete_after_both(tmp_path: Path) -> None:
    # Two accounts send one template in the same 10-minute window, but the log was cut at 10:05:
    # each batch alone holds one account in that window; together they are lockstep evidence.
    row = {"ip": "1.2.3.4", "prompt_fingerprint": "00000000deadbeef"}
    first = [{**row, "ts": "2024-05-01T09:20:00Z", "account_id": "x0", "ip": "9.9.9.9"},
             {**row, "ts": "2024-05-01T10:02:00Z", "account_id": "a1"}]
    second = [{**row, "ts": "2024-05-01T10:07:00Z", "account_id": "a2"},
              {**row, "ts": "2024-05-01T11:40:00Z", "account_id": "x9", "ip": "8.8.8.8"}]
    write(tmp_path / "b1" / "requests-1.jsonl", first)
    write(tmp_path / "b2" / "requests-2.jsonl", second)
    write(tmp_path / "both" / "requests-1.jsonl", first)
    write(tmp_path / "both" / "requests-2.jsonl", second)
    _ingest(tmp_path / "b1", tmp_path / "inc.duckdb")
    _ingest(tmp_path / "b2", tmp_path / "inc.duckdb")
    _ingest(tmp_path / "both", tmp_path / "once.duckdb")
    inc, once = snapshot(tmp_path / "inc.duckdb"), snapshot(tmp_path / "once.duckdb")
    shared = {(r[0], r[3]) for r in inc["co_window"] if r[2].hour == 10}
    assert shared == {("ip", "a1"), ("ip", "a2"), ("prompt", "a1"), ("prompt", "a2")}
    assert inc == once
