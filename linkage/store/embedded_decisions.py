"""Analyst decisions for the embedded engine, in a small DuckDB file beside the store.

Why a separate file: DuckDB admits one read-write process *or* many read-only ones,
and the nightly job holds the store read-write for minutes. Decisions must still be
writable then (an analyst dismissing a ring while ingest runs), so they live in
`<store>.decisions.duckdb`, opened read-write only for the moment of one read or
write and closed at once; a second process that finds it locked retries briefly.
For a `:memory:` store they live in memory beside it, for the store's lifetime.

Tables are append-only logs (nothing is overwritten): the current status of a ring
is its latest decision, the current allowlist the artifacts whose latest action is
`allow`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from linkage.store.models import AllowlistEntry, RingDecision

DDL = """
CREATE TABLE IF NOT EXISTS ring_decision (
    ring_id VARCHAR, status VARCHAR, note VARCHAR, author VARCHAR, decided_at TIMESTAMPTZ,
    size INTEGER, score DOUBLE, artifacts VARCHAR[]);
CREATE TABLE IF NOT EXISTS artifact_decision (
    kind VARCHAR, artifact_key VARCHAR, action VARCHAR, reason VARCHAR, author VARCHAR,
    decided_at TIMESTAMPTZ);
"""
# How long a process waits for another one's moment on the file before giving up.
LOCK_WAIT_SECONDS = 15.0


def decisions_path(store_path: str) -> str | None:
    """The decisions file of a DuckDB store path; None for an in-memory store."""
    return None if store_path == ":memory:" else f"{store_path}.decisions.duckdb"


class EmbeddedDecisions:
    """Ring decisions and the artifact allowlist of one embedded store."""

    def __init__(self, store_path: str):
        self.path = decisions_path(store_path)
        self._memory: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        if self.path is None:
            self._memory = duckdb.connect(":memory:")
            self._memory.execute("SET TimeZone = 'UTC'")
            self._memory.execute(DDL)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.path is None:
            if self._memory is None:
                raise RuntimeError("the store is closed")
            with self._lock:  # one in-memory connection, used by one thread at a time
                yield self._memory
            return
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        delay = 0.01
        while True:
            try:
                con = duckdb.connect(self.path)
                break
            except duckdb.IOException as exc:  # another process holds the file for its moment
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(DDL)
            yield con
        finally:
            con.close()

    # ---- rings -------------------------------------------------------------------
    def save_ring_decision(self, decision: RingDecision) -> None:
        with self._connection() as con:
            con.execute("INSERT INTO ring_decision VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [decision.ring_id, decision.status, decision.note, decision.author,
                         decision.at, decision.size, decision.score, decision.artifacts])

    def ring_decisions(self, ring_ids: list[str] | None = None) -> list[RingDecision]:
        sql = "SELECT ring_id, status, note, author, decided_at, size, score, artifacts FROM ring_decision"
        params: list[object] = []
        if ring_ids is not None:
            sql += " WHERE list_contains(?, ring_id)"
            params.append(list(ring_ids))
        with self._connection() as con:
            rows = con.execute(sql + " ORDER BY decided_at, rowid", params).fetchall()
        return [RingDecision(ring_id=r[0], status=r[1], note=r[2], author=r[3], at=r[4], size=r[5],
                             score=r[6], artifacts=list(r[7] or [])) for r in rows]

    # ---- allowlist ---------------------------------------------------------------
    def allowlist_artifact(self, entry: AllowlistEntry) -> None:
        with self._connection() as con:
            con.execute("INSERT INTO artifact_decision VALUES (?, ?, 'allow', ?, ?, ?)",
                        [entry.kind, entry.key, entry.reason, entry.author, entry.at])

    def remove_allowlisted_artifact(self, kind: str, key: str, author: str, at: object) -> bool:
        with self._connection() as con:
            if not self._allowed(con, kind, key):
                return False
            con.execute("INSERT INTO artifact_decision VALUES (?, ?, 'remove', '', ?, ?)",
                        [kind, key, author, at])
            return True

    def allowlisted_artifacts(self) -> list[AllowlistEntry]:
        with self._connection() as con:
            rows = con.execute(
                "SELECT kind, artifact_key, reason, author, decided_at FROM ("
                " SELECT *, row_number() OVER (PARTITION BY kind, artifact_key"
                "  ORDER BY decided_at DESC, rowid DESC) AS rn FROM (SELECT *, rowid FROM artifact_decision))"
                " WHERE rn = 1 AND action = 'allow' ORDER BY kind, artifact_key").fetchall()
        return [AllowlistEntry(kind=r[0], key=r[1], reason=r[2], author=r[3], at=r[4]) for r in rows]

    @staticmethod
    def _allowed(con: duckdb.DuckDBPyConnection, kind: str, key: str) -> bool:
        row = con.execute("SELECT action FROM artifact_decision WHERE kind = ? AND artifact_key = ?"
                          " ORDER BY decided_at DESC, rowid DESC LIMIT 1", [kind, key]).fetchone()
        return row is not None and row[0] == "allow"
