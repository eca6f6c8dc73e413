"""The bulk first load, for real: our export, the assembled server's own `neo4j-admin database
import full` into a fresh database, and the engine's queries answering as the embedded store does."""

from __future__ import annotations

import pytest
from neo4j_bulk import BulkLoad, artifact_rows, bulk_loaded, imported_counts, manifest  # noqa: F401

from linkage.store.cypher_files import load_cypher

pytestmark = pytest.mark.neo4j


def test_neo4j_admin_imports_every_exported_row(bulk_loaded: BulkLoad) -> None:
    m = manifest(bulk_loaded.export_dir)
    node_rows = sum(m["rows"][f["name"]] for f in m["files"] if not f["edge"])
    edge_rows = sum(m["rows"][f["name"]] for f in m["files"] if f["edge"])
    assert m["quarantined"] == {} and m["implied"] == {}  # a real ingest has a row for every node
    assert imported_counts(bulk_loaded.import_output) == (node_rows, edge_rows)
    assert node_rows > 2000 and edge_rows > 10000


def test_the_imported_graph_has_the_embedded_stores_counts(bulk_loaded: BulkLoad) -> None:
    nodes = dict(bulk_loaded.query("MATCH (n) WITH labels(n)[0] AS label WHERE label <> 'IngestedFile' "
                                   "RETURN label, count(*)"))
    edges = dict(bulk_loaded.query("MATCH ()-[r]->() RETURN type(r), count(*)"))
    # Ring counts only active rings in stats(); every exported ring is active in a first run.
    expected_nodes = {k: v for k, v in bulk_loaded.stats.nodes.items() if v}
    assert {k: v for k, v in nodes.items() if k not in ("Model", "RingChange")} == expected_nodes
    derived = ("RANGE_OF", "HAS_EMAIL_DOMAIN", "DETECTED_IN", "RECORDED")  # no table of their own
    assert {k: v for k, v in edges.items() if k not in derived} == {
        k: v for k, v in bulk_loaded.stats.edges.items() if v}
    assert edges["ACTIVE_IN"] > 0 and edges["SEEN_IN_WINDOW"] > 0 and nodes["Model"] >= 2
    assert edges["HAS_EMAIL_DOMAIN"] == nodes["Account"]  # every simulated account has an e-mail
    assert edges["RANGE_OF"] == nodes["ProxyRange"] and edges["DETECTED_IN"] == nodes["Ring"]
    assert edges["RECORDED"] == nodes["RingChange"] == len(bulk_loaded.rings)  # one 'new' per ring


def test_the_detectors_read_answers_exactly_as_the_embedded_store(bulk_loaded: BulkLoad) -> None:
    # account_artifacts.cypher is what the Neo4j engine feeds the detector: same rows, counts, times.
    columns = ["account_id", "kind", "artifact", "count", "first_seen", "last_seen"]
    rows = [dict(zip(columns, r)) for r in bulk_loaded.query(load_cypher("account_artifacts"))]
    assert artifact_rows(rows) == bulk_loaded.account_artifacts
    assert {r["kind"] for r in rows} >= {"ip", "proxy", "payment", "prompt", "user_agent", "email_domain"}


def test_rings_and_members_read_back_as_the_embedded_store_has_them(bulk_loaded: BulkLoad) -> None:
    rows = bulk_loaded.query(load_cypher("rings"), include_dissolved=False)
    assert [(r[0], r[1], r[3], sorted(r[7])) for r in rows] == [
        (r.ring_id, r.score, r.size, sorted(r.members)) for r in bulk_loaded.rings]
    assert len(rows) >= 2


def test_an_ingest_after_the_bulk_load_knows_the_files_are_applied(bulk_loaded: BulkLoad) -> None:
    rows = bulk_loaded.query(load_cypher("ingested_hashes"))
    assert {r[0] for r in rows} == bulk_loaded.ingested_hashes and len(rows) == 4


def test_evidence_paths_run_on_the_imported_graph(bulk_loaded: BulkLoad) -> None:
    ring = bulk_loaded.rings[0]
    a, b = sorted(ring.members)[:2]
    rows = bulk_loaded.query(load_cypher("evidence_paths"), account_a=a, account_b=b, limit=5)
    assert rows, f"no path between two members of {ring.ring_id}"
    hops, kinds = rows[0]
    assert hops[0] == a and hops[-1] == b and kinds[0] == kinds[-1] == "Account"
