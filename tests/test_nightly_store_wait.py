"""The nightly job waits, a bounded time, for readers holding the store (the API loading its
model holds it read-only for minutes), logging each wait; past the bound it fails with exit
code 1 and names the holder. The reader is a real process holding a real read-only open."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest_sample import ROOT
from nightly_scenario import write_day
from nightly_support import copy_store, json_logs, nightly_cli

# Holds the store for argv[2] seconds, or until the file argv[3] (if given) appears.
HOLD = """import sys, time
from pathlib import Path
from linkage.store import open_store
with open_store(sys.argv[1], read_only=True) as store:
    store.detection_runs()
    print("holding", flush=True)
    deadline = time.monotonic() + float(sys.argv[2])
    release = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    while time.monotonic() < deadline and not (release and release.exists()):
        time.sleep(0.05)
"""


@pytest.fixture(scope="module")
def after_first_night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("wait")
    inputs, db = root / "input", root / "night0.duckdb"
    write_day(inputs, 0)
    done = nightly_cli("--input", str(inputs), env={"LINKAGE_STORE": str(db)})
    assert done.returncode == 0, done.stderr[-2000:]
    write_day(inputs, 1)  # the next night's partition, pending
    return inputs, db


def hold_store(db: Path, seconds: float, release: Path | None = None) -> subprocess.Popen:
    """A reader process with the store open read-only for `seconds`, or until `release` exists
    (returns once it holds it)."""
    args = [str(db), str(seconds)] + ([str(release)] if release else [])
    reader = subprocess.Popen([sys.executable, "-c", HOLD, *args], stdout=subprocess.PIPE,
                              text=True, cwd=str(ROOT), env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert reader.stdout.readline().strip() == "holding"
    return reader


def test_a_run_started_while_a_reader_holds_the_store_waits_for_it_and_completes(
        after_first_night: tuple[Path, Path], tmp_path: Path) -> None:
    inputs, night0 = after_first_night
    db = copy_store(night0, tmp_path / "graph.duckdb")
    # the reader lets go once the run has waited twice, however long the run took to start
    release = tmp_path / "release"
    reader = hold_store(db, 90.0, release)
    started = time.monotonic()
    try:
        run = nightly_cli("--input", str(inputs), env={
            "LINKAGE_STORE": str(db), "LINKAGE_REPORT_DIR": str(tmp_path / "reports"),
            "LINKAGE_NIGHTLY_STORE_WAIT_SECONDS": "120", "LINKAGE_NIGHTLY_STORE_RETRY_SECONDS": "0.25"},
            wait=False)
        seen, busy = [], 0
        for line in run.stderr:
            seen.append(line)
            busy += '"store.busy"' in line
            if busy == 2:
                release.touch()
                break
        _, rest = run.communicate(timeout=300)
        stderr = "".join(seen) + rest
    finally:
        release.touch()
        reader.wait(timeout=60)
    assert run.returncode in (0, 3), stderr[-3000:]
    logs = json_logs(stderr)
    waits = [e for e in logs if e["event"] == "store.busy"]
    assert len(waits) >= 2, "the run never found the store held"
    assert f"PID {reader.pid}" in waits[0]["holder"]
    delays = [w["retry_in_s"] for w in waits]
    assert delays[:3] == sorted(delays[:3]) and delays[1] > delays[0], f"no backoff: {delays}"
    opened = next(e for e in logs if e["event"] == "store.opened")
    assert opened["attempts"] == len(waits) + 1 and opened["waited_s"] >= sum(delays) - 0.05
    assert reader.returncode == 0 and time.monotonic() - started >= opened["waited_s"]
    assert [e["partition"] for e in logs if e["event"] == "partition.taken"] == ["2026-02-11"]
    assert any(e["event"] == "run.complete" for e in logs)


def test_past_the_bound_the_run_fails_with_exit_code_1_naming_the_holder_and_takes_nothing(
        after_first_night: tuple[Path, Path], tmp_path: Path) -> None:
    inputs, night0 = after_first_night
    db = copy_store(night0, tmp_path / "graph.duckdb")
    reader = hold_store(db, 60.0)
    try:
        done = nightly_cli("--input", str(inputs), env={
            "LINKAGE_STORE": str(db), "LINKAGE_REPORT_DIR": str(tmp_path / "reports"),
            "LINKAGE_NIGHTLY_STORE_WAIT_SECONDS": "1.5", "LINKAGE_NIGHTLY_STORE_RETRY_SECONDS": "0.25"})
    finally:
        reader.kill()
        reader.wait()
    assert done.returncode == 1, done.stderr[-3000:]
    logs = json_logs(done.stderr)
    gave_up = next(e for e in logs if e["event"] == "store.busy_gave_up")
    assert gave_up["waited_s"] >= 1.5 and gave_up["attempts"] >= 3 and f"PID {reader.pid}" in gave_up["holder"]
    assert not any(e["event"] in ("run.start", "run.complete") for e in logs)
    # nothing was taken: the next run (no reader now) takes the pending night
    again = nightly_cli("--input", str(inputs), env={"LINKAGE_STORE": str(db),
                                                     "LINKAGE_REPORT_DIR": str(tmp_path / "reports")})
    assert again.returncode in (0, 3), again.stderr[-3000:]
