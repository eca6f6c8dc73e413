"""The graph's tables, one spec shared by both engines.

Every ingested table is an *aggregate*: a key plus columns that merge by a fixed
rule when the same key arrives again (a new day's logs, another file). Keeping
the rule next to the column is what lets re-ingest be idempotent and
incremental ingest be exact, whichever engine applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Merge(str, Enum):
    KEY = "key"
    SUM = "sum"  # counters: requests, payments
    MIN = "min"  # first_seen, created_at
    MAX = "max"  # last_seen
    LATEST = "latest"  # descriptive attributes: the newest non-null value wins


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    merge: Merge


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    label: str  # node label or relationship type in the graph model
    is_edge: bool = False
    doc: str = ""

    @property
    def keys(self) -> list[str]:
        return [c.name for c in self.columns if c.merge is Merge.KEY]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _cols(*spec: tuple[str, str, Merge]) -> tuple[Column, ...]:
    return tuple(Column(n, t, m) for n, t, m in spec)


K, S, MN, MX, L = Merge.KEY, Merge.SUM, Merge.MIN, Merge.MAX, Merge.LATEST
TS = "TIMESTAMPTZ"
_SEEN = (("first_seen", TS, MN), ("last_seen", TS, MX))

GRAPH_TABLES: tuple[TableSpec, ...] = (
    # --- nodes -------------------------------------------------------------
    TableSpec("account", _cols(
        ("account_id", "VARCHAR", K), ("created_at", TS, MN),
        ("email_hash", "VARCHAR", L), ("email_domain", "VARCHAR", L),
        ("country", "VARCHAR", L), ("org_id", "VARCHAR", L),
    ), "Account", doc="One row per account; e-mail only as keyed hash + domain."),
    TableSpec("ip", _cols(("ip", "VARCHAR", K), ("version", "TINYINT", L)), "IP",
              doc="Normalised IPv4/IPv6 address (compressed form)."),
    TableSpec("proxy", _cols(
        ("proxy_id", "VARCHAR", K), ("provider", "VARCHAR", L), ("kind", "VARCHAR", L),
    ), "Proxy", doc="A proxy service or pool: provider + kind."),
    TableSpec("proxy_range", _cols(
        ("network", "VARCHAR", K), ("proxy_id", "VARCHAR", L), ("version", "TINYINT", L),
    ), "ProxyRange", doc="Proxy intel as a CIDR (a single IP is a /32 or /128)."),
    TableSpec("payment_instrument", _cols(
        ("instrument_id", "VARCHAR", K), ("instrument_type", "VARCHAR", L),
        ("bin", "VARCHAR", L), ("country", "VARCHAR", L),
    ), "PaymentInstrument", doc="Keyed hash of the processor's instrument fingerprint."),
    TableSpec("prompt_fingerprint", _cols(
        ("fingerprint", "VARCHAR", K), ("simhash", "UBIGINT", L), ("capability", "VARCHAR", L),
    ), "PromptFingerprint", doc="Template fingerprint; simhash/capability known once a raw sample was seen."),
    TableSpec("user_agent", _cols(("ua_id", "VARCHAR", K), ("user_agent", "VARCHAR", L)), "UserAgent"),
    TableSpec("prompt_family", _cols(("family_id", "VARCHAR", K), ("capability", "VARCHAR", L)), "PromptFamily",
              doc="Near-duplicate prompts: one template whatever its fill-ins (linkage.ingest.families)."),
    TableSpec("prompt_family_key", _cols(("band_key", "VARCHAR", K), ("family_id", "VARCHAR", MN)),
              "PromptFamilyKey",
              doc="MinHash band keys learnt per family: tomorrow's prompts of a template find its family by them."
                  " A key keeps the family it was first learnt for (the smaller id if two claim it at once)."),
    # --- edges (aggregates of events, never one per request) ----------------
    TableSpec("exit_of", _cols(("ip", "VARCHAR", K), ("proxy_id", "VARCHAR", K)), "EXIT_OF", True),
    TableSpec("used_ip", _cols(
        ("account_id", "VARCHAR", K), ("ip", "VARCHAR", K), ("requests", "BIGINT", S), *_SEEN,
    ), "USED_IP", True),
    TableSpec("paid_with", _cols(
        ("account_id", "VARCHAR", K), ("instrument_id", "VARCHAR", K), ("payments", "BIGINT", S), *_SEEN,
    ), "PAID_WITH", True),
    TableSpec("sent", _cols(
        ("account_id", "VARCHAR", K), ("fingerprint", "VARCHAR", K), ("count", "BIGINT", S), *_SEEN,
    ), "SENT", True),
    TableSpec("sent_family", _cols(
        ("account_id", "VARCHAR", K), ("family_id", "VARCHAR", K), ("count", "BIGINT", S), *_SEEN,
    ), "SENT_FAMILY", True, doc="Prompts an account sent of one family."),
    TableSpec("used_agent", _cols(
        ("account_id", "VARCHAR", K), ("ua_id", "VARCHAR", K), ("requests", "BIGINT", S), *_SEEN,
    ), "USED_AGENT", True),
    # --- time-bucketed aggregates for synchrony / release-shift evidence ----
    TableSpec("activity", _cols(
        ("account_id", "VARCHAR", K), ("hour", TS, K), ("model", "VARCHAR", K),
        ("requests", "BIGINT", S), ("tokens_in", "BIGINT", S), ("tokens_out", "BIGINT", S),
    ), "ACTIVE_IN", True, doc="Requests per account, hour and model."),
    TableSpec("co_window", _cols(
        ("kind", "VARCHAR", K), ("artifact", "VARCHAR", K), ("window_start", TS, K),
        ("account_id", "VARCHAR", K), ("requests", "BIGINT", S),
    ), "SEEN_IN_WINDOW", True,
        doc="Requests per account on one artifact (ip, prompt or prompt_family) in one short window:"
            " lockstep evidence."),
    TableSpec("tick", _cols(
        ("account_id", "VARCHAR", K), ("tick_start", TS, K), ("requests", "BIGINT", S),
    ), "ACTIVE_AT", True,
        doc="Requests per account in one short time bucket (seconds), whatever was sent: "
            "coordination evidence without shared content (detect/synchrony.py)."),
    # --- bookkeeping ----------------------------------------------------------
    TableSpec("ingested_file", _cols(
        ("content_hash", "VARCHAR", K), ("path", "VARCHAR", L), ("table_name", "VARCHAR", L),
        ("rows_loaded", "BIGINT", L), ("rows_quarantined", "BIGINT", L), ("ingested_at", TS, L),
    ), "IngestedFile", doc="Files already applied, by content hash: makes re-ingest a no-op."),
)

# --- the nightly job's bookkeeping (issue #9): not graph content, so not in GRAPH_TABLES (stats,
# Cypher schema), but merged through `merge_batch` like any table so both engines can keep it and
# a partition is recorded in the same transaction as its data.
NIGHTLY_TABLES: tuple[TableSpec, ...] = (
    TableSpec("nightly_partition", _cols(
        ("partition", "VARCHAR", K), ("run_id", "VARCHAR", K), ("path", "VARCHAR", L),
        ("taken_at", TS, L), ("files", "BIGINT", L), ("rows_loaded", "BIGINT", L),
        ("rows_quarantined", "BIGINT", L), ("quarantined_by_table", "VARCHAR", L),
        ("quarantine_file", "VARCHAR", L), ("seconds", "DOUBLE", L),
    ), "NightlyPartition", doc="A dated input partition taken by a nightly run, with what its ingest did."),
    TableSpec("nightly_run", _cols(
        ("run_id", "VARCHAR", K), ("started_at", TS, L), ("status", "VARCHAR", L),
        ("date_limit", "VARCHAR", L), ("input_dir", "VARCHAR", L), ("ingested_at", TS, L),
        ("previous", "VARCHAR", L), ("detection_run_id", "VARCHAR", L), ("report", "VARCHAR", L),
        ("finished_at", TS, L), ("exit_code", "INTEGER", L),
    ), "NightlyRun", doc="One nightly run: its phase (ingesting, ingested, complete) and its report (JSON)."),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in GRAPH_TABLES + NIGHTLY_TABLES}

# Which ingested tables are account->artifact evidence, and under which kind name.
ARTIFACT_EDGES: dict[str, tuple[str, str, str]] = {
    # kind: (edge table, artifact column, count column)
    "ip": ("used_ip", "ip", "requests"),
    "payment": ("paid_with", "instrument_id", "payments"),
    "prompt": ("sent", "fingerprint", "count"),
    "prompt_family": ("sent_family", "family_id", "count"),
    "user_agent": ("used_agent", "ua_id", "requests"),
}


# Tables with about one row per request (`tick`): far too many to be graph relationships. The
# embedded engine keeps them as rows; Neo4j keeps each account's as parallel arrays on one
# `TickSeries` node (cypher/merge_tick.cypher), read back as the same rows. Not counted in stats.
ARRAY_TABLES = frozenset({"tick"})
