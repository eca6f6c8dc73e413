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
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor

import duckdb
import pyarrow as pa

from linkage.ingest.families import CHUNK, FamilyIndex, family_hex
from linkage.ingest.fingerprint import fingerprint_prompts
from linkage.ingest.minhash import signatures

log = logging.getLogger("linkage.ingest")
PROMPT_MAP = "_promptmap"
PARALLEL_MIN = 50_000  # distinct prompts from which fingerprinting is spread over worker processes


def fingerprint_columns(texts: list[str]) -> tuple[list[str], list[int], list[str]]:
    """(templates, simhashes, capabilities) of raw prompts: what a worker process sends back."""
    fps = fingerprint_prompts(texts)
    return [f.template for f in fps], [f.simhash for f in fps], [f.capability for f in fps]


def _pool(workers: int) -> Executor:
    # fork: no re-import of the caller's main module (a CLI, a test runner); the workers are forked
    # at once, while DuckDB's threads wait between statements, and run pure Python only
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    for fut in [pool.submit(len, "") for _ in range(workers)]:
        fut.result()
    return pool


def _fingerprints(texts: list[str], pool: Executor | None, workers: int):
    """Start fingerprinting `texts` (in `workers` processes if a pool is given); returns a function
    that waits for the three columns."""
    if pool is None:
        cols = fingerprint_columns(texts)
        return lambda: cols
    step = -(-len(texts) // workers)
    futures = [pool.submit(fingerprint_columns, texts[i:i + step]) for i in range(0, len(texts), step)]

    def collect() -> tuple[list[str], list[int], list[str]]:
        out: tuple[list, list, list] = ([], [], [])
        for fut in futures:
            for acc, part in zip(out, fut.result()):
                acc.extend(part)
        return out
    return collect


def build_prompt_map(con: duckdb.DuckDBPyConnection, distinct_sql: str, index: FamilyIndex,
                     chunk: int = CHUNK, workers: int = 0) -> None:
    """Create `_promptmap` (ph, fingerprint, simhash, capability, family) over the prompts `distinct_sql`
    yields (one column `v`, NULL-free or not); families learnt on the way stay in `index.learnt`.

    Fingerprints (Python) are computed by `workers` processes (0: one per core) while this process
    assigns the families (compiled, threaded) of the same chunk."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _prompts AS SELECT row_number() OVER () - 1 AS rid, v"
                f" FROM ({distinct_sql}) WHERE v IS NOT NULL")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PROMPT_MAP} (ph UBIGINT, fingerprint VARCHAR, simhash UBIGINT,
        capability VARCHAR, family VARCHAR)""")
    total = con.execute("SELECT count(*) FROM _prompts").fetchall()[0][0]
    spent = {"fingerprint": 0.0, "family": 0.0}
    workers = workers or os.cpu_count() or 1
    pool = _pool(workers) if total >= PARALLEL_MIN and workers > 1 else None
    try:
        for lo in range(0, total, chunk):
            batch = con.sql(f"SELECT hash(v) AS ph, v FROM _prompts WHERE rid >= {lo} AND rid < {lo + chunk}"
                            ).to_arrow_table()
            texts = batch["v"].combine_chunks()
            t0 = time.perf_counter()
            pending = _fingerprints(texts.to_pylist(), pool, workers)
            t1 = time.perf_counter()
            sig, keys, valid = signatures(texts)
            family = index.assign(sig, keys, valid)
            t2 = time.perf_counter()
            templates, simhashes, capabilities = pending()
            spent["family"] += t2 - t1
            spent["fingerprint"] += (t1 - t0) + (time.perf_counter() - t2)
            fam = pa.array([family_hex(f) if f else None for f in family.tolist()], pa.string())
            part = pa.table({
                "ph": batch["ph"], "fingerprint": pa.array(templates, pa.string()),
                "simhash": pa.array(simhashes, pa.uint64()), "capability": pa.array(capabilities, pa.string()),
                "family": fam,
            })
            con.register("_promptmap_part", part)
            con.execute(f"INSERT INTO {PROMPT_MAP} SELECT * FROM _promptmap_part")
            con.unregister("_promptmap_part")
    finally:
        if pool is not None:
            pool.shutdown()
    con.execute("DROP TABLE _prompts")
    log.debug("prompt map: %d distinct prompts, families %.2fs, then waiting for fingerprints %.2fs more"
              " (%s)", total, spent["family"], spent["fingerprint"],
              f"{workers} worker processes" if pool is not None else "in this process")


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

