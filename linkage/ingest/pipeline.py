"""`ingest_directory`: input files in, one atomic `merge_batch` into the graph store out.

Steps (each reported to `progress`):
 1. discover files, hash them (xxh3-128), skip those the store already has;
 2. stage each new file in an in-memory DuckDB (spilling to a temp dir);
    a file that cannot be read stops everything before the store is touched;
 3. DISTINCT IPs, networks and prompts go through Python (normalise, fingerprint,
    prompt families: `prompt_map`) into map tables; dictionaries of 64-bit keys are built (`encode`);
 4. request files are validated and hash-encoded in one pass (`encode`); the small
    tables are validated into clean views; bad rows go to the quarantine;
 5. e-mails and instruments are keyed-hashed (SQL), then every graph table is
    aggregated (`aggregate`) and streamed to a parquet file;
 6. match IPs to proxy ranges, in both directions against what the store has;
 7. the staging database is closed, then ONE `store.merge_batch` call: all or nothing.

The staging database holds raw prompts and e-mails only in memory and is
dropped at the end; only fingerprints and keyed hashes leave it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from linkage.ingest import aggregate, encode, quarantine
from linkage.ingest.contract import CONTRACTS
from linkage.ingest.discover import InputFile, content_hash, discover
from linkage.ingest.families import FamilyIndex
from linkage.ingest.prompt_map import PROMPT_MAP, build_prompt_map, family_query, learnt_keys
from linkage.ingest.network import match_ips, normalise_ip, normalise_network
from linkage.ingest.pseudonymise import Pseudonymiser, email_map_sql, instrument_map_sql
from linkage.ingest.csv_rows import malformed_relation
from linkage.ingest.readers import UnreadableInput, check_readable, stage_file
from linkage.ingest.report import FileResult, IngestReport, TableCounts
from linkage.ingest.validate import (BAD_IP, IP_MAP, NET_MAP, RAW_IP, FileRules, clean_sql, prompt_text,
                                     quarantine_sql, rules_for, text)
from linkage.settings import Settings
from linkage.store.base import GraphStore, Table
from linkage.store.models import IngestedFile

log = logging.getLogger("linkage.ingest")
Progress = Callable[[str, int, int], None]  # (step description, done, total)
CRASH_ENV = "LINKAGE_TEST_CRASH_AT"  # test-only: 'before-merge' or 'merge' (mid-transaction)

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_CANONICAL = {"ts": "TIMESTAMPTZ", "created_at": "TIMESTAMPTZ", "tokens_in": "BIGINT", "tokens_out": "BIGINT"}


def _staging(settings: Settings, spill_dir: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    con.execute(f"SET temp_directory = '{spill_dir}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(quarantine.DDL)
    return con


def _load_map(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def _distinct(con: duckdb.DuckDBPyConnection, exprs: list[str]) -> list[str]:
    if not exprs:
        return []
    union = " UNION ALL ".join(exprs)
    return con.sql(f"SELECT DISTINCT v FROM ({union}) WHERE v IS NOT NULL").to_arrow_table()["v"].to_pylist()


def _build_maps(con: duckdb.DuckDBPyConnection, staged: dict[str, list[tuple[str, dict[str, str]]]],
                families: FamilyIndex | None = None, workers: int = 0) -> None:
    """Maps from raw IP/network/prompt text to normal forms (and prompt families), over distinct values only."""
    # Canonical dotted-quad IPv4 (the bulk of any log) is already in normal form: SQL keeps
    # it as is; only the rest (IPv6, padded, mapped, junk) goes through Python.
    # The raw values as they are (kept: the encoder checks them), then their trimmed text.
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RAW_IP} AS SELECT DISTINCT raw"
                f" FROM ({encode.raw_union(staged['requests'], 'ip')}) WHERE raw IS NOT NULL")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rawip AS SELECT DISTINCT raw FROM (
        SELECT NULLIF(trim(raw), '') AS raw FROM {RAW_IP}) WHERE raw IS NOT NULL""")
    odd = con.sql(f"SELECT raw FROM _rawip WHERE NOT regexp_full_match(raw, '{_DOTTED_QUAD}')"
                  ).to_arrow_table()["raw"].to_pylist()
    norm = [normalise_ip(r) for r in odd]
    _load_map(con, "_ipodd", pa.table({
        "raw": pa.array(odd, pa.string()),
        "ip": pa.array([n[0] if n else None for n in norm], pa.string()),
        "version": pa.array([n[1] if n else None for n in norm], pa.int8()),
    }))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {IP_MAP} AS
        SELECT raw, raw AS ip, 4::TINYINT AS version FROM _rawip WHERE regexp_full_match(raw, '{_DOTTED_QUAD}')
        UNION ALL SELECT raw, ip, version FROM _ipodd""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {BAD_IP} AS SELECT raw FROM _ipodd WHERE ip IS NULL")
    con.execute("DROP TABLE _rawip; DROP TABLE _ipodd")
    raw_nets = _distinct(con, [f"SELECT coalesce({text('cidr', t['cidr'])}, {text('ip', t['ip'])}) AS v FROM {rel}"
                               for rel, t in staged["proxies"]])
    nets = [normalise_network(r) for r in raw_nets]
    _load_map(con, NET_MAP, pa.table({
        "raw": pa.array(raw_nets, pa.string()),
        "network": pa.array([n[0] if n else None for n in nets], pa.string()),
        "version": pa.array([n[1] if n else None for n in nets], pa.int8()),
    }))
    prompt_sql = " UNION ALL ".join(f"SELECT {prompt_text('prompt', t['prompt'])} AS v FROM {rel}"
                                    for rel, t in staged["requests"]) or "SELECT NULL::VARCHAR AS v"
    build_prompt_map(con, prompt_sql, families if families is not None else FamilyIndex(),
                     workers=workers)


def _clean_views(con: duckdb.DuckDBPyConnection, selects: dict[str, list[str]]) -> None:
    """Views `clean_<table>` over the small tables (requests are encoded into `_rq` instead)."""
    for table, contract in CONTRACTS.items():
        if table == "requests":
            continue
        if selects[table]:
            body = " UNION ALL ".join(selects[table])
        else:  # no file of this table: an empty view with the canonical columns
            cols = [f"NULL::{_CANONICAL.get(c, 'VARCHAR')} AS {c}" for c in contract.columns]
            if table == "proxies":
                cols.append("NULL::VARCHAR AS network_raw")
            body = f"SELECT {', '.join(cols)} WHERE FALSE"
        con.execute(f"CREATE OR REPLACE TEMP VIEW clean_{table} AS {body}")


def _pseudonym_maps(con: duckdb.DuckDBPyConnection, pseudo: Pseudonymiser) -> None:
    pseudo.install(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _emailmap AS {email_map_sql('SELECT email AS raw FROM clean_accounts')}")
    con.execute("CREATE OR REPLACE TEMP TABLE _instmap AS"
                f" {instrument_map_sql('SELECT instrument_fingerprint AS raw FROM clean_payments')}")
    pseudo.uninstall(con)


def _exit_of(store: GraphStore, new_ips: pa.Table, new_ranges: pa.Table) -> pa.Table:
    """EXIT_OF edges: new IPs against all ranges, and IPs already stored against new ranges."""
    stored = store.read_table("proxy_range", ["network", "proxy_id"])
    ranges = dict(zip(stored["network"].to_pylist(), stored["proxy_id"].to_pylist()))
    batch_ranges = dict(zip(new_ranges["network"].to_pylist(), new_ranges["proxy_id"].to_pylist()))
    ranges.update(batch_ranges)
    pairs = set(match_ips(new_ips["ip"].to_pylist(), ranges.items()))
    if batch_ranges:
        old_ips = store.read_table("ip", ["ip"])["ip"].to_pylist()
        if old_ips:
            pairs.update(match_ips(old_ips, batch_ranges.items()))
    ordered = sorted(pairs)
    return pa.table({"ip": pa.array([p[0] for p in ordered], pa.string()),
                     "proxy_id": pa.array([p[1] for p in ordered], pa.string())})


class _CrashMidMerge(logging.Handler):
    """Test hook: exit the process after the first table merged inside merge_batch's transaction."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("merge "):
            os._exit(17)


def _rows(table: Table) -> int:
    return table.num_rows if isinstance(table, pa.Table) else table.count_rows()


def _merge(store: GraphStore, tables: dict[str, Table], files: list[IngestedFile]) -> None:
    crash_at = os.environ.get(CRASH_ENV)
    if crash_at == "before-merge":
        os._exit(17)
    if crash_at == "merge":
        store_log = logging.getLogger("linkage.store")
        store_log.setLevel(logging.DEBUG)
        store_log.propagate = False
        store_log.addHandler(_CrashMidMerge())
    store.merge_batch(tables, files)


def _timed_steps(progress: Progress) -> Progress:
    """Wrap `progress` so each step's wall seconds are logged (DEBUG) when the next one starts."""
    last: list = [None, 0.0]

    def step(what: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if last[0] is not None:
            log.debug("step %r took %.2fs", last[0], now - last[1])
        last[0], last[1] = what, now
        progress(what, done, total)
    return step


def ingest_directory(store: GraphStore, directory: Path, settings: Settings,
                     progress: Progress | None = None,
                     bookkeeping: Callable[[IngestReport], dict[str, Table]] | None = None) -> IngestReport:
    """Ingest every new file of `directory` into `store` with one atomic merge.

    `bookkeeping`, if given, is called with the report just before the merge and its
    tables join the same transaction (the nightly job records its partition that way);
    when there is nothing to merge it is not called (`report.graph_rows` stays empty).
    Raises UnreadableInput (store untouched) when a file cannot be read at all.
    """
    started = time.perf_counter()
    step = _timed_steps(progress or (lambda *_: None))
    directory = Path(directory)
    report = IngestReport(tables={t: TableCounts() for t in CONTRACTS})
    files, ignored = discover(directory)
    report.ignored = [str(p) for p in ignored]
    known = store.ingested_hashes()
    seen: set[str] = set()
    new: list[tuple[InputFile, str]] = []
    for i, f in enumerate(files):
        step(f"hashing {f.path.name}", i, len(files))
        if f.table is None:
            continue
        digest = content_hash(f.path)
        if digest in known or digest in seen:
            report.files.append(FileResult(path=str(f.path), table=f.table, status="skipped"))
        else:
            seen.add(digest)
            new.append((f, digest))
    unknown = [f for f in files if f.table is None]
    if not new and not unknown:
        report.seconds = time.perf_counter() - started
        return report

    with tempfile.TemporaryDirectory(prefix="linkage-spill-") as spill:
        out = Path(spill) / "graph"
        out.mkdir()
        con = _staging(settings, spill)
        try:
            for f in unknown:
                quarantine.add_file(con, str(f.path), "unknown table")
                report.files.append(FileResult(path=str(f.path), table=None, status="unknown_table"))
            staged: dict[str, list[tuple[str, dict[str, str]]]] = {t: [] for t in CONTRACTS}
            for i, (f, _) in enumerate(new):
                step(f"reading {f.path.name}", i, len(new))
                types = stage_file(con, f, f"_f{i}", CONTRACTS[f.table].columns)
                staged[f.table].append((f"_f{i}", types))
            try:
                tables, records = _process(con, store, settings, new, staged, report, step, out)
            except duckdb.Error:
                # Corruption past a parquet header shows only on a full scan: name the file.
                for i, (f, _) in enumerate(new):
                    check_readable(con, f, f"_f{i}")
                raise
            report.quarantine_file = quarantine.write(
                con, settings.quarantine_dir or directory / "_quarantine")
        finally:
            con.close()  # frees the staging memory before the store starts merging
        if records:
            step("merging into the store", 0, 1)
            report.graph_rows = {name: _rows(t) for name, t in tables.items()}
            if bookkeeping is not None:
                report.seconds = time.perf_counter() - started
                tables.update(bookkeeping(report))
            _merge(store, tables, records)
        del tables
    step("done", 1, 1)
    report.seconds = time.perf_counter() - started
    return report


def _validate_small(con: duckdb.DuckDBPyConnection, f: InputFile, rel: str, rules: FileRules,
                    types: dict[str, str]) -> int:
    """Quarantine the bad rows of a small (non-request) file; return how many."""
    return quarantine.add_rows(con, quarantine_sql(rules, rel, str(f.path), f.table, types))


def _encode_requests(con: duckdb.DuckDBPyConnection, f: InputFile, rel: str, rules: FileRules,
                     types: dict[str, str], encoding: encode.Encoding, total: int) -> int:
    """Encode the clean rows of a request file in one pass; only if some broke a rule, find them."""
    clean = encode.encode_file(con, rel, types, rules, encoding, IP_MAP)
    if clean == total:
        return 0
    return quarantine.add_rows(con, quarantine_sql(rules, rel, str(f.path), f.table, types))


def _write_outputs(con: duckdb.DuckDBPyConnection, queries: dict[str, str], out: Path,
                   step: Progress) -> dict[str, ds.Dataset]:
    """Each graph table's query streamed to a parquet file: neither side holds it all in memory."""
    tables: dict[str, ds.Dataset] = {}
    for i, (name, sql) in enumerate(queries.items()):
        step(f"aggregating {name}", i, len(queries))
        path = out / f"{name}.parquet"
        con.execute(f"COPY ({aggregate.spec_select(name, sql)}) TO '{path}' (FORMAT parquet, COMPRESSION uncompressed)")
        tables[name] = ds.dataset(path, format="parquet")
    return tables


def _process(con: duckdb.DuckDBPyConnection, store: GraphStore, settings: Settings,
             new: list[tuple[InputFile, str]], staged: dict[str, list[tuple[str, dict[str, str]]]],
             report: IngestReport, step: Progress, out: Path) -> tuple[dict[str, Table], list[IngestedFile]]:
    step("normalising IPs, fingerprinting prompts and finding their families", 0, 1)
    families = FamilyIndex.from_table(store.read_table("prompt_family_key", ["band_key", "family_id"]))
    _build_maps(con, staged, families, workers=settings.threads)
    step("building dictionaries", 0, 1)
    encoding = encode.build_dictionaries(con, staged["requests"], IP_MAP, PROMPT_MAP)
    # Nothing past here reads the map (one row per distinct prompt: gigabytes at full scale, which the
    # aggregates would otherwise share the memory limit with): its families are kept, the rest freed.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _families AS {family_query()}")
    con.execute(f"DROP TABLE {PROMPT_MAP}")
    encode.create_table(con)
    selects: dict[str, list[str]] = {t: [] for t in CONTRACTS}
    records: list[IngestedFile] = []
    now = datetime.now(timezone.utc)
    bad_ips = con.execute(f"SELECT count(*) FROM {BAD_IP}").fetchone()[0] > 0
    bad_nets = con.execute(f"SELECT count(*) FROM {NET_MAP} WHERE network IS NULL").fetchone()[0] > 0
    for i, (f, digest) in enumerate(new):
        step(f"validating {f.path.name}", i, len(new))
        rel = f"_f{i}"
        types = dict(next(t for r, t in staged[f.table] if r == rel))
        rules = rules_for(f.table, types, bad_ips=bad_ips, bad_nets=bad_nets,
                          no_blanks=encoding.no_blanks if f.table == "requests" else frozenset())
        total = con.execute(f"SELECT count(*) FROM {rel}").fetchone()[0]
        if f.table == "requests":
            bad = _encode_requests(con, f, rel, rules, types, encoding, total)
        else:
            bad = _validate_small(con, f, rel, rules, types)
            selects[f.table].append(clean_sql(rules, rel))
        # Malformed CSV records never reached `rel` (so not `total` either): counted on top.
        malformed = (quarantine.add_malformed(con, malformed_relation(rel), str(f.path), f.table)
                     if f.fmt == "csv" else 0)
        report.files.append(FileResult(path=str(f.path), table=f.table, status="loaded",
                                       rows_loaded=total - bad, rows_quarantined=bad + malformed))
        report.tables[f.table].loaded += total - bad
        report.tables[f.table].quarantined += bad + malformed
        records.append(IngestedFile(content_hash=digest, path=str(f.path), table_name=f.table,
                                    rows_loaded=total - bad, rows_quarantined=bad + malformed, ingested_at=now))
    encode.drop_prompt_keys(con)
    _clean_views(con, selects)
    step("pseudonymising e-mails and payment instruments", 0, 1)
    _pseudonym_maps(con, Pseudonymiser(settings.hash_secret))
    step("grouping requests by account and artifact", 0, 1)
    span = aggregate.group_requests(con)
    queries = {**aggregate.request_queries(settings.lockstep_window_minutes, span, settings.tick_seconds),
               "prompt_family": "SELECT family_id, capability FROM _families",
               "account": aggregate.account_query(), **aggregate.payment_queries(), **aggregate.proxy_queries()}
    tables: dict[str, Table] = dict(_write_outputs(con, queries, out, step))
    tables["prompt_family_key"] = learnt_keys(families)
    step("matching IPs to proxy ranges", 0, 1)
    tables["exit_of"] = _exit_of(store, tables["ip"].to_table(columns=["ip"]),
                                 tables["proxy_range"].to_table(columns=["network", "proxy_id"]))
    return tables, records
