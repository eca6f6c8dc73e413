"""The prompt map before streaming (issue #8), kept to time against `linkage.ingest.prompt_map`.

One global `SELECT DISTINCT` of the raw text numbered in DuckDB, read back a chunk at a
time; each chunk fingerprinted and its families assigned one after the other on one
thread. Same outputs per prompt as the streamed map (the chunks differ: DuckDB's
DISTINCT order is arbitrary). `bench/bench_prompt_map.py` runs both on the same requests.
"""

from __future__ import annotations

import logging
import time

import duckdb
import pyarrow as pa

from linkage.ingest.families import CHUNK, FamilyIndex, family_hex_array
from linkage.ingest.fingerprint import fingerprint_table
from linkage.ingest.minhash import signatures

log = logging.getLogger("linkage.ingest")
PROMPT_MAP = "_promptmap"


def build_prompt_map(con: duckdb.DuckDBPyConnection, distinct_sql: str, index: FamilyIndex,
                     chunk: int = CHUNK, workers: int = 0) -> dict[str, float]:
    """Create `_promptmap` (ph, fingerprint, simhash, capability, family) over the prompts `distinct_sql`
    yields (one column `v`, NULL-free or not); families learnt on the way stay in `index.learnt`.
    `workers` is accepted for callers of the former process pool; the compiled passes use numba's threads."""
    del workers
    con.execute(f"CREATE OR REPLACE TEMP TABLE _prompts AS SELECT row_number() OVER () - 1 AS rid, v"
                f" FROM ({distinct_sql}) WHERE v IS NOT NULL")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PROMPT_MAP} (ph UBIGINT, fingerprint VARCHAR, simhash UBIGINT,
        capability VARCHAR, family VARCHAR)""")
    total = con.execute("SELECT count(*) FROM _prompts").fetchall()[0][0]
    spent = {"read": 0.0, "fingerprint": 0.0, "family": 0.0, "write": 0.0}
    for lo in range(0, total, chunk):
        t0 = time.perf_counter()
        batch = con.sql(f"SELECT hash(v) AS ph, v FROM _prompts WHERE rid >= {lo} AND rid < {lo + chunk}"
                        ).to_arrow_table()
        texts = batch["v"].combine_chunks()
        t1 = time.perf_counter()
        fps = fingerprint_table(texts)
        t2 = time.perf_counter()
        sig, keys, valid = signatures(texts)
        family = index.assign(sig, keys, valid)
        t3 = time.perf_counter()
        fam = family_hex_array(family)
        part = pa.table({"ph": batch["ph"], "fingerprint": fps["template"], "simhash": fps["simhash"],
                         "capability": fps["capability"], "family": fam})
        con.register("_promptmap_part", part)
        con.execute(f"INSERT INTO {PROMPT_MAP} SELECT * FROM _promptmap_part")
        con.unregister("_promptmap_part")
        for k, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3)):
            spent[k] += dt
    con.execute("DROP TABLE _prompts")
    log.debug("prompt map: %d distinct prompts, %s", total, ", ".join(f"{k} {v:.2f}s" for k, v in spent.items()))
    return spent
