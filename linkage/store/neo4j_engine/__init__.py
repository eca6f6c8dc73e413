"""The Neo4j + Graph Data Science engine, selected by `neo4j://` / `bolt://` store URLs.

Imported only when such a URL is opened: the `neo4j` and `graphdatascience` packages are
the optional `linkage[neo4j]` extra (also in `dev`), and the embedded path never needs them.
"""

from __future__ import annotations

try:
    from linkage.store.neo4j_engine.store import Neo4jStore
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the installed extras
    if exc.name not in {"neo4j", "graphdatascience"}:
        raise
    raise ModuleNotFoundError(
        f"the Neo4j engine needs the {exc.name!r} package: pip install 'linkage[neo4j]'", name=exc.name) from exc

__all__ = ["Neo4jStore"]
