"""Which CSV files a `neo4j-admin database import full` load takes, and their headers.

Derived from the table specs (`linkage.store.tables`) so that the bulk load and the
batched-MERGE path (`cypher/merge_*.cypher`) build the same graph: one node per key,
`:ID(Label)` id spaces named after the node label, edges between those id spaces,
and every typed column with its import type (`count:long`, `first_seen:datetime`).
Shapes the MERGE path derives rather than copies (e-mail domains, proxy ranges'
`RANGE_OF`) are spelt out here the same way the Cypher files spell them.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.store.tables import GRAPH_TABLES, TABLES

# DuckDB column type -> neo4j-admin import type. Cypher integers are 64-bit, so every
# integer is `long`; UBIGINT (the prompt simhash) keeps its 64 bits as a signed long.
IMPORT_TYPES: dict[str, str] = {
    "VARCHAR": "string", "TIMESTAMPTZ": "datetime", "BIGINT": "long", "INTEGER": "long",
    "TINYINT": "long", "UBIGINT": "long", "DOUBLE": "double", "BOOLEAN": "boolean",
}

# Ingested tables the bulk load leaves out, and why (the MERGE path does not write them as graph either).
NOT_EXPORTED: dict[str, str] = {
    "activity": "hourly activity aggregates stay with the detector's inputs, not the analyst's graph",
    "co_window": "lockstep windows stay with the detector's inputs, not the analyst's graph",
}


@dataclass(frozen=True)
class Field:
    """One CSV column: the source column and the header entry it gets."""

    column: str
    header: str


@dataclass(frozen=True)
class ImportFile:
    """One node or relationship file: `--nodes=Label=...` or `--relationships=TYPE=...`."""

    name: str  # file stem in the export directory
    label: str  # node label or relationship type
    is_edge: bool
    source: str  # graph table (or result set) the rows come from
    fields: tuple[Field, ...]

    @property
    def header(self) -> str:
        return ",".join(f.header for f in self.fields)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    @property
    def option(self) -> str:
        return "--relationships" if self.is_edge else "--nodes"


def _typed(column: str, sql_type: str) -> Field:
    kind = IMPORT_TYPES[sql_type]
    return Field(column, column if kind == "string" else f"{column}:{kind}")


# The id space of every node key column, e.g. account_id -> Account.
ID_SPACES: dict[str, str] = {
    t.keys[0]: t.label for t in GRAPH_TABLES if not t.is_edge and t.name != "ingested_file"
}


def _node_file(table: str, skip: tuple[str, ...] = ()) -> ImportFile:
    spec = TABLES[table]
    key = spec.keys[0]
    fields = [Field(key, f"{key}:ID({spec.label})")]
    fields += [_typed(c.name, c.sql_type) for c in spec.columns if c.name != key and c.name not in skip]
    return ImportFile(table, spec.label, False, table, tuple(fields))


def _edge_file(table: str) -> ImportFile:
    spec = TABLES[table]
    start, end = spec.keys
    fields = [Field(start, f":START_ID({ID_SPACES[start]})"), Field(end, f":END_ID({ID_SPACES[end]})")]
    fields += [_typed(c.name, c.sql_type) for c in spec.columns if c.name not in (start, end)]
    return ImportFile(table, spec.label, True, table, tuple(fields))


def _graph_files() -> list[ImportFile]:
    files: list[ImportFile] = []
    for spec in GRAPH_TABLES:
        if spec.name in NOT_EXPORTED:
            continue
        if spec.name == "account":
            # As merge_account.cypher: the domain is a node of its own, not an account property.
            files.append(_node_file("account", skip=("email_domain",)))
        elif spec.name == "proxy_range":
            # As merge_proxy_range.cypher: the range points at its proxy through RANGE_OF.
            files.append(_node_file("proxy_range", skip=("proxy_id",)))
            files.append(ImportFile("range_of", "RANGE_OF", True, "proxy_range", (
                Field("network", ":START_ID(ProxyRange)"), Field("proxy_id", ":END_ID(Proxy)"))))
        elif spec.name == "ingested_file":
            # Recorded files make a later batched ingest of the same files a no-op, as after MERGE.
            files.append(ImportFile("ingested_file", "IngestedFile", False, "ingested_file", tuple(
                [Field("content_hash", "content_hash:ID(IngestedFile)")]
                + [_typed(c.name, c.sql_type) for c in spec.columns if c.name != "content_hash"])))
        elif spec.is_edge:
            files.append(_edge_file(spec.name))
        else:
            files.append(_node_file(spec.name))
    files.append(ImportFile("email_domain", "EmailDomain", False, "account",
                            (Field("email_domain", "domain:ID(EmailDomain)"),)))
    files.append(ImportFile("has_email_domain", "HAS_EMAIL_DOMAIN", True, "account", (
        Field("account_id", ":START_ID(Account)"), Field("email_domain", ":END_ID(EmailDomain)"))))
    return files


# Detection results, as save_detection_run/save_rings/save_members.cypher write them.
RESULT_FILES: tuple[ImportFile, ...] = (
    ImportFile("detection_run", "DetectionRun", False, "detection_runs", (
        Field("run_id", "run_id:ID(DetectionRun)"), Field("started_at", "started_at:datetime"),
        Field("finished_at", "finished_at:datetime"), Field("duration_s", "duration_s:double"),
        Field("params", "params"), Field("counts", "counts"))),
    ImportFile("ring", "Ring", False, "rings", (
        Field("ring_id", "ring_id:ID(Ring)"), Field("score", "score:double"), Field("components", "components"),
        Field("size", "size:long"), Field("status", "status"), Field("created_run", "created_run"),
        Field("updated_run", "updated_run"))),
    ImportFile("detected_in", "DETECTED_IN", True, "rings", (
        Field("ring_id", ":START_ID(Ring)"), Field("updated_run", ":END_ID(DetectionRun)"))),
    ImportFile("member_of", "MEMBER_OF", True, "memberships", (
        Field("account_id", ":START_ID(Account)"), Field("ring_id", ":END_ID(Ring)"),
        Field("score", "score:double"), Field("since", "since:datetime"))),
)

GRAPH_FILES: tuple[ImportFile, ...] = tuple(_graph_files())
ALL_FILES: tuple[ImportFile, ...] = GRAPH_FILES + RESULT_FILES
