"""The nightly job's parts on their own: the lock, partitions, and the report of every kind of change."""

from __future__ import annotations

import json
import os
import socket
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from linkage.nightly.lock import LockHeld, NightlyLock, pid_alive
from linkage.nightly.partitions import BadPartition, list_partitions
from linkage.nightly.report import build_report, ring_snapshot, to_markdown
from linkage.nightly.state import NightlyRun, PartitionRecord
from linkage.store import open_store
from linkage.store.models import DetectionResult, DetectionRun, Ring, RingArtifact, RingChange, RingMember

pytestmark = pytest.mark.embedded
T0 = datetime(2026, 2, 1, tzinfo=timezone.utc)


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_the_lock_names_its_holder_and_refuses_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "job.lock"
    with NightlyLock(path) as held:
        held.set_run("night_x")
        with pytest.raises(LockHeld) as refused:
            NightlyLock(path).acquire()
        h = refused.value.holder
        assert (h.pid, h.host, h.run_id) == (os.getpid(), socket.gethostname(), "night_x")
        assert f"pid {os.getpid()} on {socket.gethostname()}, started " in str(refused.value)
    assert path.read_text() == ""  # released: cleared, and free for the next run
    with NightlyLock(path) as again:
        assert again.previous is None


def test_a_stale_lock_of_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "job.lock"
    dead = _dead_pid()
    assert not pid_alive(dead)
    path.write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "started_at": "2026-02-01T02:30:00+00:00",
                                "run_id": "night_old"}))
    with NightlyLock(path) as lock:
        assert lock.previous is not None and lock.previous.pid == dead and lock.previous.run_id == "night_old"
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_partitions_are_dated_directories_only_and_until_is_inclusive(tmp_path: Path) -> None:
    for name in ("2026-02-02", "2026-02-01", "2026-02-03", "_reports", ".hidden", "notes"):
        (tmp_path / name).mkdir()
    (tmp_path / "2026-02-04.txt").write_text("a file, not a partition")
    assert [p.name for p in list_partitions(tmp_path)] == ["2026-02-01", "2026-02-02", "2026-02-03"]
    assert [p.name for p in list_partitions(tmp_path, date(2026, 2, 2))] == ["2026-02-01", "2026-02-02"]
    (tmp_path / "2026-02-30").mkdir()
    with pytest.raises(BadPartition, match="2026-02-30"):
        list_partitions(tmp_path)


def _ring(rid: str, size: int, score: float, arts: list[str], status: str = "active") -> Ring:
    return Ring(ring_id=rid, score=score, components={"synchrony": score}, size=size, status=status,
                created_run="r0", updated_run="r1",
                members=[f"{rid}-{i}" for i in range(size)] if status == "active" else [],
                artifacts=[RingArtifact(kind=a.split(":")[0], artifact=a.split(":")[1], specificity=0.9,
                                        members=2) for a in arts])


def test_the_report_records_merged_and_dissolved_rings_and_new_evidence(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.duckdb"))
    previous = [_ring("ring_a", 10, 0.7, ["payment:h1"]), _ring("ring_b", 4, 0.65, ["payment:h2"]),
                _ring("ring_c", 5, 0.62, ["prompt:f1"])]
    after = [_ring("ring_a", 14, 0.8, ["payment:h1", "payment:h2", "user_agent:u9"]),
             _ring("ring_b", 0, 0.65, [], "dissolved"), _ring("ring_c", 0, 0.62, [], "dissolved")]
    changes = [RingChange(run_id="r1", ring_id="ring_a", change="grown", detail={"before": 10, "after": 14,
                                                                                 "absorbed": ["ring_b"]}),
               RingChange(run_id="r1", ring_id="ring_b", change="merged", detail={"into": "ring_a"}),
               RingChange(run_id="r1", ring_id="ring_c", change="dissolved", detail={"before": 5})]
    run = DetectionRun(run_id="r1", started_at=T0, finished_at=T0 + timedelta(seconds=3), duration_s=3.0,
                       params={"seed": 42}, counts={"rings": 1, "ms_load": 12})
    members = [RingMember(account_id=m, ring_id="ring_a", score=0.8, since=T0) for m in after[0].members]
    store.save_detection(DetectionResult(run=run, rings=after, members=members, changes=changes))
    night = NightlyRun(run_id="night_1", started_at=T0, status="ingested", detection_run_id="r1",
                       previous=ring_snapshot(previous))
    part = PartitionRecord(partition="2026-02-01", run_id="night_1", path="/x", taken_at=T0, files=2,
                           rows_loaded=100, rows_quarantined=3, quarantined_by_table={"requests": 3}, seconds=1.5)
    report = build_report(store, night, [part])
    store.close()
    assert report["changes"]["merged"] == [{"ring_id": "ring_b", "into": "ring_a"}]
    assert report["changes"]["dissolved"] == [{"ring_id": "ring_c", "before": 5}]
    grown = report["changes"]["grown"][0]
    assert (grown["before"], grown["after"], grown["score_before"], grown["score"]) == (10, 14, 0.7, 0.8)
    assert grown["components_moved"] == {"synchrony": [0.7, 0.8]} and grown["new_artifacts"] == 2
    assert [(e["kind"], e["artifact"]) for e in report["top_new_evidence"]] == [("payment", "h2"), ("user_agent", "u9")]
    assert report["exit_code"] == 3 and report["quarantine"] == {"rows": 3, "by_table": {"requests": 3}}
    assert report["detection"] == {"rings": 1} and report["timings"]["detect_steps_ms"] == {"load": 12}
    md = to_markdown(report)
    assert "## Merged\n- `ring_b` merged into `ring_a`" in md and "## Dissolved\n- `ring_c` 5 accounts" in md
