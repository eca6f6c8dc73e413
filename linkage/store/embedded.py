"""The embedded engine: a DuckDB file (or `:memory:`), one writer, no server."""

from __future__ import annotations

import json
import re
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from linkage.store.base import GraphStore, StoreBusy, Table
from linkage.store.embedded_decisions import EmbeddedDecisions
from linkage.store.embedded_merge import merge_into
from linkage.store.models import (
    DetectionResult, DetectionRun, GraphStats, IngestedFile, Ring, RingArtifact, RingChange, RingMember,
)
from linkage.store.models import AllowlistEntry, RingDecision, RingMember
from linkage.store.tables import ARTIFACT_EDGES, ARRAY_TABLES, GRAPH_TABLES, NIGHTLY_TABLES, TABLES, TableSpec

RESULT_DDL = """
CREATE TABLE IF NOT EXISTS detection_run (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    duration_s DOUBLE, params JSON, counts JSON);
CREATE TABLE IF NOT EXISTS ring (
    ring_id VARCHAR PRIMARY KEY, score DOUBLE, components JSON, size INTEGER,
    status VARCHAR, created_run VARCHAR, updated_run VARCHAR);
CREATE TABLE IF NOT EXISTS member_of (
    account_id VARCHAR, ring_id VARCHAR, score DOUBLE, since TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS ring_artifact (
    ring_id VARCHAR, kind VARCHAR, artifact VARCHAR, specificity DOUBLE, members INTEGER);
CREATE TABLE IF NOT EXISTS ring_change (
    run_id VARCHAR, ring_id VARCHAR, change VARCHAR, detail JSON);
"""


def _ddl(spec: TableSpec) -> str:
    cols = ", ".join(f"{c.name} {c.sql_type}" for c in spec.columns)
    return f"CREATE TABLE IF NOT EXISTS {spec.name} ({cols});"


def _parquet_source(table: Table) -> str | None:
    """`read_parquet([...])` for a dataset of parquet files: DuckDB's own parallel reader
    is several times faster than scanning the dataset through Arrow."""
    if (isinstance(table, ds.FileSystemDataset) and isinstance(table.format, ds.ParquetFileFormat)
            and table.files):
        files = ", ".join("'" + f.replace("'", "''") + "'" for f in table.files)
        return f"read_parquet([{files}])"
    return None


def _connect(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file; StoreBusy when another process holds its lock (never wait, never share)."""
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" not in text.lower():
            raise
        pid = re.search(r"\(PID (\d+)\)", text)
        raise StoreBusy(path, f"PID {pid.group(1)}" if pid else "") from exc


class EmbeddedStore(GraphStore):
    """DuckDB behind the GraphStore interface."""

    def __init__(self, path: str = ":memory:", memory_limit: str = "4GB", threads: int = 0,
                 read_only: bool = False, lazy: bool = False):
        """`read_only` opens the file beside other readers (no schema is created);
        `lazy` defers opening the file to the first graph operation, so that a process
        that only records decisions (the API) never locks the graph."""
        self.url = path
        self.read_only = read_only
        self._memory_limit, self._threads = memory_limit, threads
        self._con: duckdb.DuckDBPyConnection | None = None
        self.decisions = EmbeddedDecisions(path)
        if not lazy:
            self._open()

    def _open(self) -> duckdb.DuckDBPyConnection:
        con = _connect(self.url, read_only=self.read_only)
        con.execute(f"SET memory_limit = '{self._memory_limit}'")
        if self._threads:
            con.execute(f"SET threads = {int(self._threads)}")
        con.execute("SET TimeZone = 'UTC'")
        if not self.read_only:
            with self.timed("create schema"):
                for spec in GRAPH_TABLES + NIGHTLY_TABLES:
                    con.execute(_ddl(spec))
                con.execute(RESULT_DDL)
        self._con = con
        return con

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self._con if self._con is not None else self._open()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        self.decisions.close()

    # ---- analyst decisions (issue #12): a small file beside the store -----------
    def save_ring_decision(self, decision: RingDecision) -> None:
        with self.timed("save_ring_decision"):
            self.decisions.save_ring_decision(decision)

    def ring_decisions(self, ring_ids: list[str] | None = None) -> list[RingDecision]:
        with self.timed("ring_decisions"):
            return self.decisions.ring_decisions(ring_ids)

    def allowlist_artifact(self, entry: AllowlistEntry) -> None:
        with self.timed("allowlist_artifact"):
            self.decisions.allowlist_artifact(entry)

    def remove_allowlisted_artifact(self, kind: str, key: str, author: str, at: datetime) -> bool:
        with self.timed("remove_allowlisted_artifact"):
            return self.decisions.remove_allowlisted_artifact(kind, key, author, at)

    def allowlisted_artifacts(self) -> list[AllowlistEntry]:
        with self.timed("allowlisted_artifacts"):
            return self.decisions.allowlisted_artifacts()

    # ---- ingest side -------------------------------------------------------
    def merge_batch(self, tables: dict[str, Table], files: list[IngestedFile]) -> None:
        files_table = pa.Table.from_pylist(
            [f.model_dump() for f in files],
            schema=pa.schema([("content_hash", pa.string()), ("path", pa.string()),
                              ("table_name", pa.string()), ("rows_loaded", pa.int64()),
                              ("rows_quarantined", pa.int64()),
                              ("ingested_at", pa.timestamp("us", tz="UTC"))]),
        )
        work = dict(tables)
        work["ingested_file"] = files_table
        self.con.execute("BEGIN TRANSACTION")
        try:
            for name, table in work.items():
                spec = TABLES[name]
                view = f"_incoming_{name}"
                source = _parquet_source(table)
                if source is None:
                    self.con.register(view, table)
                # only the keys the batch carries are rewritten (embedded_merge: same rows as a rebuild)
                with self.timed(f"merge {name}", f"merge into {spec.name}"):
                    merge_into(self.con, spec, source or view)
                if source is None:
                    self.con.unregister(view)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def ingested_hashes(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT content_hash FROM ingested_file").fetchall()}

    def read_table(self, name: str, columns: list[str] | None = None) -> pa.Table:
        spec = TABLES[name]
        cols = ", ".join(columns or spec.names)
        sql = f"SELECT {cols} FROM {spec.name}"
        with self.timed(f"read {name}", sql):
            return self.con.sql(sql).to_arrow_table()

    def stats(self) -> GraphStats:
        # fetchall, not fetchone: DuckDB 2 refuses a later con.sql() while a result is unfinished.
        nodes: dict[str, int] = {}
        edges: dict[str, int] = {}
        for spec in GRAPH_TABLES:
            if spec.name == "ingested_file" or spec.name in ARRAY_TABLES:  # same figures on both engines
                continue
            n = self.con.execute(f"SELECT count(*) FROM {spec.name}").fetchall()[0][0]
            (edges if spec.is_edge else nodes)[spec.label] = int(n)
        nodes["EmailDomain"] = int(self.con.execute(
            "SELECT count(DISTINCT email_domain) FROM account").fetchall()[0][0])
        nodes["Ring"] = int(self.con.execute("SELECT count(*) FROM ring WHERE status='active'").fetchall()[0][0])
        nodes["DetectionRun"] = int(self.con.execute("SELECT count(*) FROM detection_run").fetchall()[0][0])
        edges["MEMBER_OF"] = int(self.con.execute("SELECT count(*) FROM member_of").fetchall()[0][0])
        return GraphStats(nodes=nodes, edges=edges)

    # ---- detection side ----------------------------------------------------
    def _artifact_links_sql(self) -> str:
        """The account_artifacts() rows as one UNION ALL (also the input of detection_links)."""
        parts = [
            f"SELECT account_id, '{kind}' AS kind, {col} AS artifact, {cnt}::BIGINT AS count,"
            f" first_seen, last_seen FROM {table}"
            for kind, (table, col, cnt) in ARTIFACT_EDGES.items()
        ]
        parts.append(
            "SELECT u.account_id, 'proxy' AS kind, e.proxy_id AS artifact, sum(u.requests)::BIGINT,"
            " min(u.first_seen), max(u.last_seen) FROM used_ip u JOIN exit_of e USING (ip)"
            " GROUP BY u.account_id, e.proxy_id"
        )
        parts.append(
            "SELECT account_id, 'email_domain', email_domain, 1::BIGINT, created_at, created_at"
            " FROM account WHERE email_domain IS NOT NULL"
        )
        return " UNION ALL ".join(parts)

    def account_artifacts(self) -> pa.Table:
        sql = self._artifact_links_sql()
        with self.timed("account_artifacts", sql):
            return self.con.sql(sql).to_arrow_table()

    def detection_links(self, allowlist):
        # coded and collapsed in the engine: singleton rows and strings stay in it (links_sql.py)
        from linkage.detect.links_sql import links_in_sql
        with self.timed("detection links"):
            return links_in_sql(self.con, self._artifact_links_sql(), allowlist)

    def save_detection(self, result: DetectionResult) -> None:
        run = result.run
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                "INSERT INTO detection_run VALUES (?, ?, ?, ?, ?, ?)",
                [run.run_id, run.started_at, run.finished_at, run.duration_s,
                 json.dumps(run.params, default=str), json.dumps(run.counts)],
            )
            ids = [r.ring_id for r in result.rings]
            # Rings not in this result keep their row; the detector marks them dissolved.
            self.con.execute("DELETE FROM ring WHERE list_contains(?, ring_id)", [ids])
            self.con.execute("DELETE FROM ring_artifact WHERE list_contains(?, ring_id)", [ids])
            self.con.execute("DELETE FROM member_of")
            if result.rings:
                self.con.executemany(
                    "INSERT INTO ring VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [[r.ring_id, r.score, json.dumps(r.components), r.size, r.status,
                      r.created_run, r.updated_run] for r in result.rings],
                )
                arts = [[r.ring_id, a.kind, a.artifact, a.specificity, a.members]
                        for r in result.rings for a in r.artifacts]
                if arts:
                    self._insert_rows("ring_artifact", arts,
                                      ["ring_id", "kind", "artifact", "specificity", "members"])
            if result.members:
                self._insert_rows("member_of",
                                  [[m.account_id, m.ring_id, m.score, m.since] for m in result.members],
                                  ["account_id", "ring_id", "score", "since"])
            if result.changes:
                self.con.executemany(
                    "INSERT INTO ring_change VALUES (?, ?, ?, ?)",
                    [[c.run_id, c.ring_id, c.change, json.dumps(c.detail, default=str)]
                     for c in result.changes],
                )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _insert_rows(self, table: str, rows: list[list[object]], names: list[str]) -> None:
        # Column-wise through Arrow: executemany is far too slow for 24,000 members.
        cols = list(zip(*rows))
        arrow = pa.table({n: list(c) for n, c in zip(names, cols)})
        self.con.register("_rows", arrow)
        self.con.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM _rows")
        self.con.unregister("_rows")

    def _ring_rows(self, where: str, params: list[object], with_members: bool) -> list[Ring]:
        rows = self.con.execute(
            "SELECT ring_id, score, components, size, status, created_run, updated_run FROM ring"
            f" WHERE {where} ORDER BY score DESC, size DESC, ring_id", params,
        ).fetchall()
        if not rows:
            return []
        ids = [r[0] for r in rows]
        members: dict[str, list[str]] = {i: [] for i in ids}
        if with_members:
            for rid, acc in self.con.execute(
                "SELECT ring_id, account_id FROM member_of WHERE list_contains(?, ring_id)"
                " ORDER BY ring_id, account_id", [ids]
            ).fetchall():
                members[rid].append(acc)
        artifacts: dict[str, list[RingArtifact]] = {i: [] for i in ids}
        for rid, kind, art, spec, n in self.con.execute(
            "SELECT ring_id, kind, artifact, specificity, members FROM ring_artifact"
            " WHERE list_contains(?, ring_id) ORDER BY ring_id, specificity DESC, members DESC", [ids]
        ).fetchall():
            artifacts[rid].append(RingArtifact(kind=kind, artifact=art, specificity=spec, members=n))
        return [
            Ring(ring_id=r[0], score=r[1], components=json.loads(r[2]), size=r[3], status=r[4],
                 created_run=r[5], updated_run=r[6], members=members[r[0]], artifacts=artifacts[r[0]])
            for r in rows
        ]

    def rings(self, include_dissolved: bool = False, with_members: bool = True) -> list[Ring]:
        where = "TRUE" if include_dissolved else "status = 'active'"
        return self._ring_rows(where, [], with_members)

    def ring(self, ring_id: str) -> Ring | None:
        found = self._ring_rows("ring_id = ?", [ring_id], True)
        return found[0] if found else None

    def rings_of_account(self, account_id: str) -> list[Ring]:
        return self._ring_rows(
            "ring_id IN (SELECT ring_id FROM member_of WHERE account_id = ?)", [account_id], True)

    def memberships(self) -> list[RingMember]:
        rows = self.con.execute(
            "SELECT account_id, ring_id, score, since FROM member_of ORDER BY ring_id, account_id").fetchall()
        return [RingMember(account_id=r[0], ring_id=r[1], score=r[2], since=r[3]) for r in rows]

    def detection_runs(self) -> list[DetectionRun]:
        rows = self.con.execute(
            "SELECT run_id, started_at, finished_at, duration_s, params, counts FROM detection_run"
            " ORDER BY started_at").fetchall()
        return [DetectionRun(run_id=r[0], started_at=r[1], finished_at=r[2], duration_s=r[3],
                             params=json.loads(r[4]), counts=json.loads(r[5])) for r in rows]

    def ring_changes(self, run_id: str | None = None) -> list[RingChange]:
        sql = "SELECT run_id, ring_id, change, detail FROM ring_change"
        params: list[object] = []
        if run_id:
            sql += " WHERE run_id = ?"
            params.append(run_id)
        return [RingChange(run_id=r[0], ring_id=r[1], change=r[2], detail=json.loads(r[3]))
                for r in self.con.execute(sql + " ORDER BY run_id, ring_id", params).fetchall()]

    def ring_members(self) -> list[RingMember]:
        return self.memberships()  # one query serves the API and the export

    def synchrony_candidates(self, account_ids, params):
        # the engine names and buckets ~one row per request; compiled passes count them (synchrony_sql.py)
        from linkage.detect.synchrony_sql import candidates_in_sql
        with self.timed("synchrony candidates"):
            return candidates_in_sql(self.con, account_ids, params)

    # ---- detection side, appended for issue #3 --------------------------------
    def co_window_groups(self, max_group: int, kinds: tuple[str, ...] = ("prompt",)) -> pa.Table:
        # a numeric group key: grouping 50M rows on a hash is far cheaper than on the strings
        sql = f"""
            WITH g AS (SELECT hash(kind, artifact, window_start) AS grp, kind = 'ip' AS is_ip, account_id
                       FROM co_window WHERE list_contains(?, kind)),
                 big AS (SELECT grp FROM g GROUP BY grp HAVING count(*) BETWEEN 2 AND {int(max_group)})
            SELECT grp AS "group", is_ip, account_id FROM g SEMI JOIN big USING (grp)"""
        with self.timed("co_window_groups", sql):
            return self.con.sql(sql, params=[list(kinds)]).to_arrow_table()

