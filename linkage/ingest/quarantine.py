"""The quarantine file: one JSON line per rejected row (or unknown file).

Each entry has `file`, `line`, `table`, `field`, `reason` and, for
non-sensitive fields only (timestamps, IPs, token counts), a truncated `value`
to help fix the feed. Raw prompts, e-mails and instrument fingerprints are
never written.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

STAGING_TABLE = "_quarantine"
DDL = (f"CREATE TEMP TABLE IF NOT EXISTS {STAGING_TABLE} (file VARCHAR, line BIGINT, \"table\" VARCHAR,"
       " field VARCHAR, reason VARCHAR, value VARCHAR)")


def add_rows(con: duckdb.DuckDBPyConnection, select_sql: str) -> int:
    """Append the rows of `select_sql` (file, line, table, field, reason, value); return how many."""
    before = con.execute(f"SELECT count(*) FROM {STAGING_TABLE}").fetchone()[0]
    con.execute(f"INSERT INTO {STAGING_TABLE} {select_sql}")
    return con.execute(f"SELECT count(*) FROM {STAGING_TABLE}").fetchone()[0] - before


def add_malformed(con: duckdb.DuckDBPyConnection, relation: str, file: str, table: str) -> int:
    """One entry per malformed CSV record of `relation` (line, field); return how many.

    The value is always NULL: the raw line may hold a prompt or an e-mail.
    """
    return add_rows(con, f"SELECT {_lit(file)}, line, {_lit(table)}, field, 'malformed CSV row', NULL"
                         f" FROM {relation}")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def add_file(con: duckdb.DuckDBPyConnection, file: str, reason: str) -> None:
    """One entry for a whole file (an unknown table)."""
    con.execute(f"INSERT INTO {STAGING_TABLE} VALUES (?, NULL, NULL, NULL, ?, NULL)", [file, reason])


def write(con: duckdb.DuckDBPyConnection, directory: Path) -> Path | None:
    """Write the staged entries to `<directory>/quarantine-<utc stamp>.jsonl`; None if there are none."""
    if con.execute(f"SELECT count(*) FROM {STAGING_TABLE}").fetchone()[0] == 0:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"quarantine-{stamp}.jsonl"
    target = str(path).replace("'", "''")
    con.execute(f"COPY (SELECT * FROM {STAGING_TABLE} ORDER BY file, line) TO '{target}'"
                " (FORMAT json)")
    return path
