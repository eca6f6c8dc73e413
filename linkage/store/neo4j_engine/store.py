"""The Neo4j engine: the GraphStore interface on a Neo4j 5 + Graph Data Science server.

Every statement is a `cypher/*.cypher` file loaded by name, values only as `$parameters`;
reads and writes go through the driver's managed transactions (retried on transient errors).
The graph model: one node per key of each node table, one relationship per row of each edge
table (aggregates, never one per event), and Ring / DetectionRun / RingChange for results.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import neo4j
import numpy as np
import pyarrow as pa

from linkage.settings import Settings, load_settings
from linkage.store.base import GraphStore, StoreError, Table
from linkage.store.cypher_files import load_cypher, split_statements
from linkage.store.models import (
    AllowlistEntry, DetectionResult, DetectionRun, GraphStats, IngestedFile, Ring, RingChange, RingDecision,
    RingMember)
from linkage.store.neo4j_engine import results
from linkage.store.neo4j_engine.ingest import check_pending, merge_load
from linkage.store.neo4j_engine.rows import column, native, table_from_rows, tick_table
from linkage.store.tables import ARRAY_TABLES, GRAPH_TABLES, TABLES

_ARTIFACTS_SCHEMA = pa.schema([
    ("account_id", pa.string()), ("kind", pa.string()), ("artifact", pa.string()), ("count", pa.int64()),
    ("first_seen", pa.timestamp("us", tz="UTC")), ("last_seen", pa.timestamp("us", tz="UTC"))])


class Neo4jStore(GraphStore):
    """Neo4j behind the GraphStore interface (`neo4j://` or `bolt://` URLs)."""

    def __init__(self, url: str, user: str = "neo4j", password: str | None = None,
                 database: str = "neo4j", batch_size: int = 5000):
        if password is None:
            raise StoreError("connect", "", ValueError(
                f"no password for {url}: set LINKAGE_NEO4J_PASSWORD (and LINKAGE_NEO4J_USER)"))
        self.url, self.database, self.batch_size = url, database, batch_size
        self._auth = (user, password)
        # notifications off: "property does not exist yet" on an empty graph is expected, not news
        self.driver = neo4j.GraphDatabase.driver(url, auth=self._auth, notifications_min_severity="OFF")
        with self.timed("connect", "RETURN 1"):
            self.driver.verify_connectivity()
        self.create_schema()

    @classmethod
    def from_settings(cls, url: str, settings: Settings | None = None) -> "Neo4jStore":
        s = settings or load_settings()
        return cls(url, s.neo4j_user, s.neo4j_password, s.neo4j_database, s.neo4j_batch_size)

    def close(self) -> None:
        self.driver.close()

    # ---- plumbing --------------------------------------------------------------
    def _write(self, work: Callable[..., Any]) -> Any:
        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def _read(self, name: str, **params: object) -> list[list[object]]:
        statement = load_cypher(name)
        with self.timed(name, statement):
            with self.driver.session(database=self.database) as session:
                return session.execute_read(lambda tx: [r.values() for r in tx.run(statement, **params)])

    def create_schema(self) -> None:
        """Constraints and indexes for every node kind; IF NOT EXISTS makes it idempotent."""
        for statement in split_statements(load_cypher("schema")):
            with self.timed("create schema", statement):
                with self.driver.session(database=self.database) as session:
                    session.run(statement).consume()  # schema statements cannot run in a managed tx

    def clear_graph(self) -> None:
        """Remove every node, relationship and GDS graph (tests; reloading from scratch). Schema stays."""
        with self.driver.session(database=self.database) as session:
            for name in ("clear_gds_graphs", "clear_graph"):
                with self.timed(name, load_cypher(name)):
                    session.run(load_cypher(name)).consume()  # CALL IN TRANSACTIONS needs auto-commit

    # ---- ingest side -------------------------------------------------------------
    def merge_batch(self, tables: dict[str, Table], files: list[IngestedFile]) -> None:
        """See ingest.py: one transaction per batch, resumable; files recorded last."""
        merge_load(self._write, self.timed, tables, files, self.batch_size, self.pending_loads)

    def pending_loads(self) -> list[dict[str, object]]:
        return [{"token": t, "files": f, "started_at": native(s)} for t, f, s in self._read("load_pending")]

    def ingested_hashes(self) -> set[str]:
        return {r[0] for r in self._read("ingested_hashes")}

    def read_table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        spec = TABLES[name]
        if name in ARRAY_TABLES:
            table = tick_table(spec, self._read(f"read_{name}"))
        else:
            table = table_from_rows(spec, spec.names, self._read(f"read_{name}"))
        return table.select(columns) if columns else table

    def stats(self) -> GraphStats:
        labels = dict(self._read("stats_nodes"))
        types = dict(self._read("stats_edges"))
        nodes = {t.label: int(labels.get(t.label, 0)) for t in GRAPH_TABLES
                 if not t.is_edge and t.name != "ingested_file"}
        edges = {t.label: int(types.get(t.label, 0)) for t in GRAPH_TABLES if t.is_edge and t.name not in ARRAY_TABLES}
        nodes["EmailDomain"] = int(labels.get("EmailDomain", 0))
        nodes["Ring"] = int(self._read("stats_active_rings")[0][0])
        nodes["DetectionRun"] = int(labels.get("DetectionRun", 0))
        edges["MEMBER_OF"] = int(types.get("MEMBER_OF", 0))
        return GraphStats(nodes=nodes, edges=edges)

    # ---- detection side ----------------------------------------------------------
    def _complete_graph(self) -> None:
        check_pending(self.pending_loads)  # never detect on half a load

    def account_artifacts(self) -> pa.Table:
        self._complete_graph()
        rows = self._read("account_artifacts")
        cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in _ARTIFACTS_SCHEMA]
        return pa.table([column(c, f.type) for c, f in zip(cols, _ARTIFACTS_SCHEMA)], schema=_ARTIFACTS_SCHEMA)

    def co_window_groups(self, max_group: int, kinds: tuple[str, ...] = ("prompt",)) -> pa.Table:
        rows = self._read("co_window_groups", max_group=int(max_group), kinds=list(kinds))
        sizes = np.array([len(accounts) for _, accounts in rows], np.int64)
        return pa.table({
            "group": pa.array(np.repeat(np.arange(len(rows), dtype=np.uint64), sizes), pa.uint64()),
            "is_ip": pa.array(np.repeat(np.array([bool(ip) for ip, _ in rows], bool), sizes), pa.bool_()),
            "account_id": pa.array([a for _, accounts in rows for a in accounts], pa.string()),
        })

    def save_detection(self, result: DetectionResult) -> None:
        statements = results.save_statements(result)
        with self.timed("save_detection", load_cypher("save_rings")):
            self._write(lambda tx: results.run_save(tx, statements, len(result.members)))

    def rings(self, include_dissolved: bool = False, with_members: bool = True) -> list[Ring]:
        return self._rings(include_dissolved=include_dissolved, with_members=with_members)

    def ring(self, ring_id: str) -> Ring | None:
        found = self._rings(include_dissolved=True, ring_id=ring_id)
        return found[0] if found else None

    def rings_of_account(self, account_id: str) -> list[Ring]:
        return self._rings(include_dissolved=True, account_id=account_id)

    def _rings(self, include_dissolved: bool, with_members: bool = True, ring_id: str | None = None,
               account_id: str | None = None) -> list[Ring]:
        rows = self._read("rings", include_dissolved=include_dissolved, with_members=with_members,
                          ring_id=ring_id, account_id=account_id)
        return [results.ring_from_row(r) for r in rows]

    def detection_runs(self) -> list[DetectionRun]:
        return [DetectionRun(run_id=r[0], started_at=native(r[1]), finished_at=native(r[2]), duration_s=r[3],
                             params=json.loads(r[4]), counts=json.loads(r[5]))
                for r in self._read("detection_runs")]

    def ring_changes(self, run_id: str | None = None) -> list[RingChange]:
        return [RingChange(run_id=r[0], ring_id=r[1], change=r[2], detail=json.loads(r[3]))
                for r in self._read("ring_changes", run_id=run_id)]

    def memberships(self) -> list[RingMember]:
        return [RingMember(account_id=a, ring_id=r, score=sc, since=native(t))
                for a, r, sc, t in self._read("memberships")]

    def ring_members(self) -> list[RingMember]:
        return self.memberships()

    # ---- analyst decisions (issue #12): append-only nodes in the graph ---------------------
    def _append(self, name: str, **params: object) -> None:
        statement = load_cypher(name)
        with self.timed(name, statement):  # seq orders decisions made within one clock tick
            self._write(lambda tx: tx.run(statement, seq=time.time_ns(), **params).consume())

    def save_ring_decision(self, decision: RingDecision) -> None:
        self._append("save_ring_decision", ring_id=decision.ring_id, status=decision.status,
                     note=decision.note, author=decision.author, at=decision.at, size=decision.size,
                     score=decision.score, artifacts=list(decision.artifacts))

    def ring_decisions(self, ring_ids: list[str] | None = None) -> list[RingDecision]:
        rows = self._read("ring_decisions", ring_ids=None if ring_ids is None else list(ring_ids))
        return [RingDecision(ring_id=r[0], status=r[1], note=r[2], author=r[3], at=native(r[4]), size=r[5],
                             score=r[6], artifacts=list(r[7] or [])) for r in rows]

    def allowlist_artifact(self, entry: AllowlistEntry) -> None:
        self._append("save_artifact_decision", kind=entry.kind, key=entry.key, action="allow",
                     reason=entry.reason, author=entry.author, at=entry.at)

    def remove_allowlisted_artifact(self, kind: str, key: str, author: str, at: datetime) -> bool:
        latest = self._read("artifact_decision_latest", kind=kind, key=key)
        if not latest or latest[0][0] != "allow":
            return False
        self._append("save_artifact_decision", kind=kind, key=key, action="remove", reason="",
                     author=author, at=at)
        return True

    def allowlisted_artifacts(self) -> list[AllowlistEntry]:
        return [AllowlistEntry(kind=r[0], key=r[1], reason=r[2], author=r[3], at=native(r[4]))
                for r in self._read("allowlisted_artifacts")]

    # ---- hooks the detector uses when present (GraphStore defaults: in-process) -----------
    def community_finder(self, account_ids: np.ndarray):
        """Communities in GDS (components + Leiden seeded from the previous run's rings)."""
        from linkage.store.neo4j_engine.gds_communities import GdsCommunities

        previous = {r.ring_id: r.members for r in self.rings()}
        return GdsCommunities(self, account_ids, previous)

    def native_evidence_paths(self, a: str, b: str, max_hops: int, settings: Settings, limit: int):
        from linkage.store.neo4j_engine.evidence import evidence_paths

        return evidence_paths(self, a, b, max_hops, settings, limit)

    def gds(self):
        """A graphdatascience 2.x client on this store's server (Bolt only: no Arrow server here)."""
        from graphdatascience import GraphDataScience

        return GraphDataScience(self.url, auth=self._auth, database=self.database, arrow=False,
                                show_progress=False)


__all__ = ["Neo4jStore"]
