"""Graph stores: `open_store(url)` picks the engine from the URL."""

from __future__ import annotations

from linkage.store.base import GraphStore, StoreBusy, StoreError

__all__ = ["GraphStore", "StoreBusy", "StoreError", "open_store"]

NEO4J_SCHEMES = {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}


def open_store(url: "str | GraphStore", memory_limit: str = "4GB", threads: int = 0,
               read_only: bool = False, lazy: bool = False) -> GraphStore:
    """A DuckDB path (default) or `:memory:` gives the embedded engine; `neo4j://`,
    `bolt://` (and their `+s` forms) the Neo4j engine; a ready store is passed through.

    `read_only` and `lazy` matter to the embedded engine (one writer at a time): a
    read-only store opens beside other readers, a lazy one opens the graph file only
    on first use (the API records decisions without locking the graph)."""
    if isinstance(url, GraphStore):
        return url
    if url.split("://", 1)[0] in NEO4J_SCHEMES:
        # imported here: the driver is an optional extra, and the embedded path must not need it
        from linkage.store.neo4j_engine import Neo4jStore

        return Neo4jStore.from_settings(url)
    from linkage.store.embedded import EmbeddedStore

    return EmbeddedStore(url, memory_limit=memory_limit, threads=threads, read_only=read_only, lazy=lazy)
