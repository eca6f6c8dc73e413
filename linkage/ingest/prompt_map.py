"""The prompt map: every distinct raw prompt of a batch -> fingerprint, SimHash, capability, family.

The requests' prompt column is streamed out of DuckDB in Arrow record batches
with DuckDB's hash of each raw text (the key the request encoder joins on). The
key is the text as it came, untrimmed: DuckDB's Unicode-aware `trim()` over 36 M
prompts cost more than a minute per pass, so the map trims instead (`_Canonical`:
the same Unicode space separators, only on the few texts that have one at an end,
which are then keyed by the hash of their trimmed text, with an alias from their
raw key); a text blank once trimmed gets no map row (the request keeps its
precomputed fingerprint, if any, as before). A
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
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from linkage.ingest.families import CHUNK, FamilyIndex, family_hex, family_hex_array
from linkage.ingest.fingerprint import fingerprint_table
from linkage.ingest.minhash import _utf8_buffers, signatures
from linkage.ingest.seen import SeenHashes

log = logging.getLogger("linkage.ingest")
PROMPT_MAP = "_promptmap"
PROMPT_FINGERPRINTS = "_promptfp"  # (h, fingerprint, simhash, capability): one row per distinct template
BATCH_ROWS = 1 << 19  # request rows per Arrow batch read from DuckDB
# What DuckDB's trim() removes from both ends (checked against DuckDB over every code point): the
# Unicode space separators, category Zs.
SPACE_SEPARATORS = "\u0020\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"


@njit(cache=True, inline="always")
def _separator_at(data: np.ndarray, p: int, end: int) -> int:
    """Byte length of the space separator whose UTF-8 starts at `p` (before `end`), 0 if none is there."""
    if p >= end:
        return 0
    b0 = data[p]
    if b0 == 0x20:
        return 1
    if b0 == 0xC2:
        return 2 if p + 1 < end and data[p + 1] == 0xA0 else 0
    if p + 2 >= end or b0 < 0xE1 or b0 > 0xE3:
        return 0
    b1, b2 = data[p + 1], data[p + 2]
    if b0 == 0xE1:  # U+1680
        hit = b1 == 0x9A and b2 == 0x80
    elif b0 == 0xE3:  # U+3000
        hit = b1 == 0x80 and b2 == 0x80
    else:  # U+2000..U+200A, U+202F, U+205F
        hit = (b1 == 0x80 and (b2 <= 0x8A or b2 == 0xAF)) or (b1 == 0x81 and b2 == 0x9F)
    return 3 if hit else 0


@njit(cache=True, nogil=True)
def _separator_ends(data: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    """out[i]: text i starts or ends with a space separator (a lead byte is never a continuation
    byte, so a separator found k bytes before the end ends exactly there)."""
    for i in range(len(offsets) - 1):
        start, end = offsets[i], offsets[i + 1]
        hit = _separator_at(data, start, end) > 0
        for k in range(1, 4):
            if not hit and end - k >= start and _separator_at(data, end - k, end) == k:
                hit = True
        out[i] = hit


def separator_ends(texts: pa.Array) -> np.ndarray:
    """Boolean per text: it starts or ends with a space separator (so `trim()` would change it)."""
    data, offsets = _utf8_buffers(texts)
    edge = np.zeros(len(texts), np.bool_)
    if len(texts):
        _separator_ends(data, offsets, edge)
    return edge


def _trimmed_rows(texts: pa.Array) -> tuple[pa.BooleanArray, pa.Array] | None:
    """(mask of the rows `trim()` would change, those rows trimmed), or None when there are none."""
    edge = separator_ends(texts)
    if not edge.any():
        return None
    mask = pa.array(edge)
    return mask, pa.array([t.strip(SPACE_SEPARATORS) for t in pc.filter(texts, mask).to_pylist()], texts.type)


def trim_spaces(texts: pa.Array) -> pa.Array:
    """`texts` as DuckDB's `trim()` gives them; only the rows with a separator at an end go through Python."""
    found = _trimmed_rows(texts)
    return texts if found is None else pc.replace_with_mask(texts, *found)


class _Canonical:
    """Keys and texts as `trim()` would have given them, computed on the few texts that need it.

    A text with a space separator at an end is trimmed here and keyed by DuckDB's hash of the trimmed
    text (on a connection of its own: the staging one is busy streaming), so " x" and "x" are one
    prompt to the map and to the families; its raw key is kept as an alias, which the map resolves at
    the end. A text blank once trimmed is no prompt: left out (its raw key finds no map row)."""

    def __init__(self) -> None:
        self._con = duckdb.connect()
        self.aliases: list[pa.Table] = []

    def __call__(self, ph: pa.Array, texts: pa.Array) -> tuple[pa.Array, pa.Array]:
        found = _trimmed_rows(texts)
        if found is not None:
            mask, trimmed = found
            canon = self._con.from_arrow(pa.table({"v": trimmed})).project("hash(v) AS h").to_arrow_table()["h"]
            canon = canon.combine_chunks() if isinstance(canon, pa.ChunkedArray) else canon
            self.aliases.append(pa.table({"ph": ph.filter(mask), "canon": canon}))
            ph, texts = pc.replace_with_mask(ph, mask, canon), pc.replace_with_mask(texts, mask, trimmed)
        blank = pc.equal(texts, "")
        if pc.any(blank).as_py():
            kept = pc.invert(blank)
            ph, texts = ph.filter(kept), texts.filter(kept)
        return ph, texts

    def close(self) -> None:
        self._con.close()


def template_keys(templates: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The 64-bit values of 16-hex-digit template fingerprints (what the kernel printed), as uint64."""
    if isinstance(templates, pa.ChunkedArray):
        templates = templates.combine_chunks()
    data, offsets = _utf8_buffers(templates)
    if len(templates) and not np.all(np.diff(offsets) == 16):
        raise ValueError("template fingerprints are 16 hex digits")
    digits = data[offsets[0]:offsets[-1]].reshape(-1, 16).astype(np.uint64)
    nibbles = np.where(digits >= 97, digits - np.uint64(87), digits - np.uint64(48))
    return np.bitwise_or.reduce(nibbles << (np.uint64(4) * np.arange(15, -1, -1, dtype=np.uint64)), axis=1)


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
    `prompt_sql` (one column `v` of raw text, repeats and NULLs allowed; keyed by `hash(v)`); families learnt on the way stay in
    `index.learnt`, and `_promptfp` (h = hash(fingerprint), fingerprint, simhash, capability: those of the
    template's first prompt). Returns seconds per step (`family` and `fingerprint` overlap). `workers` is accepted for
    callers of the former process pool."""
    del workers
    spent = {"read": 0.0, "fingerprint": 0.0, "family": 0.0, "wait": 0.0, "write": 0.0}
    seen = SeenHashes()
    canonical = _Canonical()
    pending = _Chunks(chunk)
    parts: list[pa.Table] = []
    # The first prompt of each template gives its row of `_promptfp` (grouping 33 M map rows by the
    # fingerprint text in SQL took ~25 s at full scale; this set takes ~1 s).
    templates, template_parts = SeenHashes(), []

    def families_of(ph: pa.Array, texts: pa.Array, fps: pa.Table) -> None:
        t0 = time.perf_counter()
        family = family_hex_array(index.assign(*signatures(texts)))
        parts.append(pa.table({"ph": ph, "fingerprint": fps["template"], "simhash": fps["simhash"],
                               "capability": fps["capability"], "family": family}))
        template_parts.append(fps.filter(pa.array(templates.first_time(template_keys(fps["template"])))))
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

    # In the files' own order: which prompts share a chunk decides the small families, so an arbitrary
    # parallel-scan order made two ingests of the same files differ in thousands of family rows.
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")
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
                ph, texts = canonical(batch.column(0), batch.column(1))
                fresh = pa.array(seen.first_time(ph.to_numpy(zero_copy_only=False)))
                pending.add(ph.filter(fresh), texts.filter(fresh))
                spent["read"] += time.perf_counter() - t0
                while (job := pending.take(final=False)) is not None:
                    running = process(job, running, pool)
                t0 = time.perf_counter()
            reader.close()  # the connection is free again once its result is closed
            con.execute(f"SET preserve_insertion_order = {'true' if order else 'false'}")
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
    fp_empty = pa.table({"template": pa.array([], pa.string()), "simhash": pa.array([], pa.uint64()),
                         "capability": pa.array([], pa.string())})
    con.register("_promptfp_arrow", pa.concat_tables([fp_empty, *template_parts]))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {PROMPT_FINGERPRINTS} AS SELECT hash(template::VARCHAR) AS h,
        template::VARCHAR AS fingerprint, simhash::UBIGINT AS simhash, capability::VARCHAR AS capability
        FROM _promptfp_arrow""")
    con.unregister("_promptfp_arrow")
    template_parts.clear()
    if canonical.aliases:  # raw keys of padded texts -> the row of their trimmed text
        con.register("_prompt_alias", pa.concat_tables(canonical.aliases))
        con.execute(f"""INSERT INTO {PROMPT_MAP} SELECT a.ph, m.fingerprint, m.simhash, m.capability, m.family
            FROM (SELECT DISTINCT ph, canon FROM _prompt_alias) a JOIN {PROMPT_MAP} m ON m.ph = a.canon""")
        con.unregister("_prompt_alias")
    canonical.close()
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

