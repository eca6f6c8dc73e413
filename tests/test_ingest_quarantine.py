"""Every quarantine reason lands in the quarantine file with file, line and field; the load goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest_sample import SECRET_EMAIL, SECRET_PROMPT, write
from linkage.ingest.pipeline import ingest_directory
from linkage.settings import load_settings
from linkage.store import open_store

pytestmark = pytest.mark.embedded

GOOD = {"ts": "2024-05-01T10:00:00Z", "account_id": "a1", "ip": "1.2.3.4"}


@pytest.fixture(scope="module")
def quarantined(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], object, Path]:
    base = tmp_path_factory.mktemp("q")
    data = base / "in"
    data.mkdir()
    (data / "requests.jsonl").write_text("\n".join([
        json.dumps(GOOD),                                                     # 1 ok
        '{"ts": "2024-05-01T10:00:00Z", "account_id": ',                     # 2 malformed JSON
        json.dumps({**GOOD, "account_id": None}),                             # 3 missing account_id
        json.dumps({"ts": "2024-05-01T10:00:00Z", "account_id": "a1"}),       # 4 missing ip
        json.dumps({**GOOD, "ts": "last tuesday"}),                           # 5 bad timestamp
        json.dumps({**GOOD, "ip": "300.1.2.3", "prompt": SECRET_PROMPT}),     # 6 bad IP (prompt not echoed)
        json.dumps({**GOOD, "tokens_in": -4}),                                # 7 negative tokens
        json.dumps({**GOOD, "tokens_out": "12.5"}),                           # 8 non-integer tokens
        "",                                                                   # 9 blank: not a row
        json.dumps({**GOOD, "ip": "2001:db8::1"}),                            # 10 ok
    ]) + "\n")
    write(data / "accounts.csv", [
        {"account_id": "a1", "created_at": "2024-05-01T00:00:00Z", "email": SECRET_EMAIL},
        {"account_id": "a2", "created_at": "2024-05-01T00:00:00Z", "email": "not-an-email"},  # line 3
        {"account_id": "", "created_at": "2024-05-01T00:00:00Z"},                              # line 4
    ])
    write(data / "proxies.parquet", [
        {"cidr": "1.2.3.0/24", "provider": "p"},
        {"cidr": "1.2.3.0/99", "provider": "p"},  # row 2: bad CIDR
        {"ip": "1.2.3.x", "provider": "p"},        # row 3: bad IP
    ])
    write(data / "payments.jsonl.gz", [
        {"account_id": "a1", "instrument_fingerprint": "c1", "ts": "2024-05-01T00:00:00Z"},
        {"account_id": "a1", "ts": "2024-05-01T00:00:00Z"},  # missing instrument
    ])
    write(data / "devices.jsonl", [{"x": 1}])  # unknown table
    qdir = base / "quarantine"
    with open_store(str(base / "g.duckdb")) as store:
        report = ingest_directory(store, data, load_settings(quarantine_dir=qdir))
    assert report.quarantine_file is not None and report.quarantine_file.parent == qdir
    text = report.quarantine_file.read_text()
    return [json.loads(line) for line in text.splitlines()], report, data


@pytest.mark.parametrize("name,line,field,reason", [
    ("requests.jsonl", 2, None, "malformed JSON"),
    ("requests.jsonl", 3, "account_id", "missing required field"),
    ("requests.jsonl", 4, "ip", "missing required field"),
    ("requests.jsonl", 5, "ts", "unparseable timestamp"),
    ("requests.jsonl", 6, "ip", "unparseable IP"),
    ("requests.jsonl", 7, "tokens_in", "negative or non-integer tokens"),
    ("requests.jsonl", 8, "tokens_out", "negative or non-integer tokens"),
    ("accounts.csv", 3, "email", "bad email"),
    ("accounts.csv", 4, "account_id", "missing required field"),
    ("proxies.parquet", 2, "cidr", "unparseable IP or CIDR"),
    ("proxies.parquet", 3, "cidr", "unparseable IP or CIDR"),
    ("payments.jsonl.gz", 2, "instrument_fingerprint", "missing required field"),
    ("devices.jsonl", None, None, "unknown table"),
])
def test_each_reason_is_recorded(quarantined, name: str, line: int | None, field: str | None,
                                 reason: str) -> None:
    entries, _, data = quarantined
    match = [e for e in entries if e["file"] == str(data / name) and e["line"] == line]
    assert len(match) == 1, match
    assert match[0]["field"] == field and match[0]["reason"] == reason


def test_counts_and_the_load_goes_on(quarantined) -> None:
    entries, report, _ = quarantined
    assert len(entries) == 13
    assert (report.tables["requests"].loaded, report.tables["requests"].quarantined) == (2, 7)
    assert (report.tables["accounts"].loaded, report.tables["accounts"].quarantined) == (1, 2)
    assert (report.tables["proxies"].loaded, report.tables["proxies"].quarantined) == (1, 2)
    assert (report.tables["payments"].loaded, report.tables["payments"].quarantined) == (1, 1)


def test_quarantine_file_has_no_prompt_or_email_but_echoes_safe_values(quarantined) -> None:
    entries, report, _ = quarantined
    text = report.quarantine_file.read_text()
    assert SECRET_PROMPT not in text and "Zanzibar" not in text
    assert SECRET_EMAIL not in text and "not-an-email" not in text
    by_line = {(e["file"].rsplit("/", 1)[-1], e["line"]): e for e in entries}
    assert by_line[("requests.jsonl", 5)]["value"] == "last tuesday"
    assert by_line[("requests.jsonl", 6)]["value"] == "300.1.2.3"
    assert by_line[("accounts.csv", 3)]["value"] is None
