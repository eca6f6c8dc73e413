"""Which CSV files a `neo4j-admin database import full` load takes, and their headers.

Derived from the table specs (`linkage.store.tables`) so that the bulk load and the
batched-MERGE path (`cypher/merge_*.cypher`) build the same graph: one node per key,
`:ID(Label)` id spaces named after the node label, edges between those id spaces,
and every typed column with its import type (`count:long`, `first_seen:datetime`).
Shapes the MERGE path derives rather than copies are spelt out here the way the Cypher
files spell them: `EmailDomain` nodes, proxy ranges' `RANGE_OF`, hourly activity as
`(Account)-[:ACTIVE_IN {hour}]->(Model)`, lockstep windows as `SEEN_IN_WINDOW` to the IP
or prompt fingerprint, ring changes as `(DetectionRun)-[:RECORDED]->(RingChange)`.
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


def _edge(name: str, label: str, source: str, start: tuple[str, str], end: tuple[str, str],
          *props: Field) -> ImportFile:
    return ImportFile(name, label, True, source, (
        Field(start[0], f":START_ID({start[1]})"), Field(end[0], f":END_ID({end[1]})"), *props))


def _graph_files() -> list[ImportFile]:
    files: list[ImportFile] = []
    for spec in GRAPH_TABLES:
        if spec.name == "tick":
            # merge_tick.cypher: one TickSeries node per account, its ticks as parallel arrays.
            files.append(ImportFile("tick_series", "TickSeries", False, "tick_series", (
                Field("account_id", "account_id:ID(TickSeries)"), Field("tick_us", "tick_us:long[]"),
                Field("requests", "requests:long[]"))))
        elif spec.name == "proxy_range":
            files.append(_node_file("proxy_range"))
            files.append(_edge("range_of", "RANGE_OF", "proxy_range", ("network", "ProxyRange"),
                               ("proxy_id", "Proxy")))
        elif spec.name == "ingested_file":
            # Recorded files make a later batched ingest of the same files a no-op, as after MERGE.
            files.append(ImportFile("ingested_file", "IngestedFile", False, "ingested_file", tuple(
                [Field("content_hash", "content_hash:ID(IngestedFile)")]
                + [_typed(c.name, c.sql_type) for c in spec.columns if c.name != "content_hash"])))
        elif spec.name == "activity":
            # merge_activity.cypher: a request without a model counts under the model ''.
            files.append(ImportFile("model", "Model", False, "activity", (Field("model", "model:ID(Model)"),)))
            files.append(_edge("activity", "ACTIVE_IN", "activity", ("account_id", "Account"), ("model", "Model"),
                               Field("hour", "hour:datetime"), Field("requests", "requests:long"),
                               Field("tokens_in", "tokens_in:long"), Field("tokens_out", "tokens_out:long")))
        elif spec.name == "co_window":
            # merge_co_window.cypher: the window's kind is the label of the artifact it points at.
            for kind, label in CO_WINDOW_KINDS.items():
                files.append(_edge(f"seen_in_window_{kind}", "SEEN_IN_WINDOW", "co_window",
                                   ("account_id", "Account"), ("artifact", label),
                                   Field("window_start", "window_start:datetime"), Field("requests", "requests:long")))
        elif spec.is_edge:
            files.append(_edge_file(spec.name))
        else:
            files.append(_node_file(spec.name))
    files.append(ImportFile("email_domain", "EmailDomain", False, "account",
                            (Field("email_domain", "domain:ID(EmailDomain)"),)))
    files.append(_edge("has_email_domain", "HAS_EMAIL_DOMAIN", "account", ("account_id", "Account"),
                       ("email_domain", "EmailDomain")))
    return files


CO_WINDOW_KINDS: dict[str, str] = {"ip": "IP", "prompt": "PromptFingerprint", "prompt_family": "PromptFamily"}

# Detection results, as save_detection_run/save_rings/save_members/save_changes.cypher write them.
RESULT_FILES: tuple[ImportFile, ...] = (
    ImportFile("detection_run", "DetectionRun", False, "detection_runs", (
        Field("run_id", "run_id:ID(DetectionRun)"), Field("started_at", "started_at:datetime"),
        Field("finished_at", "finished_at:datetime"), Field("duration_s", "duration_s:double"),
        Field("params", "params"), Field("counts", "counts"))),
    ImportFile("ring", "Ring", False, "rings", (
        Field("ring_id", "ring_id:ID(Ring)"), Field("score", "score:double"), Field("components", "components"),
        Field("size", "size:long"), Field("status", "status"), Field("created_run", "created_run"),
        Field("updated_run", "updated_run"), Field("artifacts", "artifacts"))),
    _edge("detected_in", "DETECTED_IN", "rings", ("ring_id", "Ring"), ("updated_run", "DetectionRun")),
    _edge("member_of", "MEMBER_OF", "memberships", ("account_id", "Account"), ("ring_id", "Ring"),
          Field("score", "score:double"), Field("since", "since:datetime")),
    # A change has no key of its own: its import id (run/ring/n) is not stored as a property.
    ImportFile("ring_change", "RingChange", False, "ring_changes", (
        Field("change_id", ":ID(RingChange)"), Field("run_id", "run_id"), Field("ring_id", "ring_id"),
        Field("change", "change"), Field("detail", "detail"))),
    _edge("recorded", "RECORDED", "ring_changes", ("run_id", "DetectionRun"), ("change_id", "RingChange")),
)

GRAPH_FILES: tuple[ImportFile, ...] = tuple(_graph_files())
ALL_FILES: tuple[ImportFile, ...] = GRAPH_FILES + RESULT_FILES
