"""Stage a CSV file row by row: structurally malformed rows are set aside, not fatal.

DuckDB reads the file with its reject handling (`ignore_errors`, `store_rejects`):
a row with too many or too few fields, or a stray quote, goes to a per-file rejects
table instead of failing the read. This module turns that into

- relation `name` (_line, _json_ok, *columns) with the well-formed rows, and
- relation `<name>_malformed` (line, field): one row per rejected record,

where every line is the 1-based PHYSICAL line in the file (header = line 1).

DuckDB behaviour this works around (duckdb 2.0.1):
- With a bad row among the first rows the sniffer picks no quote character at all,
  or fails; so the dialect is fixed (`,` `"` `"`), auto-detection is off and the header
  is read here (Python's csv module) to name the columns.
- A rejects row's `line` counts records, not physical lines (a quoted field spanning
  lines counts once), and one record yields one rejects row per missing column.
  `line_byte_position` points at, or one byte past, the record's start, or at the
  blank lines before it: the physical line is found from the file's bytes.
- A quoted field still open at the end of the file makes DuckDB drop everything from
  that record on, silently (no row, no reject, no error, strict mode or not).
- Good rows carry no line number at all.

Line numbers of good rows: a fast path computes them from the records' own newlines
and the rejected records' spans, and checks the sum against the file's line count.
When that check fails (blank lines, an unterminated quote at the end, odd line
endings) one pass of Python's csv module finds every record's first line; a record
it sees that DuckDB neither returned nor rejected (the unterminated tail) is
reported as malformed too.
"""

from __future__ import annotations

import csv
import io
import logging
import mmap
from array import array
from pathlib import Path

import duckdb
import pyarrow as pa

log = logging.getLogger("linkage.ingest")


class MalformedFile(RuntimeError):
    """The file cannot be read at all as CSV (the caller turns this into UnreadableInput)."""


def malformed_relation(name: str) -> str:
    """Name of the (line, field) relation of the malformed records of staged relation `name`."""
    return f"{name}_malformed"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read_header(path: Path) -> tuple[list[str], int]:
    """The header's field names ([] for an empty file) and how many physical lines it spans."""
    csv.field_size_limit(1 << 30)  # prompts can be long; DuckDB enforces its own line limit
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            lines = reader.line_num
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MalformedFile(f"not UTF-8 CSV: {exc}") from exc
    if header is not None and all(not h.strip() for h in header):
        raise MalformedFile("no column names in the header line")
    return header or [], lines


def contract_columns(keys: list[str], columns: tuple[str, ...]) -> dict[str, int]:
    """Position of each contract column among a header's (lower-cased) names.

    Names match whatever their case (`TS`, `Account_Id`). A contract column named twice
    (`account_id,Account_ID`) would leave every row ambiguous, so the file is refused.
    """
    found: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k in columns and k in found:
            raise MalformedFile(f"column {k!r} appears twice in the header (fields {found[k] + 1} and {i + 1})")
        found.setdefault(k, i)
    return found


def _physical_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _record_start(mm: mmap.mmap, pos: int) -> int:
    """Byte offset where the record DuckDB reports at `line_byte_position` begins."""
    q = max(pos - 1, 0)
    if q > 0 and mm[q - 1:q] not in (b"\n", b"\r"):
        q = pos  # DuckDB pointed exactly at the start (first record after a CRLF)
    while q < len(mm) and mm[q:q + 1] in (b"\n", b"\r"):
        q += 1  # skip the blank lines DuckDB counted into the record
    return q


def _record_span(path: Path, start: int) -> int:
    """Physical lines spanned by the record starting at byte `start` (Python's csv parse)."""
    with path.open("rb") as raw:
        raw.seek(start)
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=""))
        next(reader, None)
        return max(reader.line_num, 1)


def _rejects(con: duckdb.DuckDBPyConnection, table: str, path: Path, names: list[str]
             ) -> list[tuple[int, int, str | None, int]]:
    """(duckdb line, physical line, field, span) per rejected record, in file order."""
    # column_name, not column_idx: the index is 0- or 1-based depending on the error type.
    rows = con.execute(f"""SELECT line, min(line_byte_position), arg_min(column_name, column_idx),
                                  bool_or(error_type = 'INVALID ENCODING')
                           FROM {table} GROUP BY line ORDER BY line""").fetchall()
    if not rows:
        return []
    bad = [r[0] for r in rows if r[3]]
    if bad:
        raise MalformedFile(f"not UTF-8 (record {bad[0]})")
    out = []
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        counted, newlines = 0, 0
        for duck_line, pos, col, _ in rows:
            start = _record_start(mm, int(pos))
            newlines += mm[counted:start].count(b"\n")
            counted = start
            field = names[int(col[1:])] if col else None  # our columns are c0, c1, ...
            out.append((int(duck_line), newlines + 1, field, _record_span(path, start)))
    return out


def _python_starts(path: Path) -> array:
    """First physical line of every non-blank record after the header (one full csv pass)."""
    starts = array("q")
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        prev = 0
        for record in reader:
            if record:
                starts.append(prev + 1)
            prev = reader.line_num
    return starts[1:]  # drop the header


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str,
              columns: tuple[str, ...]) -> set[str]:
    """Create `name` and `<name>_malformed` for the CSV file `path`; return which of
    `columns` the file has (all as text; the others are NULL).

    Raises MalformedFile when the file cannot be read at all: a header that cannot be
    parsed or names no column, bytes that are not UTF-8 (anywhere: a wrongly encoded
    file would otherwise load only its ASCII rows), or data rows of which not one is
    well-formed, or a header naming one contract column twice. An empty file, or a
    header alone, is no error: it has no rows.
    """
    header, header_lines = _read_header(path)
    if not header:  # an empty file: no rows, as before (not an error)
        nulls = ", ".join(f"NULL::VARCHAR AS {c}" for c in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT NULL::BIGINT AS _line, TRUE AS _json_ok,"
                    f" {nulls} WHERE FALSE")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {malformed_relation(name)} (line BIGINT, field VARCHAR)")
        return set()
    keys = [h.strip().lower() for h in header]
    names = [h.strip() for h in header]
    found = contract_columns(keys, columns)
    n = len(header)
    rejects, scan = f"{name}_rejects", f"{name}_rejects_scan"
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    newlines = " + ".join(f"coalesce(length(c{i}) - length(replace(c{i}, chr(10), '')), 0)" for i in range(n))
    # parallel=false: the parallel reader rejects quoted fields spanning lines.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {name}_read AS
        SELECT row_number() OVER () AS _ord, ({newlines}) AS _nl, *
        FROM read_csv({_lit(str(path))}, columns={cols}, header=true, auto_detect=false,
                      delim=',', quote='"', escape='"', parallel=false,
                      ignore_errors=true, store_rejects=true,
                      rejects_table={_lit(rejects)}, rejects_scan={_lit(scan)})""")
    try:
        bad = _rejects(con, rejects, path, names)
    finally:
        # The rejects table holds raw CSV lines (prompts, e-mails): gone as soon as read.
        con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {scan}")
    good, nl_total = con.execute(f"SELECT count(*), coalesce(sum(_nl), 0) FROM {name}_read").fetchall()[0]
    total_lines = _physical_lines(path)
    malformed = [(phys, field) for _, phys, field, _ in bad]
    if header_lines + good + nl_total + sum(r[3] for r in bad) == total_lines:
        line_sql, join = _fast_lines(con, name, header_lines, bad, nl_total > 0)
    else:
        line_sql, join, tail = _slow_lines(con, name, path, good, {r[1] for r in bad})
        malformed += tail
    if good == 0 and malformed:
        raise MalformedFile(f"no well-formed data row ({len(malformed)} malformed)")
    picks = [f"c{found[c]} AS {c}" if c in found else f"NULL::VARCHAR AS {c}" for c in columns]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {line_sql} AS _line, TRUE AS _json_ok,"
                f" {', '.join(picks)} FROM {name}_read r {join}")
    for extra in ("_read", "_starts", "_rejcum"):
        con.execute(f"DROP TABLE IF EXISTS {name}{extra}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {malformed_relation(name)} (line BIGINT, field VARCHAR)")
    if malformed:
        con.executemany(f"INSERT INTO {malformed_relation(name)} VALUES (?, ?)", malformed)
    return {c for c in columns if c in found}


def _fast_lines(con: duckdb.DuckDBPyConnection, name: str, header_lines: int,
                bad: list[tuple[int, int, str | None, int]], multiline: bool) -> tuple[str, str]:
    """(line expression, join) for good rows: header + earlier good rows + earlier rejects' spans."""
    expr, join = f"{header_lines} + r._ord", ""
    if multiline:  # earlier good rows' embedded newlines
        expr += (" + coalesce(sum(r._nl) OVER (ORDER BY r._ord"
                 " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)")
    if bad:
        # Good rows before a rejected record = its record number - header - earlier rejects
        # (no blank lines on this path: the line-count check guarantees it).
        cum, gaps = 0, {}
        for j, (duck_line, _, _, span) in enumerate(bad):
            cum += span
            gaps[duck_line - 2 - j] = cum  # consecutive rejects share g: keep the last sum
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_rejcum (g BIGINT, spans BIGINT)")
        con.executemany(f"INSERT INTO {name}_rejcum VALUES (?, ?)", list(gaps.items()))
        join = f"ASOF LEFT JOIN {name}_rejcum k ON r._ord > k.g"
        expr += " + coalesce(k.spans, 0)"
    return expr, join


def _slow_lines(con: duckdb.DuckDBPyConnection, name: str, path: Path, good: int,
                rejected: set[int]) -> tuple[str, str, list[tuple[int, None]]]:
    """Good rows' lines from a full csv pass; also the records DuckDB silently dropped."""
    starts = [s for s in _python_starts(path) if s not in rejected]
    tail: list[tuple[int, None]] = []
    if len(starts) == good + 1:
        tail = [(starts.pop(), None)]  # an unterminated quote swallowed the last record
    if len(starts) != good:
        log.warning("%s: %d well-formed CSV rows but %d records found; line numbers are approximate",
                    path, good, len(starts))
        return "r._ord + 1", "", tail
    table = pa.table({"_ord": pa.array(range(1, good + 1), pa.int64()), "line": pa.array(starts, pa.int64())})
    con.register(f"{name}_starts_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_starts AS SELECT * FROM {name}_starts_arrow")
    con.unregister(f"{name}_starts_arrow")
    return "s.line", f"JOIN {name}_starts s USING (_ord)", tail
