"""Write one table in one of the contract's formats, chunk by chunk, into a single file.

Parquet keeps timestamps typed (`timestamp[us, UTC]`); CSV and JSON Lines carry
them as RFC 3339 strings (`2026-02-03T04:05:06Z`). Output is byte-for-byte
reproducible: no wall-clock in any header (gzip mtime is 0).
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("parquet", "jsonl", "jsonl.gz", "csv")


def rfc3339(table: pa.Table) -> pa.Table:
    """Timestamp columns as RFC 3339 UTC strings (second precision)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            col = pc.strftime(table.column(i).cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(i, pa.field(f.name, pa.string()), col)
    return table


class TableWriter:
    """Appends Arrow chunks to `<directory>/<name>.<fmt>`."""

    def __init__(self, directory: Path, name: str, fmt: str, schema: pa.Schema) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.path = Path(directory) / f"{name}.{fmt}"
        self.fmt = fmt
        self.schema = schema
        self.rows = 0
        self._pq: pq.ParquetWriter | None = None
        self._csv: pacsv.CSVWriter | None = None
        self._sink = None
        self._con: duckdb.DuckDBPyConnection | None = None
        if fmt == "parquet":
            self._pq = pq.ParquetWriter(self.path, schema, compression="snappy")
        elif fmt == "csv":
            self._sink = pa.OSFile(str(self.path), "wb")
            self._csv = pacsv.CSVWriter(self._sink, rfc3339(schema.empty_table()).schema)
        else:
            raw = open(self.path, "wb")
            self._sink = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=3) if fmt == "jsonl.gz" else raw
            self._raw = raw
            self._con = duckdb.connect(config={"threads": 1})
            self._tmp = tempfile.TemporaryDirectory(prefix="linkage-sim-")

    def write(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        self.rows += table.num_rows
        if self._pq is not None:
            self._pq.write_table(table, row_group_size=max(1, table.num_rows))
        elif self._csv is not None:
            self._csv.write_table(rfc3339(table))
        else:
            self._write_jsonl(rfc3339(table))

    def _write_jsonl(self, table: pa.Table) -> None:
        # DuckDB writes JSON Lines in C++, in order (one thread); we append its bytes.
        tmp = Path(self._tmp.name) / "chunk.jsonl"
        self._con.register("chunk", table)
        self._con.execute(f"COPY (SELECT * FROM chunk) TO '{tmp}' (FORMAT json)")
        self._con.unregister("chunk")
        with open(tmp, "rb") as f:
            while block := f.read(1 << 22):
                self._sink.write(block)

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        elif self._csv is not None:
            self._csv.close()
            self._sink.close()
        else:
            self._sink.close()
            if self._sink is not self._raw:
                self._raw.close()
            self._con.close()
            self._tmp.cleanup()


def write_table(directory: Path, name: str, fmt: str, table: pa.Table) -> Path:
    """Write a whole (small) table in one go."""
    w = TableWriter(directory, name, fmt, table.schema)
    w.write(table)
    w.close()
    return w.path
