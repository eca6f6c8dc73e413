"""Synchrony's first pass (steps 1–2 of `synchrony.py`) in DuckDB SQL, over the `tick` table.

The tick table has about one row per request (36 M at the public case's full scale).
Reading it into Python means decoding 36 M account-id strings before anything is
counted; DuckDB instead buckets, de-duplicates and counts it with vectorised, parallel
hash aggregates, and only per-account integers (and, at the end, the few accounts worth
pairing) come back.

Equal to the numpy reference (`synchrony.candidates`) by construction, not by tolerance:
- bucket and hour numbers are the same IEEE double operations in the same order
  (µs → seconds → ÷ window → floor; bucket × window ÷ 3600 → floor);
- every count that crosses over is an exact integer (bucket-mates, buckets, the chance
  numerator Σ own·(n_h − own), the busiest minute), so the order in which parallel
  threads add them changes nothing;
- the decisions themselves (z test, clock filter) are the shared numpy functions
  `tested_accounts` and `on_the_clock`, applied to those integers.
`tests/test_detect_synchrony_sql.py` checks it against the reference on random data.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from linkage.detect.synchrony import Candidates, SyncParams, on_the_clock, tested_accounts

# unique (account code, bucket) rows; accounts not in `_sync_codes` (unknown to detection) dropped
_ROWS = """
CREATE OR REPLACE TEMP TABLE _sync_rows AS
SELECT DISTINCT c.code AS acc,
       CAST(floor(epoch_us(t.tick_start)::DOUBLE / 1000000.0::DOUBLE / $window::DOUBLE) AS BIGINT) AS b
FROM tick t JOIN _sync_codes c ON c.account_id = t.account_id
"""

# per account: active buckets, Σ (k_b − 1), and Σ over its hours of own·max(n_h − own, 0)
_RATES = """
WITH per_bucket AS (SELECT b, count(*) - 1 AS mates FROM _sync_rows GROUP BY b),
     per_account_hour AS (
         SELECT acc, CAST(floor(b::DOUBLE * $window::DOUBLE / 3600.0::DOUBLE) AS BIGINT) AS h, count(*) AS own
         FROM _sync_rows GROUP BY ALL),
     per_hour AS (SELECT h, CAST(sum(own) AS BIGINT) AS n_h FROM per_account_hour GROUP BY h),
     mates AS (SELECT r.acc, count(*) AS ticks, CAST(sum(k.mates) AS BIGINT) AS mates
               FROM _sync_rows r JOIN per_bucket k USING (b) GROUP BY r.acc),
     chance AS (SELECT a.acc, CAST(sum(a.own * greatest(h.n_h - a.own, 0)) AS BIGINT) AS chance
                FROM per_account_hour a JOIN per_hour h USING (h) GROUP BY a.acc)
SELECT m.acc, m.ticks, m.mates, c.chance FROM mates m JOIN chance c USING (acc)
"""

# per tested account: rows in its busiest minute of the hour (buckets are positive epochs,
# so SQL's truncating % agrees with numpy's flooring one)
_TOP_MINUTE = """
SELECT acc, max(n) AS top FROM (
    SELECT acc, CAST(floor(b::DOUBLE * $window::DOUBLE / 60.0::DOUBLE) AS BIGINT) % 60 AS minute, count(*) AS n
    FROM _sync_rows SEMI JOIN _sync_tested USING (acc) GROUP BY ALL)
GROUP BY acc
"""

_CANDIDATE_ROWS = "SELECT acc, b FROM _sync_rows SEMI JOIN _sync_kept USING (acc) ORDER BY acc, b"


def _column(tbl: pa.Table, name: str) -> np.ndarray:
    return tbl[name].to_numpy().astype(np.int64)


def candidates_in_sql(con: duckdb.DuckDBPyConnection, account_ids: np.ndarray, p: SyncParams) -> Candidates:
    """`synchrony.candidates` over the store's `tick` table, account codes = positions in `account_ids`."""
    n = len(account_ids)
    none = Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), any_ticks=False)
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tick'").fetchall()[0][0]:
        return none  # a store ingested before the tick table existed
    codes = pa.table({"account_id": pa.array(account_ids.tolist(), pa.string()),
                      "code": pa.array(np.arange(n, dtype=np.int64))})
    window = {"window": float(p.window)}
    con.register("_sync_codes", codes)
    try:
        con.execute(_ROWS, window)
        rates = con.sql(_RATES, params=window).to_arrow_table()
        if rates.num_rows == 0:
            return none
        acc = _column(rates, "acc")
        keep = np.zeros(n, bool)
        keep[acc] = tested_accounts(_column(rates, "ticks"), _column(rates, "mates"),
                                    _column(rates, "chance").astype(np.float64), p)
        ticks = np.zeros(n, np.int64)
        ticks[acc] = _column(rates, "ticks")
        if keep.any():
            con.register("_sync_tested", pa.table({"acc": np.nonzero(keep)[0].astype(np.int64)}))
            top = con.sql(_TOP_MINUTE, params=window).to_arrow_table()
            con.unregister("_sync_tested")
            top_acc = _column(top, "acc")
            keep[top_acc[on_the_clock(_column(top, "top"), ticks[top_acc], p)]] = False
        con.register("_sync_kept", pa.table({"acc": np.nonzero(keep)[0].astype(np.int64)}))
        rows = con.sql(_CANDIDATE_ROWS).to_arrow_table()
        con.unregister("_sync_kept")
        return Candidates(_column(rows, "acc"), _column(rows, "b"), any_ticks=True)
    finally:
        con.execute("DROP TABLE IF EXISTS _sync_rows")
        con.unregister("_sync_codes")
