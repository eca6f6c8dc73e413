"""What "the same store and the same report" means for the nightly tests, and how to run the real job.

Two runs of the same nights differ only in ids and clock times, so the comparison keeps
everything else: every graph table (`ingest_sample.snapshot`), the rings with their
members and scores, each detection run's changes in order, how many detection and
nightly runs there are (nothing counted twice), the partition records, and each
report without its `run` and `timings` sections.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest_sample import ROOT, snapshot


def report_content(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("run", "timings")}


def nightly_state(db: Path) -> dict:
    """The store's content with run ids and clock times taken out."""
    out: dict = {"graph": snapshot(db)}
    con = duckdb.connect(str(db), read_only=True)
    try:
        runs = [r[0] for r in con.execute("SELECT run_id FROM detection_run ORDER BY started_at").fetchall()]
        out["detection_runs"] = len(runs)
        out["changes"] = [sorted(con.execute(
            "SELECT ring_id, change, detail FROM ring_change WHERE run_id = ?", [r]).fetchall()) for r in runs]
        out["rings"] = sorted(con.execute(
            "SELECT ring_id, round(score, 6), size, status FROM ring").fetchall())
        out["members"] = sorted(con.execute("SELECT ring_id, account_id FROM member_of").fetchall())
        out["partitions"] = sorted(con.execute(
            "SELECT partition, files, rows_loaded, rows_quarantined, quarantined_by_table"
            " FROM nightly_partition").fetchall())
        reports = con.execute("SELECT status, report FROM nightly_run ORDER BY started_at").fetchall()
        out["nightly_runs"] = [(s, report_content(json.loads(r)) if r else None) for s, r in reports]
    finally:
        con.close()
    return out


def nightly_cli(*args: str, env: dict[str, str] | None = None, wait: bool = True):
    """`linkage nightly ...` in a real child process (Popen when wait=False)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    full_env.update({"PYTHONPATH": str(ROOT), "COLUMNS": "200", "LINKAGE_THREADS": "1", **(env or {})})
    cmd = [sys.executable, "-m", "linkage", "nightly", *args]
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=full_env, cwd=str(ROOT))
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=str(ROOT), timeout=300)


def json_logs(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


class CleanNights:
    """The scenario's nights run once, in order, by one uninterrupted job: the reference."""

    def __init__(self, root: Path):
        from linkage.nightly import run_nightly
        from linkage.settings import load_settings
        from nightly_scenario import DAYS, write_day

        self.root, self.input, self.db = root, root / "input", root / "clean.duckdb"
        self.exit_codes: list[int] = []
        self.reports: list[dict] = []
        self.states: list[dict] = []
        settings = load_settings(store=str(self.db), threads=1)
        for d in range(len(DAYS)):
            write_day(self.input, d)
            outcome = run_nightly(settings, self.input)
            self.exit_codes.append(int(outcome.exit_code))
            self.reports.append(outcome.report)
            shutil.copyfile(self.db, self.after(d))
            self.states.append(nightly_state(self.db))

    def after(self, d: int) -> Path:
        """A copy of the store as it was after night `d`."""
        return self.root / f"after-{d}.duckdb"


@pytest.fixture(scope="session")
def clean_nights(tmp_path_factory: pytest.TempPathFactory) -> CleanNights:
    return CleanNights(tmp_path_factory.mktemp("nights"))


def decide(db: Path, ring_id: str, status: str, note: str) -> None:
    """An analyst's verdict on a ring, with the ring's evidence as the analyst saw it."""
    from datetime import datetime, timezone

    from linkage.detect.decisions import artifact_keys
    from linkage.store import open_store
    from linkage.store.models import RingDecision

    with open_store(str(db)) as store:
        ring = store.ring(ring_id)
        store.save_ring_decision(RingDecision(
            ring_id=ring_id, status=status, note=note, author="analyst-1", at=datetime.now(timezone.utc),
            size=ring.size, score=ring.score, artifacts=artifact_keys(ring)))


def copy_store(src: Path, dst: Path) -> Path:
    """A store file with its decisions file beside it."""
    shutil.copyfile(src, dst)
    if Path(f"{src}.decisions.duckdb").exists():
        shutil.copyfile(f"{src}.decisions.duckdb", f"{dst}.decisions.duckdb")
    return dst


class DecidedNights:
    """Nights 1-5 with an analyst at work: the ring is dismissed after night 2 (it grows on night 3
    and is raised again), confirmed after night 3; the head that splits off on night 4 is
    dismissed after night 4 (its score rises with the release shift on night 5: raised again)."""

    def __init__(self, root: Path):
        from datetime import datetime, timezone

        from linkage.nightly import run_nightly
        from linkage.settings import load_settings
        from linkage.store import open_store
        from linkage.store.models import AllowlistEntry
        from nightly_scenario import DAYS, write_day

        self.root, self.input, self.db = root, root / "input", root / "decided.duckdb"
        settings = load_settings(store=str(self.db), threads=1)
        self.reports: list[dict] = []
        self.allowed = AllowlistEntry(kind="ip", key="24.0.5.7", reason="a shared office NAT",
                                      author="analyst-1", at=datetime.now(timezone.utc))
        for d in range(len(DAYS)):
            write_day(self.input, d)
            self.reports.append(run_nightly(settings, self.input).report)
            copy_store(self.db, self.after(d))
            if d == 0:
                with open_store(str(self.db)) as store:
                    store.allowlist_artifact(self.allowed)
            if d == 1:
                self.ring = self.reports[1]["changes"]["new"][0]["ring_id"]
                decide(self.db, self.ring, "DISMISSED", "looks like a reseller's test accounts")
                copy_store(self.db, self.root / "dismissed-after-1.duckdb")
            if d == 2:
                decide(self.db, self.ring, "CONFIRMED", "same operator as case 4711")
                copy_store(self.db, self.root / "confirmed-after-2.duckdb")
            if d == 3:
                self.split = self.reports[3]["changes"]["split"][0]["ring_id"]
                decide(self.db, self.split, "DISMISSED", "the second head is a partner's load test")

    def after(self, d: int) -> Path:
        return self.root / f"decided-after-{d}.duckdb"


@pytest.fixture(scope="session")
def decided_nights(tmp_path_factory: pytest.TempPathFactory) -> DecidedNights:
    return DecidedNights(tmp_path_factory.mktemp("decided"))
