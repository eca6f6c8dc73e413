"""One DuckDB relation per input file: the contract's columns plus a line number.

- parquet: read in place (`file_row_number`), columns keep their stored types
  (a TIMESTAMP stays a TIMESTAMP, tokens stay integers); `_line` is the 1-based row.
- csv: every column as text; `_line` is the 1-based physical line in the file (header =
  line 1); a row of the wrong shape is set aside in `<name>_malformed` (see csv_rows).
- jsonl / jsonl.gz: each line read as one text column (an unused delimiter, no
  quoting), then parsed with DuckDB's JSON functions, so a malformed line
  becomes a quarantined row instead of a failed load; `_line` is the line number.

csv and jsonl are materialised into a temporary table of the staging database
(which spills to disk past its memory limit); parquet is scanned directly.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.ingest.csv_rows import MalformedFile, contract_columns, stage_csv
from linkage.ingest.discover import InputFile

MISSING = "MISSING"  # type marker of a contract column the file does not have


class UnreadableInput(RuntimeError):
    """A file that cannot be read at all: the whole load stops and nothing is merged."""

    def __init__(self, path: object, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"cannot read {path}: {reason}")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _describe(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}


def _check_parquet_names(path: Path, columns: tuple[str, ...]) -> None:
    """Refuse a parquet file that names a contract column twice (DuckDB would rename the second)."""
    try:
        names = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableInput(path, str(exc).splitlines()[0]) from exc
    contract_columns([n.strip().lower() for n in names], columns)


def stage_file(con: duckdb.DuckDBPyConnection, f: InputFile, name: str,
               columns: tuple[str, ...]) -> dict[str, str]:
    """Create relation `name` (_line, _json_ok, *columns) for file `f`; return column types.

    For a CSV file also `csv_rows.malformed_relation(name)` (line, field): its rows of the wrong
    shape (too many/few fields, a stray or unterminated quote), left out of `name`.

    Raises UnreadableInput if the file cannot be opened or decoded; for a CSV file also
    when its header cannot be parsed, it is not UTF-8, or not one data row is well-formed.
    """
    path = _lit(str(f.path))
    try:
        if f.fmt == "parquet":
            source = f"read_parquet({path}, file_row_number=true)"
            found = {k.lower(): (k, t) for k, t in _describe(con, source).items()}
            _check_parquet_names(f.path, columns)
            cols = [f'"{found[c][0]}" AS {c}' if c in found else f"NULL::VARCHAR AS {c}" for c in columns]
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT file_row_number + 1 AS _line,"
                        f" TRUE AS _json_ok, {', '.join(cols)} FROM {source}")
            types = {c: found[c][1] if c in found else MISSING for c in columns}
        elif f.fmt == "csv":
            try:
                present = stage_csv(con, f.path, name, columns)
            except MalformedFile as exc:
                raise UnreadableInput(f.path, str(exc)) from exc
            types = {c: "VARCHAR" if c in present else MISSING for c in columns}
        else:
            source = (f"read_csv({path}, columns={{'line': 'VARCHAR'}}, delim='\\x1f', quote='',"
                      " escape='', header=false, auto_detect=false)")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT row_number() OVER () AS _line,"
                        f" line FROM {source}")
            # A JSON value that is not an object (an array, a bare string) is malformed too.
            # (CASE, not AND: DuckDB may evaluate both sides, and json_type fails on bad JSON.)
            ok = "CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE FALSE END"
            cols = [f"CASE WHEN _json_ok THEN json_extract_string(line, '$.{c}') END AS {c}" for c in columns]
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT _line, _json_ok,"
                        f" {', '.join(cols)} FROM (SELECT _line, line, {ok} AS _json_ok FROM _lines"
                        " WHERE trim(line) <> '')")
            con.execute("DROP TABLE _lines")
            types = {c: "VARCHAR" for c in columns}
    except duckdb.Error as exc:
        raise UnreadableInput(f.path, str(exc).splitlines()[0]) from exc
    except MalformedFile as exc:  # a parquet file naming a contract column twice
        raise UnreadableInput(f.path, str(exc)) from exc
    return types


def check_readable(con: duckdb.DuckDBPyConnection, f: InputFile, name: str) -> None:
    """Scan every value of a staged parquet file, so corruption past the header is found now."""
    if f.fmt != "parquet":
        return  # csv/jsonl were fully read when staged
    try:
        con.execute(f"SELECT count(*) FROM (SELECT * FROM {name}) WHERE hash(COLUMNS(*)) IS NULL").fetchone()
    except duckdb.Error as exc:
        raise UnreadableInput(f.path, str(exc).splitlines()[0]) from exc
