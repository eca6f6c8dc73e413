"""`merge_batch` on Neo4j: batched `UNWIND $rows` + `MERGE`, resumable after a kill.

A load (one `merge_batch` call) cannot be one transaction at scale: tens of millions of
rows do not fit a transaction's memory. So it is one transaction per batch, and this is
how a killed load leaves the graph consistent:

1. the load's token (a hash of its files' content hashes) goes into a `PendingLoad` node;
2. every batch (deterministic: same files, same batches, see `rows.batches`) is applied in
   one managed transaction together with an `AppliedBatch` marker carrying its id; a
   transaction that finds its marker already there does nothing, so a retried or resumed
   batch is never added twice (counters would double);
3. the files are recorded as ingested, and the markers and the `PendingLoad` removed, in one
   last transaction.

The nightly job's bookkeeping tables (`NIGHTLY_TABLES`: which partitions a run took, the
run's phase and report) are keyed upserts, not counters: they skip the batch markers and are
written in step 3's transaction, so a partition is recorded exactly when its data is complete.
Saved alone (no files), they are one transaction of their own.

Killed half-way, the graph holds whole batches of an unfinished load, each marked, and its
files are not recorded as ingested. Running the same ingest again resumes it: applied batches
are skipped, the rest applied, then the files recorded — the result is exactly that of an
uninterrupted load. Until then reads that feed detection refuse (`PendingLoadError`), and an
ingest of other files refuses too rather than mix two loads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

import duckdb
import pyarrow as pa
import xxhash

from linkage.store.base import StoreError, Table
from linkage.store.cypher_files import load_cypher
from linkage.store.models import IngestedFile
from linkage.store.neo4j_engine.rows import Batch, arrow_schema, batches, param_rows
from linkage.store.tables import NIGHTLY_TABLES, TABLES, TableSpec

log = logging.getLogger("linkage.store")
BOOKKEEPING = tuple(NIGHTLY_TABLES)
# Node tables before edge tables: an edge's MERGE then finds its endpoints with their properties.
ORDER = [t for t in TABLES.values() if not t.is_edge and t.name != "ingested_file" and t not in BOOKKEEPING] + [
    t for t in TABLES.values() if t.is_edge]
CO_WINDOW_KINDS = {"ip", "prompt", "prompt_family"}  # the artifact labels merge_co_window.cypher knows


class PendingLoadError(StoreError):
    """An earlier ingest into this graph did not finish; say which and how to resume it."""

    def __init__(self, files: list[str], token: str):
        self.files, self.token = files, token
        msg = (f"an earlier ingest into this Neo4j graph did not finish ({len(files)} files, e.g. "
               f"{', '.join(files[:3])}); run the same `linkage ingest` again to complete it")
        super().__init__("ingest", "", RuntimeError(msg))


def load_token(files: list[IngestedFile]) -> str:
    return xxhash.xxh3_128_hexdigest("\n".join(sorted(f.content_hash for f in files)).encode())


def _files_table(files: list[IngestedFile]) -> pa.Table:
    return pa.Table.from_pylist([f.model_dump() for f in files], schema=arrow_schema(TABLES["ingested_file"]))


Write = Callable[[Callable[..., object]], object]  # session.execute_write of one session


def check_pending(read_pending: Callable[[], list[dict[str, object]]], token: str | None = None) -> None:
    """Raise PendingLoadError if a load other than `token` is unfinished."""
    for p in read_pending():
        if p["token"] != token:
            raise PendingLoadError(list(p["files"] or []), str(p["token"]))


def merge_load(write: Write, timed, tables: dict[str, Table], files: list[IngestedFile],
               batch_size: int, read_pending: Callable[[], list[dict[str, object]]]) -> int:
    """Apply one load as described above; returns how many batches were written (not skipped)."""
    tables = dict(tables)
    books = [(spec, tables.pop(spec.name)) for spec in BOOKKEEPING if spec.name in tables]
    unknown = set(tables) - {t.name for t in ORDER}
    if unknown:
        raise StoreError("merge_batch", "", ValueError(f"no Neo4j mapping for tables {sorted(unknown)}"))
    if not files and not tables:  # bookkeeping alone: idempotent upserts, one transaction
        if books:
            write(lambda tx: _merge_bookkeeping(tx, books))
        return 0
    token = load_token(files)
    check_pending(read_pending, token)
    started = datetime.now(timezone.utc)
    write(lambda tx: tx.run(load_cypher("load_begin"), token=token,
                            files=sorted(f.path for f in files), started_at=started).consume())
    written = 0
    with duckdb.connect() as con:  # batches are cut by DuckDB (key hash, see rows.batches)
        for spec in ORDER:
            if spec.name not in tables:
                continue
            statement = load_cypher(f"merge_{spec.name}")
            for batch in batches(spec.name, tables[spec.name], spec, batch_size, con):
                if spec.name == "co_window":
                    _check_kinds(batch)
                with timed(f"merge {spec.name}", statement):
                    written += bool(write(_apply(statement, batch, token)))
    rows = param_rows(_files_table(files), TABLES["ingested_file"])
    with timed("merge ingested_file", load_cypher("merge_ingested_file")):
        write(lambda tx: (tx.run(load_cypher("merge_ingested_file"), rows=rows).consume(),
                          _merge_bookkeeping(tx, books),
                          tx.run(load_cypher("load_finish"), token=token).consume()))
    return written


def _merge_bookkeeping(tx, books: list[tuple[TableSpec, Table]]) -> None:
    for spec, table in books:
        tx.run(load_cypher(f"merge_{spec.name}"), rows=param_rows(table, spec)).consume()


def _check_kinds(batch: Batch) -> None:
    kinds = {r["kind"] for r in batch.rows} - CO_WINDOW_KINDS
    if kinds:
        raise StoreError("merge co_window", load_cypher("merge_co_window"),
                         ValueError(f"co_window kinds {sorted(kinds)} have no artifact label in Neo4j"))


def _apply(statement: str, batch: Batch, token: str) -> Callable[..., bool]:
    batch_id = batch.batch_id(token)

    def work(tx) -> bool:  # a managed transaction: the driver retries it on transient errors
        if tx.run(load_cypher("batch_applied"), batch_id=batch_id).single() is not None:
            log.debug("batch %s already applied: skipped", batch_id)
            return False
        tx.run(statement, rows=batch.rows).consume()
        tx.run(load_cypher("batch_record"), batch_id=batch_id, token=token).consume()
        return True
    return work
