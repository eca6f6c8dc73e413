"""The nightly job's records in the store: runs and the partitions they took.

Both are ordinary tables (`linkage.store.tables.NIGHTLY_TABLES`) written with
`merge_batch`, so a partition's record lands in the same transaction as its data and
a run's phase changes are atomic. A run moves through three phases:

    ingesting  -> partitions are being taken, one transaction each
    ingested   -> all taken; the rings before detection are snapshotted (`previous`)
    complete   -> detection saved and the report written (`report`, `exit_code`)

A run found in an earlier phase is resumed by the next start, never repeated.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pyarrow as pa
from pydantic import BaseModel, Field

from linkage.store.base import GraphStore, Table
from linkage.store.tables import TABLES

INGESTING, INGESTED, COMPLETE = "ingesting", "ingested", "complete"


class PartitionRecord(BaseModel):
    partition: str
    run_id: str
    path: str
    taken_at: datetime
    files: int
    rows_loaded: int
    rows_quarantined: int
    quarantined_by_table: dict[str, int] = Field(default_factory=dict)
    quarantine_file: str | None = None
    seconds: float = 0.0


class NightlyRun(BaseModel):
    run_id: str
    started_at: datetime
    status: str
    date_limit: str | None = None
    input_dir: str | None = None
    ingested_at: datetime | None = None
    previous: dict[str, dict] | None = None  # ring_id -> {size, score, status, artifacts}
    detection_run_id: str | None = None
    report: dict | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None


def _arrow_table(name: str, rows: list[dict]) -> pa.Table:
    types = {"VARCHAR": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "BIGINT": pa.int64(),
             "DOUBLE": pa.float64(), "INTEGER": pa.int32()}
    spec = TABLES[name]
    schema = pa.schema([(c.name, types[c.sql_type]) for c in spec.columns])
    return pa.Table.from_pylist([{c: r.get(c) for c in spec.names} for r in rows], schema=schema)


def run_rows(run: NightlyRun) -> dict[str, Table]:
    """`run` as a one-row nightly_run batch (None fields leave the stored value as it is)."""
    row = run.model_dump()
    for key in ("previous", "report"):
        row[key] = None if row[key] is None else json.dumps(row[key], sort_keys=True, default=str)
    return {"nightly_run": _arrow_table("nightly_run", [row])}


def partition_rows(record: PartitionRecord) -> dict[str, Table]:
    row = record.model_dump()
    row["quarantined_by_table"] = json.dumps(row["quarantined_by_table"], sort_keys=True)
    return {"nightly_partition": _arrow_table("nightly_partition", [row])}


def save(store: GraphStore, *batches: dict[str, Table]) -> None:
    """Write bookkeeping rows alone, in one transaction."""
    tables: dict[str, Table] = {}
    for b in batches:
        tables.update(b)
    store.merge_batch(tables, [])


def runs(store: GraphStore) -> list[NightlyRun]:
    """Every nightly run, oldest first."""
    rows = store.read_table("nightly_run").to_pylist()
    out = []
    for r in rows:
        for key in ("previous", "report"):
            r[key] = json.loads(r[key]) if r[key] else None
        out.append(NightlyRun(**r))
    return sorted(out, key=lambda r: (r.started_at, r.run_id))


def partitions(store: GraphStore, run_id: str | None = None) -> list[PartitionRecord]:
    rows = store.read_table("nightly_partition").to_pylist()
    out = [PartitionRecord(**{**r, "quarantined_by_table": json.loads(r["quarantined_by_table"] or "{}")})
           for r in rows if run_id is None or r["run_id"] == run_id]
    return sorted(out, key=lambda p: (p.partition, p.taken_at))


def now() -> datetime:
    return datetime.now(timezone.utc)
