"""Timestamps as real logs write them: each spelling is either read as one exact UTC instant or
quarantined with its reason (the rule is in `linkage/ingest/validate.py`'s docstring)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded

UTC = timezone.utc
BASE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

# (spelling, the UTC instant it means); each is one request of its own account.
ACCEPTED = [
    ("2026-03-01T10:00:00Z", BASE),
    ("2026-03-01T10:00:00.123456Z", BASE + timedelta(microseconds=123456)),
    # nanoseconds: kept to the microsecond (the store's resolution), truncated, not rounded
    ("2026-03-01T10:00:00.123456789Z", BASE + timedelta(microseconds=123456)),
    ("2026-03-01T10:00:00.999999999Z", BASE + timedelta(microseconds=999999)),
    ("2026-03-01T10:00:00.5+01:00", BASE - timedelta(hours=1) + timedelta(milliseconds=500)),
    ("2026-03-01T10:00:00+23:59", BASE - timedelta(hours=23, minutes=59)),
    ("2026-03-01T10:00:00-23:59", BASE + timedelta(hours=23, minutes=59)),
    ("2026-03-01T10:00:00+05:30", BASE - timedelta(hours=5, minutes=30)),
    ("2026-03-01T10:00:00+0530", BASE - timedelta(hours=5, minutes=30)),
    ("2026-03-01 10:00:00Z", BASE),
    # no zone at all: UTC (the documented rule)
    ("2026-03-01T10:00:00", BASE),
    ("2026-03-01T10:00:00.25", BASE + timedelta(milliseconds=250)),
    # IANA zone names, DST-aware: Paris is UTC+1 in March, UTC+2 in July
    ("2026-03-01 10:00:00 Europe/Paris", BASE - timedelta(hours=1)),
    ("2026-07-01 10:00:00 Europe/Paris", datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
]
REJECTED = [
    ("2026-03-01T10:00:00+25:00", "UTC offset beyond ±23:59"),
    ("2026-03-01T10:00:00+99:99", "UTC offset beyond ±23:59"),
    ("2026-03-01T10:00:00-24:00", "UTC offset beyond ±23:59"),
    ("2026-03-01T10:00:00+05:60", "UTC offset beyond ±23:59"),
    ("2026-03-01T10:00+25:00", "UTC offset beyond ±23:59"),
    ("2026-03-01T10:00:00.5+24:00", "UTC offset beyond ±23:59"),
    ("infinity", "unparseable timestamp"),
    ("-infinity", "unparseable timestamp"),
    ("epoch", "unparseable timestamp"),
    ("now", "unparseable timestamp"),
    ("2026-03-01T10:00:00EST", "unparseable timestamp"),  # an abbreviation, not a zone
    ("2026-03-01T10:00:00 Mars/Olympus", "unparseable timestamp"),
    ("2026-02-30T10:00:00Z", "unparseable timestamp"),
]
VALUES = [v for v, _ in ACCEPTED] + [v for v, _ in REJECTED]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, datetime], dict[str, dict[int, dict]], object]:
    """(account -> first request time and `created:<account>` -> created_at, quarantine entries by
    file and line, the ingest report)."""
    base = tmp_path_factory.mktemp("ts")
    data = base / "in"
    data.mkdir()
    (data / "requests.jsonl").write_text("".join(
        json.dumps({"ts": v, "account_id": f"acct{i}", "ip": "1.2.3.4"}) + "\n" for i, v in enumerate(VALUES)))
    (data / "accounts.csv").write_text(
        "account_id,created_at\nacct0,2026-03-31\nacct1,2026-03-01T10:00:00+24:00\nacct2,infinity\n")
    with open_store(str(base / "g.duckdb")) as store:
        report = ingest_directory(store, data, load_settings(quarantine_dir=base / "q"))
        seen = dict(store.con.execute("SELECT account_id, first_seen FROM used_ip").fetchall())
        created = dict(store.con.execute("SELECT account_id, created_at FROM account").fetchall())
    entries = [json.loads(line) for line in report.quarantine_file.read_text().splitlines()]
    requests = {e["line"]: e for e in entries if e["file"].endswith("requests.jsonl")}
    accounts = {e["line"]: e for e in entries if e["file"].endswith("accounts.csv")}
    times = {**seen, **{f"created:{k}": v for k, v in created.items()}}
    return times, {"requests": requests, "accounts": accounts}, report


@pytest.mark.parametrize("i", range(len(ACCEPTED)), ids=[v for v, _ in ACCEPTED])
def test_accepted_spelling_is_the_exact_utc_instant(loaded, i: int) -> None:
    seen, quarantined, _ = loaded
    assert seen[f"acct{i}"] == ACCEPTED[i][1]
    assert i + 1 not in quarantined["requests"]


@pytest.mark.parametrize("j", range(len(REJECTED)), ids=[v for v, _ in REJECTED])
def test_rejected_spelling_is_quarantined_with_its_reason(loaded, j: int) -> None:
    seen, quarantined, _ = loaded
    i = len(ACCEPTED) + j
    entry = quarantined["requests"][i + 1]
    assert (entry["field"], entry["reason"], entry["value"]) == ("ts", REJECTED[j][1], REJECTED[j][0])
    assert f"acct{i}" not in seen


def test_every_row_is_either_loaded_or_quarantined(loaded) -> None:
    _, quarantined, report = loaded
    assert report.tables["requests"].loaded == len(ACCEPTED)
    assert report.tables["requests"].quarantined == len(REJECTED) == len(quarantined["requests"])


def test_created_at_follows_the_same_rule(loaded) -> None:
    seen, quarantined, _ = loaded
    assert seen["created:acct0"] == datetime(2026, 3, 31, tzinfo=UTC)  # a date alone is its midnight UTC
    assert quarantined["accounts"][3]["reason"] == "UTC offset beyond ±23:59"
    assert quarantined["accounts"][4]["reason"] == "unparseable timestamp"
    assert set(quarantined["accounts"]) == {3, 4}
