"""The streamed prompt map: every distinct text once, keyed by DuckDB's hash, the same fingerprints as
the compiled pass and the same families as a serial loop over the same chunks; and its parts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkage.ingest.families import SIMILARITY, FamilyIndex, _components, _sort_keys, assign_families
from linkage.ingest.fingerprint import fingerprint_table
from linkage.ingest.minhash import signatures
from linkage.ingest.prompt_map import build_prompt_map, template_keys
from linkage.ingest.seen import SeenHashes
from linkage.simulate import templates as T
from linkage.simulate.family_corpus import operator_bank


def test_seen_hashes_mark_only_the_first_occurrence_across_batches_and_growth() -> None:
    rng = np.random.default_rng(3)
    seen, reference = SeenHashes(capacity=16), set()
    for _ in range(30):  # far past the first table size: it has to grow, keeping what it holds
        batch = rng.integers(0, 5_000, 700).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        batch[:3] = 0  # the hash 0 (the table's "empty") is a value like any other
        fresh = seen.first_time(batch)
        expected = []
        for h in batch.tolist():
            expected.append(h not in reference)
            reference.add(h)
        assert fresh.tolist() == expected
    assert len(seen) == len(reference)


def test_band_keys_sorted_band_by_band_keep_each_key_with_its_prompt() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2 ** 63, (3_000, 16), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    keys[::9] = keys[4]  # long runs of one key, as a family's common band keys make
    flat, owner = _sort_keys(keys)
    for t in range(16):
        seg, who = flat[t * 3_000:(t + 1) * 3_000], owner[t * 3_000:(t + 1) * 3_000]
        assert np.all(seg[1:] >= seg[:-1]) and np.array_equal(keys[who, t], seg)
        assert np.array_equal(np.sort(who), np.arange(3_000))


def test_components_do_not_depend_on_the_order_within_a_run_of_equal_keys() -> None:
    a, b = operator_bank(2)
    rng = np.random.default_rng(9)
    texts = [T.fill(a if i % 2 else b, rng, T.FILL_STYLES[i % 5]) for i in range(400)]
    sig, keys, valid = signatures(texts)
    assert valid.all()
    flat, owner = _sort_keys(keys)
    need = int(np.ceil(SIMILARITY * sig.shape[1]))
    root = _components(flat, owner, sig, need, len(texts))
    for seed in range(3):  # the same runs, each shuffled within itself
        perm = np.lexsort((np.random.default_rng(seed).random(len(flat)), flat))
        assert np.array_equal(_components(flat[perm], owner[perm], sig, need, len(texts)), root)
    assert len(np.unique(root)) < 40  # the two templates did join (each into a few components at most)
    # a chain the head decides: B is similar to A and to C, A and C are not; one key holds all three
    chain = np.zeros((3, 64), np.uint32)
    chain[1, :20] = 1
    chain[2, :40] = 1
    got = {tuple(_components(np.full(3, np.uint64(77)), np.array(order), chain, need, 3))
           for order in ([0, 1, 2], [1, 0, 2], [2, 1, 0], [2, 0, 1])}
    assert len(got) == 1


@pytest.fixture(scope="module")
def requests() -> pa.Table:
    rng = np.random.default_rng(11)
    a, b = operator_bank(2)
    texts = [T.fill(a if i % 3 else b, rng, T.FILL_STYLES[i % 5]) for i in range(900)]
    texts += [f"what is the capital of country number {i}" for i in range(200)]
    picks = rng.integers(0, len(texts), 3_000)  # each text sent several times, in any order
    column = [texts[i] for i in picks] + [None] * 40 + ["hello"] * 60
    order = rng.permutation(len(column))
    return pa.table({"v": pa.array([column[i] for i in order], pa.string()), "pos": pa.array(np.arange(len(order)))})


def test_streamed_map_holds_each_distinct_prompt_once_with_its_fingerprint_and_serial_families(
        requests: pa.Table, tmp_path: Path) -> None:
    con = duckdb.connect()
    # as the staging database runs: any order allowed, several threads, a parquet file of many row groups
    # (the map must still read the prompts in the file's order, or which prompts share a chunk varies)
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET threads = 4")
    pq.write_table(requests, tmp_path / "r.parquet", row_group_size=64)
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{tmp_path / 'r.parquet'}')")
    build_prompt_map(con, "SELECT v FROM t", FamilyIndex(), chunk=250, batch_rows=128)
    got = con.sql("SELECT ph, fingerprint, simhash, capability, family FROM _promptmap").to_arrow_table()
    # one row per distinct raw text that is not blank, keyed by DuckDB's hash of it (what the request
    # encoder joins on); the map sees each text as trim() gives it (the simulator pads some fillings)
    raw = con.sql("SELECT DISTINCT hash(v) AS ph, trim(v) AS tv FROM t WHERE trim(v) <> ''").to_arrow_table()
    first = con.sql("""SELECT trim(v) AS tv, min(pos) AS pos FROM t
                       WHERE trim(v) <> '' GROUP BY tv ORDER BY pos""").to_arrow_table()
    # (a padded text also has a row under the hash of its trimmed text)
    assert got.num_rows == len(set(got["ph"].to_pylist())) and set(raw["ph"].to_pylist()) <= set(got["ph"].to_pylist())
    by_ph = {ph: i for i, ph in enumerate(got["ph"].to_pylist())}
    by_text = {tv: i for i, tv in enumerate(first["tv"].to_pylist())}
    rows = [by_ph[ph] for ph in raw["ph"].to_pylist()]
    want = [by_text[tv] for tv in raw["tv"].to_pylist()]
    fps = fingerprint_table(first["tv"])
    for col, name in (("fingerprint", "template"), ("simhash", "simhash"), ("capability", "capability")):
        assert got[col].take(rows).to_pylist() == fps[name].take(want).to_pylist()
    # families: those of a serial loop over the same chunks (distinct trimmed texts in stream order, 250 a chunk)
    serial = assign_families(first["tv"], FamilyIndex(), chunk=250)
    want_fam = [f"{int(f):016x}" if f else None for f in serial.tolist()]
    assert got["family"].take(rows).to_pylist() == [want_fam[i] for i in want]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False
    assert sum(f is not None for f in want_fam) >= 800  # the operator fillings did form families


def test_template_keys_are_the_hex_values_and_promptfp_holds_each_template_once(requests: pa.Table) -> None:
    hexes = [f"{v:016x}" for v in (0, 1, 2**64 - 1, 0xDEADBEEF00C0FFEE, 0x0123456789ABCDEF)]
    assert template_keys(pa.array(hexes)).tolist() == [int(h, 16) for h in hexes]
    con = duckdb.connect()
    con.register("t", requests)
    build_prompt_map(con, "SELECT v FROM t", FamilyIndex(), chunk=250, batch_rows=128)
    fp = con.sql("SELECT h, fingerprint, simhash, capability FROM _promptfp").fetchall()
    in_map = con.sql("SELECT DISTINCT hash(fingerprint), fingerprint, simhash, capability FROM _promptmap").fetchall()
    assert len({r[1] for r in fp}) == len(fp) == len({r[1] for r in in_map})
    assert set(fp) <= set(in_map)  # each template's values are those of one of its prompts


def test_streamed_map_of_no_prompts_is_an_empty_table() -> None:
    con = duckdb.connect()
    build_prompt_map(con, "SELECT NULL::VARCHAR AS v", FamilyIndex())
    assert con.execute("SELECT count(*) FROM _promptmap").fetchall()[0][0] == 0
    assert [c[0] for c in con.sql("DESCRIBE _promptmap").fetchall()] == [
        "ph", "fingerprint", "simhash", "capability", "family"]


def test_prompts_reach_the_passes_in_the_files_order_whatever_the_scan_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Which prompts share a chunk decides the small families: a parallel scan in any order would make
    two ingests of the same file differ, so the stream keeps the file's order (and restores the setting)."""
    import linkage.ingest.prompt_map as M
    texts = [f"prompt {i} asks for item {i % 97} of the list" for i in range(120_000)]
    pq.write_table(pa.table({"v": texts}), tmp_path / "p.parquet", row_group_size=2048)
    seen: list[str] = []
    real = M.fingerprint_table
    monkeypatch.setattr(M, "fingerprint_table", lambda t: (seen.extend(t.to_pylist()), real(t))[1])
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET threads = 4")
    build_prompt_map(con, f"SELECT v FROM read_parquet('{tmp_path / 'p.parquet'}')", FamilyIndex(), chunk=10_000)
    # each text once, in the file's order; a text whose DuckDB hash() an earlier one has is that one's
    # (DuckDB's string hash does collide on such regular texts: "prompt 2 … item 2" and "prompt 6 … item 6")
    hashes = [r[0] for r in duckdb.execute("SELECT hash(v) FROM (SELECT unnest(?) AS v)", [texts]).fetchall()]
    firsts = {h: t for h, t in reversed(list(zip(hashes, texts)))}
    assert seen == [t for h, t in zip(hashes, texts) if firsts[h] is t]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0] is False
