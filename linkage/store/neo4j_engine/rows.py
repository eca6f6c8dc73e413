"""Arrow tables to Cypher parameter rows and back, and the deterministic batches ingest writes.

No server needed here: everything is plain data, so it is unit-tested on its own.

Batches are *deterministic*: a row goes to bucket `hash(key) mod n` with `n` fixed by the
table's row count, so ingesting the same files again yields the same batches with the same
ids. That is what lets a killed ingest resume: batches already applied are recognised by id
and skipped, never added twice (see `ingest.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import numpy as np
import pyarrow as pa

from linkage.store.base import Table
from linkage.store.tables import TableSpec

_ARROW = {
    "VARCHAR": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "TINYINT": pa.int8(),
    "UBIGINT": pa.uint64(), "DOUBLE": pa.float64(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
}
_TWO_64 = 1 << 64
_TWO_63 = 1 << 63


def arrow_type(sql_type: str) -> pa.DataType:
    return _ARROW[sql_type]


def arrow_schema(spec: TableSpec, columns: list[str] | None = None) -> pa.Schema:
    types = {c.name: arrow_type(c.sql_type) for c in spec.columns}
    return pa.schema([(n, types[n]) for n in (columns or spec.names)])


def to_signed(value: int | None) -> int | None:
    """A UBIGINT (e.g. a SimHash) as the int64 Neo4j can store: same 64 bits, two's complement."""
    return None if value is None else (value - _TWO_64 if value >= _TWO_63 else value)


def to_unsigned(value: int | None) -> int | None:
    return None if value is None else (value + _TWO_64 if value < 0 else value)


def native(value: object) -> object:
    """Driver temporal values as Python datetimes (UTC); everything else as it is."""
    to_native = getattr(value, "to_native", None)
    if to_native is None:
        return value
    out = to_native()
    if isinstance(out, datetime):
        return out.astimezone(timezone.utc) if out.tzinfo else out.replace(tzinfo=timezone.utc)
    return out


def param_rows(table: pa.Table, spec: TableSpec) -> list[dict[str, object]]:
    """One dict per row, in the spec's columns, as the driver sends them ($rows)."""
    rows = table.select(spec.names).to_pylist()
    unsigned = [c.name for c in spec.columns if c.sql_type == "UBIGINT"]
    for row in rows:
        for name in unsigned:
            row[name] = to_signed(row[name])
    return rows


def column(values: list[object], typ: pa.DataType) -> pa.Array:
    """One column read back through Cypher: times arrive as epoch microseconds (see read_*.cypher)."""
    if pa.types.is_timestamp(typ):
        if any(isinstance(v, datetime) or hasattr(v, "to_native") for v in values[:1]):
            return pa.array([native(v) for v in values], typ)
        return pa.array(values, pa.int64()).cast(typ)
    if typ == pa.uint64():
        return pa.array([to_unsigned(v) for v in values], typ)
    return pa.array(values, typ)


def table_from_rows(spec: TableSpec, columns: list[str], rows: list[list[object]]) -> pa.Table:
    """Records read back through Cypher as an Arrow table typed like the embedded engine's."""
    schema = arrow_schema(spec, columns)
    cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in columns]
    return pa.table([column(c, schema.field(n).type) for c, n in zip(cols, columns)], schema=schema)


@dataclass(frozen=True)
class Batch:
    table: str
    index: int
    of: int
    rows: list[dict[str, object]]

    def batch_id(self, load_token: str) -> str:
        return f"{load_token}:{self.table}:{self.index}/{self.of}"


def batches(name: str, table: Table, spec: TableSpec, batch_size: int,
            con: duckdb.DuckDBPyConnection | None = None) -> Iterator[Batch]:
    """The rows of `table` in deterministic batches of about `batch_size` (by key hash).

    `con`: an in-memory DuckDB connection to reuse across tables (opening one costs time)."""
    own = con is None
    con = con or duckdb.connect()
    try:
        con.register("incoming", table)
        n_rows = con.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
        if n_rows == 0:
            return
        n = max(1, math.ceil(n_rows / max(1, batch_size)))
        keys = ", ".join(spec.keys)
        cols = ", ".join(spec.names)
        ordered = con.sql(
            f"SELECT {cols}, CAST(hash({keys}) % {n} AS BIGINT) AS _bucket FROM incoming"
            f" ORDER BY _bucket, {keys}").to_arrow_table()
    finally:
        con.unregister("incoming")
        if own:
            con.close()
    bucket = ordered["_bucket"].to_numpy()
    bounds = [0, *(np.flatnonzero(np.diff(bucket)) + 1).tolist(), len(bucket)]
    for lo, hi in zip(bounds, bounds[1:]):
        part = ordered.slice(lo, hi - lo)
        yield Batch(name, int(bucket[lo]), n, param_rows(part, spec))


def tick_table(spec: TableSpec, rows: list[list[object]]) -> pa.Table:
    """`tick` rows from TickSeries nodes (account id, epoch-µs array, request-count array).

    The arrays are appended load by load, so one (account, tick) may appear twice when two
    loads saw the same second: summed here, as the embedded engine's merge sums them."""
    schema = arrow_schema(spec)
    if not rows:
        return schema.empty_table()
    lengths = np.array([len(r[1] or []) for r in rows], np.int64)
    accounts = pa.array(np.repeat(np.array([r[0] for r in rows], object), lengths), pa.string())
    at = np.concatenate([np.asarray(r[1] or [], np.int64) for r in rows])
    requests = np.concatenate([np.asarray(r[2] or [], np.int64) for r in rows])
    flat = pa.table({"account_id": accounts, "tick_us": at, "requests": requests})
    summed = flat.group_by(["account_id", "tick_us"]).aggregate([("requests", "sum")])
    return pa.table({"account_id": summed["account_id"],
                     "tick_start": summed["tick_us"].cast(pa.timestamp("us", tz="UTC")),
                     "requests": summed["requests_sum"]}, schema=schema)
