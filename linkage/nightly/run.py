"""`run_nightly`: lock, take the pending partitions, detect, report — resuming whatever a killed run left.

Every write is one store transaction, and each leaves the store in a state the next
start can read its way out of (see `linkage.nightly.state` for the phases):

1. each pending partition is ingested with its record (and the run's row) in the same
   transaction: killed half-way, the partition is simply pending again;
2. the run turns `ingested`, with a snapshot of the rings as they were before detection;
3. detection saves its run in one transaction; a resumed run adopts a detection run that
   started after step 2 committed instead of detecting twice;
4. the report is built from the store alone, its files written, then the run turns `complete`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from pathlib import Path

import xxhash

from linkage.ingest.pipeline import ingest_directory
from linkage.ingest.report import IngestReport
from linkage.nightly import crash, state
from linkage.nightly.lock import NightlyLock, pid_alive
from linkage.nightly.store_open import open_store_waiting
from linkage.nightly.logs import event
from linkage.nightly.partitions import Partition, list_partitions, pending_partitions
from linkage.nightly.report import build_report, ring_snapshot
from linkage.nightly.report_files import write_report_files
from linkage.nightly.state import COMPLETE, INGESTED, INGESTING, NightlyRun, PartitionRecord
from linkage.settings import Settings
from linkage.store import GraphStore
from linkage.store.base import Table


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    QUARANTINED = 3
    NOTHING_NEW = 4
    LOCK_HELD = 5


@dataclass
class NightlyOutcome:
    exit_code: ExitCode
    run_id: str | None = None
    report: dict | None = None
    report_files: tuple[Path, Path] | None = None


def lock_path(settings: Settings, input_dir: Path) -> Path:
    """The lock beside a DuckDB store file (one writer per store), else in the input directory."""
    if settings.nightly_lock:
        return Path(settings.nightly_lock)
    if "://" not in settings.store and settings.store != ":memory:":
        return Path(settings.store + ".nightly.lock")
    return input_dir / ".linkage-nightly.lock"


def new_run_id() -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"night_{stamp}_{xxhash.xxh3_64_hexdigest(f'{time.time_ns()}{os.getpid()}'.encode())[:6]}"


def run_nightly(settings: Settings, input_dir: Path, until: date | None = None,
                store: GraphStore | None = None) -> NightlyOutcome:
    """One nightly run under the lock. Raises LockHeld, BadPartition, UnreadableInput, StoreError."""
    input_dir = Path(input_dir)
    partitions = list_partitions(input_dir, until)  # bad usage shows before anything is locked
    with NightlyLock(lock_path(settings, input_dir)) as lock:
        if lock.previous is not None:
            event("lock.taken_over", logging.WARNING, path=str(lock.path), previous_pid=lock.previous.pid,
                  previous_host=lock.previous.host, previous_started_at=lock.previous.started_at,
                  previous_alive=(lock.previous.host == socket.gethostname() and lock.previous.pid is not None
                                  and pid_alive(lock.previous.pid)))
        owned = store is None
        graph = store or open_store_waiting(settings)  # readers (the API loading its model) may hold it a while
        try:
            return _run(graph, settings, input_dir, until, partitions, lock)
        finally:
            if owned:
                graph.close()


def _run(store: GraphStore, settings: Settings, input_dir: Path, until: date | None,
         partitions: list[Partition], lock: NightlyLock) -> NightlyOutcome:
    started = time.perf_counter()
    phases: dict[str, float] = {}  # wall seconds of what this process did (a resumed run skips some)
    unfinished = [r for r in state.runs(store) if r.status != COMPLETE]
    run = unfinished[-1] if unfinished else None
    if run is not None:
        event("run.resume", run_id=run.run_id, phase=run.status)
    if run is None or run.status == INGESTING:
        taken = {p.partition for p in state.partitions(store)}
        applied = store.read_table("ingested_file", ["path", "content_hash"])
        pending = pending_partitions(partitions, taken, set(applied["path"].to_pylist()),
                                     set(applied["content_hash"].to_pylist()))
        if run is None and not pending:
            event("run.nothing_new", input_dir=str(input_dir), partitions=len(partitions),
                  until=until.isoformat() if until else None)
            return NightlyOutcome(ExitCode.NOTHING_NEW)
        if run is None:
            run = NightlyRun(run_id=new_run_id(), started_at=state.now(), status=INGESTING,
                             date_limit=until.isoformat() if until else None, input_dir=str(input_dir))
            event("run.start", run_id=run.run_id, pending=[p.name for p in pending])
        lock.set_run(run.run_id)
        phase = time.perf_counter()
        for i, part in enumerate(pending):
            _take(store, settings, run, part)
            if i + 1 < len(pending):
                crash.crash_if("after-partition")
        run.status, run.ingested_at = INGESTED, state.now()
        run.previous = ring_snapshot(store.rings(with_members=False))
        state.save(store, state.run_rows(run))
        phases["ingest"] = round(time.perf_counter() - phase, 3)  # staging, merges, bookkeeping commits
        crash.crash_if("after-ingest")
    lock.set_run(run.run_id)
    if run.detection_run_id is None:
        phase = time.perf_counter()
        run.detection_run_id = _detect(store, settings, run)
        phases["detect"] = round(time.perf_counter() - phase, 3)  # with its imports and write-back
        crash.crash_if("after-detect")
    phase = time.perf_counter()
    parts = state.partitions(store, run.run_id)
    report = build_report(store, run, parts)
    phases["report"] = round(time.perf_counter() - phase, 3)  # built from the store
    report["timings"]["phases_s"] = phases
    report["timings"]["total_s"] = round(time.perf_counter() - started, 3)
    files = write_report_files(report, settings.report_dir or input_dir / "_reports")
    run.status, run.report, run.exit_code, run.finished_at = COMPLETE, report, report["exit_code"], state.now()
    state.save(store, state.run_rows(run))
    event("run.complete", run_id=run.run_id, exit_code=run.exit_code, report=str(files[0]),
          rings=report["rings"]["counts"], quarantined=report["quarantine"]["rows"])
    return NightlyOutcome(ExitCode(run.exit_code), run.run_id, report, files)


def _take(store: GraphStore, settings: Settings, run: NightlyRun, part: Partition) -> None:
    """Ingest one partition; its record and the run's row commit in the ingest's own transaction."""
    called: list[PartitionRecord] = []

    def bookkeeping(report: IngestReport) -> dict[str, Table]:
        record = _record(run, part, report)
        called.append(record)
        return {**state.partition_rows(record), **state.run_rows(run)}

    report = ingest_directory(store, part.path, settings, bookkeeping=bookkeeping)
    if not called:  # nothing new to merge (files already applied, or none): record the partition alone
        record = _record(run, part, report)
        state.save(store, state.partition_rows(record), state.run_rows(run))
    else:
        record = called[0]
    event("partition.taken", run_id=run.run_id, partition=part.name, files=record.files,
          rows_loaded=record.rows_loaded, rows_quarantined=record.rows_quarantined,
          seconds=round(report.seconds, 3))


def _record(run: NightlyRun, part: Partition, report: IngestReport) -> PartitionRecord:
    by_table = {t: c.quarantined for t, c in report.tables.items() if c.quarantined}
    unknown = sum(1 for f in report.files if f.status == "unknown_table")
    if unknown:
        by_table["unknown_table_files"] = unknown
    return PartitionRecord(
        partition=part.name, run_id=run.run_id, path=str(part.path), taken_at=state.now(),
        files=sum(1 for f in report.files if f.status == "loaded"), rows_loaded=report.loaded,
        rows_quarantined=report.quarantined, quarantined_by_table=by_table,
        quarantine_file=str(report.quarantine_file) if report.quarantine_file else None,
        seconds=report.seconds)


def _detect(store: GraphStore, settings: Settings, run: NightlyRun) -> str:
    """Run detection once for `run`: adopt one saved after the run's ingest committed, if any."""
    assert run.ingested_at is not None
    done = [d for d in store.detection_runs() if d.started_at >= run.ingested_at]
    if done:
        event("detect.adopted", run_id=run.run_id, detection_run_id=done[0].run_id)
        _restore_raised_again(store, done[0].run_id)
        return done[0].run_id
    from linkage.detect import detect

    crash.arm_write_back(store)
    crash.arm_raise_again(store)
    result = detect(store, settings)
    event("detect.done", run_id=run.run_id, detection_run_id=result.run.run_id,
          rings=result.run.counts.get("rings"), seconds=result.run.duration_s)
    return result.run.run_id


def _restore_raised_again(store: GraphStore, detection_run_id: str) -> None:
    """Detection saves the decisions that raise dismissed rings again just after its run: if the
    job died in between, the run's changes still say which rings, and why; save what is missing."""
    from linkage.detect.decisions import DETECTOR, artifact_keys
    from linkage.store.models import RingDecision

    wanted = [c for c in store.ring_changes(detection_run_id) if c.detail.get("review") == "NEW"]
    if not wanted:
        return
    latest = {d.ring_id: d for d in store.ring_decisions([c.ring_id for c in wanted])}
    for change in wanted:
        decision = latest.get(change.ring_id)
        ring = store.ring(change.ring_id)
        if ring is None or (decision is not None and decision.status != "DISMISSED"):
            continue
        store.save_ring_decision(RingDecision(
            ring_id=ring.ring_id, status="NEW", note=str(change.detail.get("review_note", "")), author=DETECTOR,
            at=state.now(), size=ring.size, score=ring.score, artifacts=artifact_keys(ring)))
        event("decision.restored", run_id=detection_run_id, ring_id=ring.ring_id)
