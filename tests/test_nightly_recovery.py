"""A nightly run killed at any point and started again ends exactly where one clean run ends.

The real `linkage nightly` process is killed on the night the ring splits (night 4), with the
store as the clean run left it after night 3: inside the ingest transaction, between ingest
and detection, inside detection's write-back, after detection but before the report, and by a
real SIGKILL while it holds the lock. Then it is started again, and the store and the report
must equal the clean run's: nothing lost, nothing counted twice. Two overlapping runs: the
second exits at once with code 5 and names the holder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from nightly_scenario import write_days
from nightly_support import CleanNights, json_logs, nightly_cli, nightly_state, report_content
from linkage.nightly import ExitCode
from linkage.nightly.crash import CRASH_EXIT

pytestmark = pytest.mark.embedded
NIGHT = 3  # the split


def _night_4_setup(clean: CleanNights, tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(clean.after(NIGHT - 1), db)
    return write_days(tmp_path / "input", NIGHT + 1), db


def _wait_for(path: Path, proc, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached its pause point"
        time.sleep(0.05)


def _assert_clean_result(clean: CleanNights, db: Path, input_dir: Path) -> None:
    assert nightly_state(db) == clean.states[NIGHT]
    latest = json.loads((input_dir / "_reports" / "latest.json").read_text())
    assert report_content(latest) == report_content(clean.reports[NIGHT])


def _crash(input_dir: Path, db: Path, stage: str) -> list[str]:
    killed = nightly_cli("--input", str(input_dir), "--store", str(db), env={"LINKAGE_TEST_CRASH_AT": stage})
    assert killed.returncode == CRASH_EXIT, (stage, killed.stderr)
    return [e["event"] for e in json_logs(killed.stderr)]


def test_killed_at_every_point_in_turn_still_ends_at_the_clean_result(clean_nights: CleanNights,
                                                                     tmp_path: Path) -> None:
    """One night, killed four times in a row at four different points, each start resuming the last."""
    input_dir, db = _night_4_setup(clean_nights, tmp_path)
    # 1. inside the ingest transaction: nothing of the night is left, not even the run
    assert "run.start" in _crash(input_dir, db, "merge")
    assert nightly_state(db) == clean_nights.states[NIGHT - 1]
    # 2. after the ingest committed, before detection: a new start (nothing to resume yet)
    assert "run.resume" not in _crash(input_dir, db, "after-ingest")
    assert nightly_state(db)["graph"] == clean_nights.states[NIGHT]["graph"]
    assert nightly_state(db)["detection_runs"] == NIGHT
    # 3. inside detection's write-back transaction: resumed, and rolled back again
    events = _crash(input_dir, db, "write-back")
    assert "run.resume" in events and "partition.taken" not in events
    assert nightly_state(db)["detection_runs"] == NIGHT
    # 4. detection committed, report not written: resumed, detects, dies before the report
    _crash(input_dir, db, "after-detect")
    assert nightly_state(db)["detection_runs"] == NIGHT + 1
    # 5. the last start adopts that detection run instead of detecting twice
    resumed = nightly_cli("--input", str(input_dir), "--store", str(db))
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    events = [e["event"] for e in json_logs(resumed.stderr)]
    assert "detect.adopted" in events and "detect.done" not in events
    _assert_clean_result(clean_nights, db, input_dir)


def test_killed_between_two_partitions_keeps_the_first(clean_nights: CleanNights, tmp_path: Path) -> None:
    """Nights 3 and 4 pending at once: killed after night 3's partition committed, night 3 is kept,
    night 4 is taken on restart, and the one run reports both."""
    db = tmp_path / "store.duckdb"
    shutil.copyfile(clean_nights.after(NIGHT - 2), db)
    input_dir = write_days(tmp_path / "input", NIGHT + 1)
    killed = nightly_cli("--input", str(input_dir), "--store", str(db), env={"LINKAGE_TEST_CRASH_AT": "after-partition"})
    assert killed.returncode == CRASH_EXIT, killed.stderr
    partitions = [p[0] for p in nightly_state(db)["partitions"]]
    assert partitions.count("2026-02-12") == 1 and "2026-02-13" not in partitions
    resumed = nightly_cli("--input", str(input_dir), "--store", str(db))
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    latest = json.loads((input_dir / "_reports" / "latest.json").read_text())
    assert [p["partition"] for p in latest["partitions"]] == ["2026-02-12", "2026-02-13"]
    assert nightly_state(db)["graph"] == clean_nights.states[NIGHT]["graph"]


def test_overlapping_runs_and_a_sigkilled_holder(clean_nights: CleanNights, tmp_path: Path) -> None:
    input_dir, db = _night_4_setup(clean_nights, tmp_path)
    paused = tmp_path / "paused"
    first = nightly_cli("--input", str(input_dir), "--store", str(db), wait=False,
                        env={"LINKAGE_TEST_PAUSE_AT": "after-ingest", "LINKAGE_TEST_PAUSE_FILE": str(paused)})
    try:
        _wait_for(paused, first)
        second = nightly_cli("--input", str(input_dir), "--store", str(db))
        assert second.returncode == ExitCode.LOCK_HELD, second.stderr
        assert f"pid {first.pid} on {socket.gethostname()}, started 20" in second.stderr
        held = next(e for e in json_logs(second.stderr) if e["event"] == "run.lock_held")
        assert held["holder_pid"] == first.pid and held["holder_run_id"].startswith("night_")
        os.kill(first.pid, signal.SIGKILL)  # the holder dies with the lock held and the run half done
        assert first.wait(timeout=60) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.stdout.close()
        first.stderr.close()
    third = nightly_cli("--input", str(input_dir), "--store", str(db))
    assert third.returncode == ExitCode.OK, third.stderr
    assert third.stdout.startswith("# Nightly run night_")  # the Markdown summary on stdout
    taken = next(e for e in json_logs(third.stderr) if e["event"] == "lock.taken_over")
    assert taken["previous_pid"] == first.pid and taken["previous_alive"] is False
    _assert_clean_result(clean_nights, db, input_dir)
