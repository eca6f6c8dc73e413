"""Write one table in one of the contract's formats, chunk by chunk, into a single file.

Parquet keeps timestamps typed (`timestamp[us, UTC]`); CSV and JSON Lines carry
them as RFC 3339 strings (`2026-02-03T04:05:06Z`). Output is byte-for-byte
reproducible: no wall-clock in any header (gzip mtime is 0).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("parquet", "jsonl", "jsonl.gz", "csv")


_DAY = 86_400
_TIME_OF_DAY = pa.array([f"T{h:02d}:{m:02d}:{x:02d}Z" for h in range(24) for m in range(60) for x in range(60)])


def rfc3339(table: pa.Table) -> pa.Table:
    """Timestamp columns as RFC 3339 UTC strings (second precision), e.g. 2026-02-03T04:05:06Z.

    Built from a date part and a precomputed time-of-day part, both by `take`: strftime
    costs seconds per million rows, this costs milliseconds."""
    for i, f in enumerate(table.schema):
        if not pa.types.is_timestamp(f.type):
            continue
        secs = table.column(i).cast(pa.timestamp("s", tz="UTC")).cast(pa.int64()).to_numpy(zero_copy_only=False)
        days = np.floor_divide(secs, _DAY)
        first = int(days.min()) if len(days) else 0
        span = (int(days.max()) - first + 1) if len(days) else 1
        dates = pa.array(np.datetime_as_string(np.arange(first, first + span).astype("datetime64[D]")))
        col = pc.binary_join_element_wise(pc.take(dates, pa.array(days - first)),
                                          pc.take(_TIME_OF_DAY, pa.array(secs - days * _DAY)), "")
        table = table.set_column(i, pa.field(f.name, pa.string()), col)
    return table


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _json_strings(col: pa.Array, quote: bool = True) -> pa.Array:
    if pc.any(pc.match_substring_regex(col, r'[\\"\n\r\t]')).as_py():
        for old, new in _JSON_ESCAPES:
            col = pc.replace_substring(col, old, new)
    return pc.binary_join_element_wise('"', col, '"', "") if quote else col


def jsonl_bytes(table: pa.Table) -> bytes:
    """JSON Lines for a table of strings and integers, built column-wise in Arrow (no per-row Python).

    Strings are escaped for backslash, quote, newline, carriage return and tab (the only
    control characters the simulator writes); nulls become `null`."""
    parts: list = []
    pending = "{"  # literal text waiting to be written before the next value
    for i, f in enumerate(table.schema):
        col = table.column(i).combine_chunks()
        pending += ("" if i == 0 else ",") + json.dumps(f.name) + ":"
        if pa.types.is_dictionary(f.type):  # escape and quote the few distinct values, then expand
            text = pc.take(_json_strings(col.dictionary), col.indices)
        elif pa.types.is_string(f.type) and col.null_count == 0:
            # no nulls: the quotes go into the literal text around the value, no extra pass
            parts += [pa.scalar(pending + '"'), _json_strings(col, quote=False)]
            pending = '"'
            continue
        elif pa.types.is_string(f.type):
            text = _json_strings(col)
        elif pa.types.is_integer(f.type) or pa.types.is_floating(f.type):
            text = col.cast(pa.string())
        else:
            raise TypeError(f"no JSON encoding for column {f.name} of type {f.type}")
        parts += [pa.scalar(pending), pc.fill_null(text, "null") if text.null_count else text]
        pending = ""
    parts.append(pa.scalar(pending + "}\n"))
    lines = pc.binary_join_element_wise(*parts, "")
    # every line is non-null, so the data buffer between the first and last offset is the file
    _, offsets, data = lines.buffers()
    off = np.frombuffer(offsets, np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return data.to_pybytes()[int(off[0]):int(off[-1])]


def _with_dictionaries(schema: pa.Schema, actual: pa.Schema) -> pa.Schema:
    """The contract schema, keeping dictionary encoding where a chunk's string column has it."""
    fields = []
    for f in schema:
        t = actual.field(f.name).type
        fields.append(pa.field(f.name, t if pa.types.is_dictionary(t) and t.value_type == f.type else f.type))
    return pa.schema(fields)


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
        if fmt == "parquet":
            pass  # opened on the first chunk, with that chunk's (possibly dictionary) column types
        elif fmt == "csv":
            self._sink = pa.OSFile(str(self.path), "wb")
            self._csv = pacsv.CSVWriter(self._sink, rfc3339(schema.empty_table()).schema)
        else:
            raw = open(self.path, "wb")
            self._sink = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=3) if fmt == "jsonl.gz" else raw
            self._raw = raw

    def write(self, table: pa.Table) -> None:
        """Append a chunk; dictionary-encoded string columns are welcome (parquet keeps them as is)."""
        table = table.select(self.schema.names)
        self.rows += table.num_rows
        if self.fmt == "parquet":
            table = table.cast(_with_dictionaries(self.schema, table.schema))
            if self._pq is None:
                # store_schema=False: readers see plain strings and timestamp[us, tz=UTC]
                self._pq = pq.ParquetWriter(self.path, table.schema, compression="snappy", store_schema=False)
            self._pq.write_table(table, row_group_size=max(1, table.num_rows))
            return
        if self._csv is not None:
            self._csv.write_table(rfc3339(table.cast(self.schema)))
        else:
            self._write_jsonl(rfc3339(table.cast(_with_dictionaries(self.schema, table.schema))))

    def _write_jsonl(self, table: pa.Table) -> None:
        if table.num_rows:
            self._sink.write(jsonl_bytes(table))

    def close(self) -> None:
        if self.fmt == "parquet":
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, self.schema, compression="snappy", store_schema=False)
            self._pq.close()
        elif self._csv is not None:
            self._csv.close()
            self._sink.close()
        else:
            self._sink.close()
            if self._sink is not self._raw:
                self._raw.close()


def write_table(directory: Path, name: str, fmt: str, table: pa.Table) -> Path:
    """Write a whole (small) table in one go."""
    w = TableWriter(directory, name, fmt, table.schema)
    w.write(table)
    w.close()
    return w.path
