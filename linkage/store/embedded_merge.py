"""Merging a batch into one stored table by its column rules, touching only the keys it carries.

The rule (`linkage.store.tables.Merge`) is the same as a full rebuild of the table as
`old ∪ incoming GROUP BY key`: counters summed, first/last seen widened, the newest
non-null descriptive value kept. A rebuild rewrites every row every night, though: on a
month-old store that is ~90 M rows rewritten to add 2 M, and the 2 GB file grew to 3.5 GB
in that one night (the old copy's blocks are only freed at checkpoint; bench_nightly_merge.py).

Here, inside the caller's transaction:

1. the batch is read once into a temp table;
2. the stored rows whose key the batch carries are copied out (`_old`; a hash join
   built on the small batch, probing only the key columns of the big table) and deleted;
3. `_old ∪ batch` is grouped by key with the column rules and inserted.

A key absent from the batch keeps its one stored row, which is what the rebuild gives
it too (each rule applied to a single row returns that row), so the table ends with the
same rows as after a rebuild, for as long as it holds one row per key — which every
`merge_batch` leaves it holding (batches are aggregated per key; the first batch into an
empty table is inserted as is, see `insert_sql`). Keys compare with IS NOT DISTINCT FROM,
as GROUP BY does, so a NULL key part matches itself.
"""

from __future__ import annotations

import logging
import time

import duckdb

from linkage.store.tables import Merge, TableSpec

BATCH, OLD = "_merge_batch", "_merge_old"
log = logging.getLogger("linkage.store")


def grouped_select(spec: TableSpec, source: str) -> str:
    """`source` (columns of `spec` plus `_seq`: 0 stored, 1 incoming) grouped by key with each column's rule."""
    select = []
    for c in spec.columns:
        if c.merge is Merge.KEY:
            select.append(c.name)
        elif c.merge is Merge.LATEST:
            select.append(f"arg_max({c.name}, _seq) FILTER (WHERE {c.name} IS NOT NULL) AS {c.name}")
        else:
            select.append(f"CAST({c.merge.value}({c.name}) AS {c.sql_type}) AS {c.name}")
    return f"SELECT {', '.join(select)} FROM ({source}) GROUP BY {', '.join(spec.keys)}"


def insert_sql(spec: TableSpec, incoming: str) -> str:
    """Append `incoming` to an empty `spec` table as is.

    The pipeline hands over batches already aggregated to one row per key, so
    on an empty table grouping would only cost time and memory.
    """
    cols = ", ".join(f"CAST({c.name} AS {c.sql_type})" for c in spec.columns)
    return f"INSERT INTO {spec.name} ({', '.join(spec.names)}) SELECT {cols} FROM {incoming}"


def _key_match(spec: TableSpec, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in spec.keys)


STEPS = ("read batch", "find stored", "delete stored", "insert merged", "drop")


def upsert_statements(spec: TableSpec, incoming: str) -> list[str]:
    """The statements that merge `incoming` into the non-empty table `spec` (steps 1-3 above; one per `STEPS`).

    The stored rows are deleted by rowid (stable inside the transaction): a join on the
    key columns would hash every stored key a second time."""
    names = ", ".join(spec.names)
    cast = ", ".join(f"CAST({c.name} AS {c.sql_type}) AS {c.name}" for c in spec.columns)
    t = spec.name
    return [
        f"CREATE OR REPLACE TEMP TABLE {BATCH} AS SELECT {cast} FROM {incoming}",
        f"CREATE OR REPLACE TEMP TABLE {OLD} AS SELECT rowid AS _rid, {names} FROM {t}"
        f" WHERE EXISTS (SELECT 1 FROM {BATCH} b WHERE {_key_match(spec, 'b', t)})",
        f"DELETE FROM {t} WHERE rowid IN (SELECT _rid FROM {OLD})",
        f"INSERT INTO {t} ({names}) " + grouped_select(
            spec, f"SELECT {names}, 0 AS _seq FROM {OLD} UNION ALL SELECT {names}, 1 AS _seq FROM {BATCH}"),
        f"DROP TABLE {BATCH}; DROP TABLE {OLD}",
    ]


def merge_into(con: duckdb.DuckDBPyConnection, spec: TableSpec, incoming: str) -> None:
    """Merge `incoming` (a relation with `spec`'s columns) into `spec`; the caller holds the transaction."""
    if con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {spec.name})").fetchone()[0]:
        con.execute(insert_sql(spec, incoming))
        return
    spent, stored = [], 0
    for sql in upsert_statements(spec, incoming):
        t = time.perf_counter()
        con.execute(sql)
        spent.append(time.perf_counter() - t)
        if sql.startswith(f"CREATE OR REPLACE TEMP TABLE {OLD}"):
            stored = con.execute(f"SELECT count(*) FROM {OLD}").fetchone()[0]
    # not "merge ...": that prefix is the ingest crash hook's cue (one per table, see ingest.pipeline)
    log.debug("%s: %d stored rows met the batch; %s", spec.name, stored,
              ", ".join(f"{step} {s:.2f}s" for step, s in zip(STEPS, spent)))
