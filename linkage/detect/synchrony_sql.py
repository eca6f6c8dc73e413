"""Synchrony's first pass (steps 1–2 of `synchrony.py`) over the store's `tick` table: DuckDB
names and buckets the rows, compiled passes (`synchrony_rows`) count them.

The tick table has about one row per request (36 M at the public case's full scale).
Reading it into Python means decoding 36 M account-id strings; DuckDB instead maps each
row to its account code (a hash join on the ids, vectorised and parallel) and its bucket,
and only two integer columns come back. De-duplicating and counting them there would
take a hash aggregate with nearly one group per row; `synchrony_rows.first_pass` does it
by a counting sort on the dense account code instead (several times faster).

Equal to the numpy reference (`synchrony.candidates`) by construction, not by tolerance:
bucket numbers are the same IEEE double operations in the same order (µs → seconds →
÷ window → floor); the bucket offset from the first bucket is exact integer arithmetic;
the rest is `first_pass` (see its module). `tests/test_detect_synchrony_sql.py` checks it
against the reference on random data.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from linkage.detect.synchrony import Candidates, SyncParams
from linkage.detect.synchrony_rows import first_pass

_BUCKET = "CAST(floor(epoch_us({ts})::DOUBLE / 1000000.0::DOUBLE / $window::DOUBLE) AS BIGINT)"

# the first bucket: floor of a correctly rounded division is monotone, so the earliest tick's
_BASE = f"SELECT {_BUCKET.format(ts='min(tick_start)')} FROM tick"

# (account code, bucket − first bucket) per tick row; accounts unknown to detection dropped
_ROWS = f"""
SELECT CAST(c.code AS INTEGER) AS acc, CAST({_BUCKET.format(ts='t.tick_start')} - $base AS INTEGER) AS rel
FROM tick t JOIN _sync_codes c ON c.account_id = t.account_id
"""


def candidates_in_sql(con: duckdb.DuckDBPyConnection, account_ids: np.ndarray, p: SyncParams) -> Candidates:
    """`synchrony.candidates` over the store's `tick` table, account codes = positions in `account_ids`."""
    n = len(account_ids)
    none = Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), any_ticks=False)
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tick'").fetchall()[0][0]:
        return none  # a store ingested before the tick table existed
    window = {"window": float(p.window)}
    base = con.execute(_BASE, window).fetchall()[0][0]
    if base is None:  # no tick rows
        return none
    codes = pa.table({"account_id": pa.array(account_ids.tolist(), pa.string()),
                      "code": pa.array(np.arange(n, dtype=np.int32))})
    con.register("_sync_codes", codes)
    try:
        rows = con.execute(_ROWS, {**window, "base": int(base)}).fetchnumpy()
    finally:
        con.unregister("_sync_codes")
    if len(rows["acc"]) == 0:
        return none
    return first_pass(np.asarray(rows["acc"]), np.asarray(rows["rel"]), int(base), n, p)
