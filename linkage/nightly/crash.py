"""Test-only crash points: `LINKAGE_TEST_CRASH_AT=<stage>` makes the process die there, for real.

The tests kill a real `linkage nightly` process at a chosen point and start it again,
to prove that nothing is lost or counted twice. `os._exit` skips every cleanup (no
rollback, no lock release, no flush): the same as SIGKILL from the job's point of view.

Stages: `before-merge` and `merge` (inside ingest, see `linkage.ingest.pipeline`),
`after-partition` (one partition committed, more pending), `after-ingest` (every
partition committed, before detection), `write-back` (inside detection's save
transaction, after the rings are written, before COMMIT), `after-detect` (detection
committed, report not yet written), `raise-again` (detection saved, the decision that raises a
dismissed ring again not yet).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from linkage.ingest.pipeline import CRASH_ENV
from linkage.store.base import GraphStore

CRASH_EXIT = 17
PAUSE_ENV = "LINKAGE_TEST_PAUSE_AT"  # with LINKAGE_TEST_PAUSE_FILE: hold at a stage while that file exists
PAUSE_FILE_ENV = "LINKAGE_TEST_PAUSE_FILE"
PAUSE_LIMIT_S = 120.0


def crash_if(stage: str) -> None:
    if os.environ.get(CRASH_ENV) == stage:
        os._exit(CRASH_EXIT)
    pause_if(stage)


def pause_if(stage: str) -> None:
    """Hold the run (lock and store held) at `stage` until the pause file is removed: lets a test
    start a second run against a live one, or SIGKILL it at a known point."""
    marker = os.environ.get(PAUSE_FILE_ENV)
    if os.environ.get(PAUSE_ENV) != stage or not marker:
        return
    path = Path(marker)
    path.write_text(str(os.getpid()))
    deadline = time.monotonic() + PAUSE_LIMIT_S
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


class _CrashAfterStatement:
    """Wraps a DuckDB connection; dies right after a statement starting with `prefix` ran."""

    def __init__(self, con: object, prefix: str):
        self._con, self._prefix = con, prefix

    def _check(self, sql: object) -> None:
        if isinstance(sql, str) and sql.lstrip().startswith(self._prefix):
            os._exit(CRASH_EXIT)

    def execute(self, sql: object, *args: object, **kw: object) -> object:
        result = self._con.execute(sql, *args, **kw)
        self._check(sql)
        return result

    def executemany(self, sql: object, *args: object, **kw: object) -> object:
        result = self._con.executemany(sql, *args, **kw)
        self._check(sql)
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)


def arm_write_back(store: GraphStore) -> None:
    """With stage `write-back`: die inside save_detection's transaction, once the rings are in."""
    if os.environ.get(CRASH_ENV) != "write-back":
        return
    if not hasattr(store, "_con"):
        raise RuntimeError("the write-back crash point exists for the embedded engine only")
    store._con = _CrashAfterStatement(store.con, "INSERT INTO ring ")  # type: ignore[attr-defined]


def arm_raise_again(store: GraphStore) -> None:
    """With stage `raise-again`: die when detection saves its first decision (after its run)."""
    if os.environ.get(CRASH_ENV) != "raise-again":
        return

    def die(*_: object) -> None:
        os._exit(CRASH_EXIT)
    store.save_ring_decision = die  # type: ignore[method-assign]
