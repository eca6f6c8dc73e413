"""Analyst decisions carry over night after night; a dismissed ring whose evidence grows comes back,
and the report says why — also when the job was killed between detection and that decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nightly_scenario import write_days
from nightly_support import DecidedNights, copy_store, nightly_cli, report_content
from linkage.nightly import ExitCode
from linkage.nightly.crash import CRASH_EXIT
from linkage.nightly.report import to_markdown
from linkage.store import open_store

pytestmark = pytest.mark.embedded


def _decisions(db: Path, ring_id: str) -> list[tuple[str, str, str]]:
    with open_store(str(db)) as store:
        return [(d.status, d.author, d.note) for d in store.ring_decisions([ring_id])]


def test_a_dismissed_ring_that_grows_is_raised_again_with_the_reason(decided_nights: DecidedNights) -> None:
    report = decided_nights.reports[2]
    ring = decided_nights.ring
    assert [e["ring_id"] for e in report["decisions"]["raised_again"]] == [ring]
    why = report["decisions"]["raised_again"][0]["why"]
    assert "size grew from 16 to 24" in why and "analyst-1" in why
    assert report["decisions"]["status"] == {ring: "NEW"}
    grown = report["changes"]["grown"][0]
    assert grown["ring_id"] == ring and grown["review"] == "NEW"
    assert f"**raised again** `{ring}`" in to_markdown(report)
    status, author, _ = _decisions(decided_nights.after(2), ring)[-1]
    assert (status, author) == ("NEW", "linkage detect")


def test_decisions_and_the_allowlist_survive_every_night(decided_nights: DecidedNights) -> None:
    ring, split = decided_nights.ring, decided_nights.split
    report = decided_nights.reports[3]
    assert report["decisions"]["status"][ring] == "CONFIRMED"
    assert report["changes"]["split"][0]["from_status"] == "CONFIRMED"
    assert report["decisions"]["raised_again"] == []
    assert _decisions(decided_nights.db, ring) == [
        ("DISMISSED", "analyst-1", "looks like a reseller's test accounts"),
        ("NEW", "linkage detect", decided_nights.reports[2]["decisions"]["raised_again"][0]["why"]),
        ("CONFIRMED", "analyst-1", "same operator as case 4711")]
    with open_store(str(decided_nights.db)) as store:
        assert [(a.kind, a.key, a.reason) for a in store.allowlisted_artifacts()] == [
            ("ip", "24.0.5.7", "a shared office NAT")]
        assert store.ring(ring).status == "active"
    # the dismissed head's score rose with the release shift on night 5: raised again, saying so
    last = decided_nights.reports[4]
    assert [e["ring_id"] for e in last["decisions"]["raised_again"]] == [split]
    assert "score rose from" in last["decisions"]["raised_again"][0]["why"]
    assert last["decisions"]["status"] == {ring: "CONFIRMED", split: "NEW"}


def test_killed_before_the_raise_again_decision_restores_it(decided_nights: DecidedNights, tmp_path: Path) -> None:
    db = copy_store(decided_nights.root / "dismissed-after-1.duckdb", tmp_path / "store.duckdb")
    input_dir = write_days(tmp_path / "input", 3)
    killed = nightly_cli("--input", str(input_dir), "--store", str(db), env={"LINKAGE_TEST_CRASH_AT": "raise-again"})
    assert killed.returncode == CRASH_EXIT, killed.stderr
    assert _decisions(db, decided_nights.ring)[-1][0] == "DISMISSED"  # detection saved, decision lost
    resumed = nightly_cli("--input", str(input_dir), "--store", str(db))
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    assert "decision.restored" in resumed.stderr
    assert [d[:2] for d in _decisions(db, decided_nights.ring)] == [("DISMISSED", "analyst-1"), ("NEW", "linkage detect")]
    latest = json.loads((input_dir / "_reports" / "latest.json").read_text())
    assert report_content(latest) == report_content(decided_nights.reports[2])
