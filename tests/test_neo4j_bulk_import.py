"""The bulk first load, for real: our export, the assembled server's own `neo4j-admin database
import full` into a fresh database, and the Neo4j engine on that database answering every read
exactly as the embedded store it was exported from."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j_bulk import BulkLoad, artifact_rows, bulk_loaded, imported_counts, manifest  # noqa: F401

from linkage.store.embedded import EmbeddedStore
from linkage.store.tables import GRAPH_TABLES

pytestmark = pytest.mark.neo4j
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine(bulk_loaded: BulkLoad) -> Iterator["object"]:
    from linkage.store.neo4j_engine import Neo4jStore

    info = bulk_loaded.info
    with Neo4jStore(info.neo4j_url, info.user, info.password) as store:  # creates the constraints too
        yield store


@pytest.fixture(scope="module")
def embedded(bulk_loaded: BulkLoad) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(str(bulk_loaded.embedded_path)) as store:
        yield store


def _sorted_rows(table, keys: list[str]) -> list[tuple]:
    return sorted(tuple(r.values()) for r in table.select(keys + [c for c in table.column_names
                                                                   if c not in keys]).to_pylist())


def _canonical(ring) -> dict:
    # The embedded store orders a ring's artifacts by specificity and members, ties in no set order.
    dumped = ring.model_dump()
    dumped["artifacts"] = sorted(dumped["artifacts"], key=lambda a: (a["kind"], a["artifact"]))
    return dumped


def test_neo4j_admin_imports_every_exported_row(bulk_loaded: BulkLoad) -> None:
    m = manifest(bulk_loaded.export_dir)
    node_rows = sum(m["rows"][f["name"]] for f in m["files"] if not f["edge"])
    edge_rows = sum(m["rows"][f["name"]] for f in m["files"] if f["edge"])
    assert m["quarantined"] == {} and m["implied"] == {}  # a real ingest has a row for every node
    assert imported_counts(bulk_loaded.import_output) == (node_rows, edge_rows)
    assert node_rows > 2000 and edge_rows > 10000


def test_the_engine_counts_the_imported_graph_as_the_embedded_store(bulk_loaded: BulkLoad, engine) -> None:
    assert engine.stats() == bulk_loaded.stats
    derived = dict(bulk_loaded.query("MATCH ()-[r:HAS_EMAIL_DOMAIN|RANGE_OF|DETECTED_IN|RECORDED]->() "
                                     "RETURN type(r), count(*)"))
    assert derived["HAS_EMAIL_DOMAIN"] == bulk_loaded.stats.nodes["Account"]  # every simulated account has one
    assert derived["RANGE_OF"] == bulk_loaded.stats.nodes["ProxyRange"]
    assert derived["DETECTED_IN"] == derived["RECORDED"] == len(bulk_loaded.rings)  # a first run: all new


@pytest.mark.parametrize("table", [t.name for t in GRAPH_TABLES])
def test_every_table_reads_back_row_for_row(table: str, engine, embedded: EmbeddedStore) -> None:
    spec = next(t for t in GRAPH_TABLES if t.name == table)
    got, want = engine.read_table(table), embedded.read_table(table)
    assert got.num_rows == want.num_rows
    assert _sorted_rows(got, spec.keys) == _sorted_rows(want, spec.keys)


def test_the_detectors_inputs_answer_exactly_as_the_embedded_store(
        bulk_loaded: BulkLoad, engine, embedded: EmbeddedStore) -> None:
    assert artifact_rows(engine.account_artifacts().to_pylist()) == bulk_loaded.account_artifacts
    for kinds in (("prompt",), ("ip", "prompt")):
        def groups(store) -> list[tuple]:
            t = store.co_window_groups(5000, kinds).to_pylist()
            members: dict[object, list[str]] = {}
            for r in t:
                members.setdefault(r["group"], []).append(r["account_id"])
            return sorted(tuple(sorted(m)) for m in members.values())
        assert groups(engine) == groups(embedded), kinds


def test_rings_runs_and_changes_read_back_as_the_embedded_store_has_them(
        bulk_loaded: BulkLoad, engine, embedded: EmbeddedStore) -> None:
    assert [_canonical(r) for r in engine.rings()] == [_canonical(r) for r in bulk_loaded.rings]
    assert len(bulk_loaded.rings) >= 2
    ring = bulk_loaded.rings[0]
    got, want = engine.rings_of_account(ring.members[0]), embedded.rings_of_account(ring.members[0])
    assert [_canonical(r) for r in got] == [_canonical(r) for r in want] and len(got) == 1
    assert engine.detection_runs() == embedded.detection_runs()
    assert engine.ring_changes() == embedded.ring_changes()


def test_a_batched_ingest_after_the_bulk_load_is_a_no_op(bulk_loaded: BulkLoad, engine) -> None:
    assert engine.ingested_hashes() == bulk_loaded.ingested_hashes and len(bulk_loaded.ingested_hashes) == 4
    env = {**os.environ, "PYTHONPATH": str(ROOT), **bulk_loaded.env()}
    done = subprocess.run([sys.executable, "-m", "linkage", "ingest", str(bulk_loaded.data_dir)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert engine.stats() == bulk_loaded.stats


def test_the_browser_guide_walks_the_imported_graph(bulk_loaded: BulkLoad) -> None:
    from linkage.store.browser_guide import browser_guide

    top_rings, members, shared, path, rings_of_account = browser_guide()
    ring = bulk_loaded.rings[0]
    a, b = sorted(ring.members)[:2]
    drawn = bulk_loaded.query(top_rings.text, **top_rings.params)
    assert len(drawn) == sum(r.size for r in bulk_loaded.rings[:5])  # one row per MEMBER_OF drawn
    listed = bulk_loaded.query(members.text, ring_id=ring.ring_id)
    assert sorted(r[0] for r in listed) == sorted(ring.members)
    assert [r[1] for r in listed] == sorted((r[1] for r in listed), reverse=True)  # most firmly tied first
    assert bulk_loaded.query(shared.text, ring_id=ring.ring_id, min_members=2)
    assert bulk_loaded.query(shared.text, ring_id=ring.ring_id, min_members=ring.size + 1) == []
    assert bulk_loaded.query(path.text, account_a=a, account_b=b, limit=10)
    assert len(bulk_loaded.query(rings_of_account.text, account_id=a)) == ring.size
