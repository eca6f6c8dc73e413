"""The real CLI: `linkage ingest` output and exit codes, `linkage stats` in both formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest_sample import run_cli, write, write_dataset

pytestmark = pytest.mark.embedded


def test_ingest_prints_counts_and_stats_reports_the_graph(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "in", ".csv")
    write(data / "requests-bad.jsonl", [{"ts": "nope", "account_id": "a1", "ip": "1.2.3.4"}])
    db = tmp_path / "g.duckdb"
    qdir = tmp_path / "q"
    res = run_cli("ingest", str(data), "--store", str(db), "--quarantine-dir", str(qdir))
    assert res.returncode == 0, res.stderr
    lines = {line.split("│")[1].strip(): line for line in res.stdout.splitlines() if line.count("│") >= 4}
    assert "6" in lines["requests"] and "1" in lines["requests"].split("│")[3]
    quarantine_files = list(qdir.glob("quarantine-*.jsonl"))
    assert len(quarantine_files) == 1 and str(quarantine_files[0]) in res.stdout

    again = run_cli("ingest", str(data), "--store", str(db), "--strict")
    assert again.returncode == 0 and "skipped 5 file(s) already ingested" in again.stdout

    stats = run_cli("stats", "--store", str(db), "--format", "json")
    assert stats.returncode == 0, stats.stderr
    body = json.loads(stats.stdout)
    assert body["nodes"]["Account"] == 4 and body["nodes"]["IP"] == 3
    assert body["edges"]["USED_IP"] == 5 and body["edges"]["EXIT_OF"] == 3
    table = run_cli("stats", "--store", str(db))
    assert table.returncode == 0 and "USED_IP" in table.stdout and "Account" in table.stdout


def test_strict_exits_3_when_rows_are_quarantined(tmp_path: Path) -> None:
    data = tmp_path / "in"
    write(data / "requests.jsonl", [{"ts": "2024-05-01T00:00:00Z", "account_id": "a1", "ip": "bad-ip"}])
    res = run_cli("ingest", str(data), "--store", str(tmp_path / "g.duckdb"), "--strict")
    assert res.returncode == 3
    assert "quarantine file:" in res.stdout


def test_store_from_environment_and_bad_directory(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "in", ".jsonl")
    db = tmp_path / "env.duckdb"
    res = run_cli("ingest", str(data), env={"LINKAGE_STORE": str(db)})
    assert res.returncode == 0 and db.exists()
    missing = run_cli("ingest", str(tmp_path / "nope"), "--store", str(db))
    assert missing.returncode == 2
    bad_format = run_cli("stats", "--store", str(db), "--format", "xml")
    assert bad_format.returncode == 2


def test_help_mentions_the_options() -> None:
    res = run_cli("ingest", "--help")
    assert res.returncode == 0
    for opt in ("--store", "--quarantine-dir", "--strict"):
        assert opt in res.stdout
