"""The prompt map: every distinct raw prompt of a batch -> fingerprint, SimHash, capability, family.

Distinct prompts are numbered in DuckDB and read back a chunk at a time, so
Python never holds more than one chunk of raw text: each chunk is fingerprinted
(`fingerprint_prompts`), its families assigned (`families.FamilyIndex`, seeded
with the band keys the store already knows), and appended to `_promptmap`
keyed by the hash of the text (the request encoder joins on that hash). The text
itself does not enter the map.
"""

from __future__ import annotations

import logging
import time

import duckdb
import pyarrow as pa

from linkage.ingest.families import CHUNK, FamilyIndex, family_hex
from linkage.ingest.fingerprint import fingerprint_prompts
from linkage.ingest.minhash import signatures

log = logging.getLogger("linkage.ingest")
PROMPT_MAP = "_promptmap"


def build_prompt_map(con: duckdb.DuckDBPyConnection, distinct_sql: str, index: FamilyIndex,
                     chunk: int = CHUNK) -> None:
    """Create `_promptmap` (ph, fingerprint, simhash, capability, family) over the prompts `distinct_sql`
    yields (one column `v`, NULL-free or not); families learnt on the way stay in `index.learnt`."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _prompts AS SELECT row_number() OVER () - 1 AS rid, v"
                f" FROM ({distinct_sql}) WHERE v IS NOT NULL")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PROMPT_MAP} (ph UBIGINT, fingerprint VARCHAR, simhash UBIGINT,
        capability VARCHAR, family VARCHAR)""")
    total = con.execute("SELECT count(*) FROM _prompts").fetchall()[0][0]
    spent = {"fingerprint": 0.0, "family": 0.0}
    for lo in range(0, total, chunk):
        batch = con.sql(f"SELECT hash(v) AS ph, v FROM _prompts WHERE rid >= {lo} AND rid < {lo + chunk}"
                        ).to_arrow_table()
        texts = batch["v"].combine_chunks()
        t0 = time.perf_counter()
        fps = fingerprint_prompts(texts.to_pylist())
        t1 = time.perf_counter()
        sig, keys, valid = signatures(texts)
        family = index.assign(sig, keys, valid)
        t2 = time.perf_counter()
        spent["fingerprint"] += t1 - t0
        spent["family"] += t2 - t1
        fam = pa.array([family_hex(f) if f else None for f in family.tolist()], pa.string())
        part = pa.table({
            "ph": batch["ph"], "fingerprint": pa.array([f.template for f in fps], pa.string()),
            "simhash": pa.array([f.simhash for f in fps], pa.uint64()),
            "capability": pa.array([f.capability for f in fps], pa.string()), "family": fam,
        })
        con.register("_promptmap_part", part)
        con.execute(f"INSERT INTO {PROMPT_MAP} SELECT * FROM _promptmap_part")
        con.unregister("_promptmap_part")
    con.execute("DROP TABLE _prompts")
    log.debug("prompt map: %d distinct prompts, fingerprints %.2fs, families %.2fs", total,
              spent["fingerprint"], spent["family"])


def learnt_keys(index: FamilyIndex) -> pa.Table:
    """The band keys learnt in this batch, as `prompt_family_key` rows."""
    items = sorted(index.learnt.items())
    return pa.table({"band_key": pa.array([family_hex(k) for k, _ in items], pa.string()),
                     "family_id": pa.array([family_hex(f) for _, f in items], pa.string())})


def family_query() -> str:
    """`prompt_family` rows: each family of the batch with the capability most of its prompts have."""
    return f"""
        SELECT family AS family_id, mode(capability) AS capability FROM {PROMPT_MAP}
        WHERE family IS NOT NULL GROUP BY family"""

