"""The prompt map: every distinct raw prompt of a batch -> fingerprint, SimHash, capability, family.

The requests' prompt column is streamed out of DuckDB in Arrow record batches
with DuckDB's hash of each text (the key the request encoder joins on). A
compiled hash set (`seen.SeenHashes`, 8 bytes per distinct prompt) keeps the
first occurrence of each text: no global `SELECT DISTINCT`, which at full scale
held and spilled gigabytes of raw text. New texts gather into chunks of `CHUNK`
prompts; this thread fingerprints each chunk (`fingerprint_table`) while a
worker thread signs the previous one (`minhash.signatures`) and assigns its
families (`families.FamilyIndex`, seeded with the band keys the store already
knows): two halves of about the same cost, one core each (the compiled code
and numpy's sorts release the GIL). Chunks reach the index one after another,
in stream order, so the families are the ones a serial loop over the same
chunks would find. The text itself does not enter the map: only its hash does.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb
import numba
import pyarrow as pa

from linkage.ingest.families import CHUNK, FamilyIndex, family_hex, family_hex_array
from linkage.ingest.fingerprint import fingerprint_table
from linkage.ingest.minhash import signatures
from linkage.ingest.seen import SeenHashes

log = logging.getLogger("linkage.ingest")
PROMPT_MAP = "_promptmap"
BATCH_ROWS = 1 << 19  # request rows per Arrow batch read from DuckDB


class _Chunks:
    """New (hash, text) pairs gathered until a chunk is full."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ph: list[pa.Array] = []
        self.texts: list[pa.Array] = []
        self.n = 0

    def add(self, ph: pa.Array, texts: pa.Array) -> None:
        if len(ph):
            self.ph.append(ph)
            self.texts.append(texts)
            self.n += len(ph)

    def take(self, final: bool) -> tuple[pa.Array, pa.Array] | None:
        """The next full chunk (or, when `final`, whatever is left), or None."""
        if self.n == 0 or (self.n < self.size and not final):
            return None
        ph = pa.chunked_array(self.ph, pa.uint64()).combine_chunks()
        texts = pa.chunked_array(self.texts, self.texts[0].type).combine_chunks()
        cut = min(self.size, self.n)
        rest_ph, rest_texts = ph.slice(cut), texts.slice(cut)
        self.ph, self.texts, self.n = ([rest_ph], [rest_texts], len(rest_ph)) if len(rest_ph) else ([], [], 0)
        return ph.slice(0, cut), texts.slice(0, cut)


def build_prompt_map(con: duckdb.DuckDBPyConnection, prompt_sql: str, index: FamilyIndex,
                     chunk: int = CHUNK, workers: int = 0, batch_rows: int = BATCH_ROWS) -> dict[str, float]:
    """Create `_promptmap` (ph, fingerprint, simhash, capability, family) over the distinct prompts of
    `prompt_sql` (one column `v`, repeats and NULLs allowed); families learnt on the way stay in
    `index.learnt`. Returns seconds per step (`family` and `fingerprint` overlap). `workers` is accepted for
    callers of the former process pool."""
    del workers
    spent = {"read": 0.0, "fingerprint": 0.0, "family": 0.0, "wait": 0.0, "write": 0.0}
    seen = SeenHashes()
    pending = _Chunks(chunk)
    parts: list[pa.Table] = []

    def families_of(ph: pa.Array, texts: pa.Array, fps: pa.Table) -> None:
        t0 = time.perf_counter()
        family = family_hex_array(index.assign(*signatures(texts)))
        parts.append(pa.table({"ph": ph, "fingerprint": fps["template"], "simhash": fps["simhash"],
                               "capability": fps["capability"], "family": family}))
        spent["family"] += time.perf_counter() - t0

    def process(job: tuple[pa.Array, pa.Array], running: Future | None, pool: ThreadPoolExecutor) -> Future:
        ph, texts = job
        t0 = time.perf_counter()
        fps = fingerprint_table(texts)
        t1 = time.perf_counter()
        if running is not None:
            running.result()  # the index takes chunks in order
        spent["fingerprint"] += t1 - t0
        spent["wait"] += time.perf_counter() - t1
        return pool.submit(families_of, ph, texts, fps)

    reader = con.sql(f"SELECT hash(v) AS ph, v FROM ({prompt_sql}) WHERE v IS NOT NULL"
                     ).to_arrow_reader(batch_rows)
    running: Future | None = None
    # One numba thread on each side: fingerprints here, signatures + families on the worker (about the
    # same cost). Two parallel passes sharing two cores would each wait for their slowest thread.
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # thread-local: this thread only
    try:
        with ThreadPoolExecutor(max_workers=1, initializer=numba.set_num_threads, initargs=(1,)) as pool:
            t0 = time.perf_counter()
            for batch in reader:
                ph = batch.column(0)
                fresh = pa.array(seen.first_time(ph.to_numpy(zero_copy_only=False)))
                pending.add(ph.filter(fresh), batch.column(1).filter(fresh))
                spent["read"] += time.perf_counter() - t0
                while (job := pending.take(final=False)) is not None:
                    running = process(job, running, pool)
                t0 = time.perf_counter()
            reader.close()  # the connection is free again once its result is closed
            spent["read"] += time.perf_counter() - t0
            if running is not None:
                t0 = time.perf_counter()
                running.result()
                spent["wait"] += time.perf_counter() - t0
    finally:
        numba.set_num_threads(threads)
    # The last (often the only: a nightly batch) chunk has nothing to overlap with: all threads on each pass.
    while (job := pending.take(final=True)) is not None:
        t0 = time.perf_counter()
        fps = fingerprint_table(job[1])
        spent["fingerprint"] += time.perf_counter() - t0
        families_of(job[0], job[1], fps)
    t0 = time.perf_counter()
    empty = pa.table({"ph": pa.array([], pa.uint64()), "fingerprint": pa.array([], pa.string()),
                      "simhash": pa.array([], pa.uint64()), "capability": pa.array([], pa.string()),
                      "family": pa.array([], pa.string())})
    table = pa.concat_tables([empty, *parts]) if parts else empty
    parts.clear()
    con.register("_promptmap_arrow", table)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PROMPT_MAP} AS SELECT ph::UBIGINT AS ph, fingerprint::VARCHAR AS
        fingerprint, simhash::UBIGINT AS simhash, capability::VARCHAR AS capability, family::VARCHAR AS family
        FROM _promptmap_arrow""")
    con.unregister("_promptmap_arrow")
    del table
    spent["write"] += time.perf_counter() - t0
    log.debug("prompt map: %d distinct prompts, %s (family on a worker thread beside the rest)", len(seen),
              ", ".join(f"{k} {v:.2f}s" for k, v in spent.items()))
    return spent


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

