"""The nightly job on the Neo4j engine: the same nights, the same story, on a real Neo4j + GDS server.

The scenario of tests/nightly_scenario.py runs night by night against the test server, and
each night's report must tell what the embedded engine's reports tell (`clean_nights`): the
same exit codes, partitions, quarantine counts and ring changes, with the same members.
The job's bookkeeping (runs, partitions, reports) lives in the graph as `NightlyRun` and
`NightlyPartition` nodes, so a killed run resumes from the graph alone; that is tested by
killing a real `linkage nightly` process between ingest and detection.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nightly_scenario import DAYS, write_day, write_days
from nightly_support import CleanNights, nightly_cli
from linkage.nightly import ExitCode, run_nightly
from linkage.nightly import state
from linkage.nightly.crash import CRASH_EXIT
from linkage.settings import load_settings

pytestmark = pytest.mark.neo4j


def _story(report: dict) -> dict:
    """What a night's report says happened, without run ids, ring ids or clock times."""
    changes = {kind: sorted(e.get("size") or 0 for e in entries)
               for kind, entries in report["changes"].items() if entries}
    return {"exit_code": report["exit_code"], "partitions": [p["partition"] for p in report["partitions"]],
            "quarantine": report["quarantine"], "active": report["rings"]["active"], "changes": changes}


def _member_sets(store) -> list[frozenset[str]]:
    return sorted((frozenset(r.members) for r in store.rings()), key=sorted)


def test_every_night_on_neo4j_tells_the_embedded_story(neo4j_store, clean_nights: CleanNights,
                                                        tmp_path: Path) -> None:
    settings = load_settings(store="bolt://unused", threads=1, report_dir=str(tmp_path / "reports"))
    stories = []
    for d in range(len(DAYS)):
        write_day(tmp_path / "input", d)
        outcome = run_nightly(settings, tmp_path / "input", store=neo4j_store)
        assert int(outcome.exit_code) == clean_nights.exit_codes[d], (d, outcome.report)
        stories.append(_story(outcome.report))
    assert stories == [_story(r) for r in clean_nights.reports]
    assert any(s["changes"] for s in stories)  # the comparison is about something: rings came and changed

    # the bookkeeping is in the graph: five complete runs, one record per partition, reports kept
    runs = state.runs(neo4j_store)
    assert [r.status for r in runs] == [state.COMPLETE] * len(DAYS)
    assert [p.partition for p in state.partitions(neo4j_store)] == list(DAYS)
    assert _story(runs[-1].report) == stories[-1]

    # a night with nothing new is a no-op that says so
    again = run_nightly(settings, tmp_path / "input", store=neo4j_store)
    assert again.exit_code == ExitCode.NOTHING_NEW
    assert len(state.runs(neo4j_store)) == len(DAYS)


def test_a_run_killed_between_ingest_and_detection_resumes_from_the_graph(
        neo4j_server, neo4j_store, clean_nights: CleanNights, tmp_path: Path) -> None:
    write_days(tmp_path / "input", upto=2)  # nights 1 and 2 arrive together
    env = {"LINKAGE_STORE": neo4j_server.bolt_url, "LINKAGE_NEO4J_USER": neo4j_server.user,
           "LINKAGE_NEO4J_PASSWORD": neo4j_server.password, "LINKAGE_REPORT_DIR": str(tmp_path / "reports")}
    killed = nightly_cli("--input", str(tmp_path / "input"), env={**env, "LINKAGE_TEST_CRASH_AT": "after-ingest"})
    assert killed.returncode == CRASH_EXIT, killed.stderr
    assert [r.status for r in state.runs(neo4j_store)] == [state.INGESTED]
    assert neo4j_store.detection_runs() == []

    resumed = nightly_cli("--input", str(tmp_path / "input"), env=env)
    assert resumed.returncode == ExitCode.QUARANTINED, resumed.stderr  # day 2 carries two bad rows
    runs = state.runs(neo4j_store)
    assert [r.status for r in runs] == [state.COMPLETE]  # resumed, not run twice
    assert len(neo4j_store.detection_runs()) == 1
    assert [p.partition for p in state.partitions(neo4j_store)] == list(DAYS[:2])
    assert sum(p.rows_loaded for p in state.partitions(neo4j_store)) == sum(
        p["rows_loaded"] for r in clean_nights.reports[:2] for p in r["partitions"])
    # one run over both days ends with the rings the embedded engine has after night 2
    from linkage.store import open_store
    with open_store(str(clean_nights.after(1))) as embedded:
        assert _member_sets(neo4j_store) == _member_sets(embedded)
