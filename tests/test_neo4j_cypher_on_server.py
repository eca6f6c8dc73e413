"""Every Cypher file compiles on the real Neo4j 5.26 + GDS server (EXPLAIN: parsed, checked and
planned, nothing run), and the schema statements are idempotent there."""

from __future__ import annotations

import pytest

from linkage.store.cypher_files import cypher_names, load_cypher

pytestmark = pytest.mark.neo4j


def test_every_statement_compiles_on_the_server(neo4j_store) -> None:
    failed = {}
    with neo4j_store.driver.session(database=neo4j_store.database) as session:
        for name in cypher_names():
            if name == "schema":
                continue
            try:
                session.run("EXPLAIN " + load_cypher(name)).consume()
            except Exception as exc:  # noqa: BLE001 - collect them all, report together
                failed[name] = str(exc)[:300]
    assert not failed, failed


def test_schema_is_created_idempotently(neo4j_store) -> None:
    neo4j_store.create_schema()
    neo4j_store.create_schema()
    with neo4j_store.driver.session(database=neo4j_store.database) as session:
        names = {r["name"] for r in session.run("SHOW CONSTRAINTS YIELD name")}
    assert {"account_id", "ip_address", "ring_id", "applied_batch", "pending_load"} <= names
