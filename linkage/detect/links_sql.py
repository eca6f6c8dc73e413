"""`load_links` in DuckDB SQL: the account–artifact links coded and collapsed in the engine.

At the public case's full scale there are 42 M links to 14.6 M artifacts, 13 M of which
one account alone uses. Reading them all into Arrow as strings, then coding them there,
costs minutes and gigabytes; DuckDB instead groups them with parallel hash aggregates, and
only integer links to the ~1.5 M shared artifacts, each account's per-kind total over its
singletons, and the shared artifacts' values come back.

Equal to the Python reference (`inputs.code_links` over `account_artifacts()`), row order
aside, by construction: the same rows (artifact and account not null, kind known, not
allowlisted), codes from the same byte-wise string order (DuckDB's default collation, like
Arrow's sort and Python's), exact integer sums, and first_seen as the same µs / 10⁶.
`tests/test_detect_links_sql.py` checks it against the reference.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from linkage.detect.inputs import KINDS, Links

# every row detection reads, before coding (`raw`), and the rows it keeps (`ok`), kind coded
_ROWS = """
WITH raw AS (SELECT account_id, kind, artifact, coalesce(count, 1) AS cnt,
                    coalesce(epoch_us(first_seen), 0) AS first_us
             FROM ({union}) WHERE artifact IS NOT NULL),
     banned AS (SELECT unnest($ban_kind::VARCHAR[]) AS kind, unnest($ban_value::VARCHAR[]) AS artifact),
     ok AS (SELECT r.account_id, (list_position($kinds::VARCHAR[], r.kind) - 1)::TINYINT AS kind,
                   r.artifact, r.cnt, r.first_us
            FROM raw r ANTI JOIN banned b ON r.kind = b.kind AND r.artifact = b.artifact
            WHERE r.account_id IS NOT NULL AND list_position($kinds::VARCHAR[], r.kind) IS NOT NULL)
"""

# account codes: every account of the account table or of a link (allowlisted ones too)
_ACCOUNTS = """
CREATE OR REPLACE TEMP TABLE _links_acc AS {rows}
SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1)::INTEGER AS acc
FROM (SELECT account_id FROM account UNION SELECT account_id FROM raw) WHERE account_id IS NOT NULL
"""

# real artifacts: ≥ 2 links, coded in (kind, value) order
_ARTIFACTS = """
CREATE OR REPLACE TEMP TABLE _links_art AS {rows}
SELECT kind, artifact, (row_number() OVER (ORDER BY kind, artifact) - 1)::INTEGER AS art
FROM ok GROUP BY kind, artifact HAVING count(*) >= 2
"""

_REAL_LINKS = """{rows}
SELECT a.acc, t.art, o.cnt, o.first_us
FROM ok o JOIN _links_art t USING (kind, artifact) JOIN _links_acc a USING (account_id)
"""

# the rest are singletons: one pseudo-artifact per (kind, account), in that order
_PSEUDO_LINKS = """{rows}
SELECT o.kind, a.acc, sum(o.cnt)::BIGINT AS cnt, min(o.first_us) AS first_us
FROM ok o ANTI JOIN _links_art t USING (kind, artifact) JOIN _links_acc a USING (account_id)
GROUP BY o.kind, a.acc ORDER BY o.kind, a.acc
"""


def _ints(tbl: pa.Table, name: str) -> np.ndarray:
    return tbl[name].to_numpy().astype(np.int64)


def links_in_sql(con: duckdb.DuckDBPyConnection, union: str, allowlist: set[tuple[str, str]]) -> Links:
    """`inputs.load_links` over `union` (the store's account_artifacts() query)."""
    ban = sorted(allowlist)
    params = {"kinds": list(KINDS), "ban_kind": [k for k, _ in ban], "ban_value": [v for _, v in ban]}
    rows = _ROWS.format(union=union)
    try:
        con.execute(_ACCOUNTS.format(rows=rows), params)
        con.execute(_ARTIFACTS.format(rows=rows), params)
        accounts = con.sql("SELECT account_id FROM _links_acc ORDER BY acc").to_arrow_table()
        artifacts = con.sql("SELECT kind, artifact FROM _links_art ORDER BY art").to_arrow_table()
        real = con.sql(_REAL_LINKS.format(rows=rows), params=params).to_arrow_table()
        pseudo = con.sql(_PSEUDO_LINKS.format(rows=rows), params=params).to_arrow_table()
    finally:
        con.execute("DROP TABLE IF EXISTS _links_acc; DROP TABLE IF EXISTS _links_art")
    n_real = artifacts.num_rows
    kinds = artifacts["kind"].to_numpy().astype(np.int8)
    values = artifacts["artifact"].combine_chunks().cast(pa.string())
    return Links(
        account_ids=np.array(accounts["account_id"].to_pylist(), dtype=object),
        artifact_kind=np.concatenate([kinds, pseudo["kind"].to_numpy().astype(np.int8)]),
        artifact_value=pa.concat_arrays([values, pa.nulls(pseudo.num_rows, pa.string())]),
        account=np.concatenate([_ints(real, "acc"), _ints(pseudo, "acc")]),
        artifact=np.concatenate([_ints(real, "art"), np.arange(n_real, n_real + pseudo.num_rows, dtype=np.int64)]),
        count=np.concatenate([_ints(real, "cnt"), _ints(pseudo, "cnt")]),
        first_seen=np.concatenate([_ints(real, "first_us"), _ints(pseudo, "first_us")]).astype(np.float64)
        / 1_000_000)
