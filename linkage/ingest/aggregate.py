"""Build the graph's aggregated Arrow tables from the clean staging views.

Input (staging DuckDB): views `clean_accounts`, `clean_requests`,
`clean_payments`, `clean_proxies` and the small maps built in Python over
distinct values (`_ipmap`, `_promptmap`, `_emailmap`, `_instmap`, `_netmap`).
Output: `{graph table: pa.Table}` in the column names and types of
`linkage.store.tables`, one row per key, ready for `store.merge_batch`.

Request aggregates are keyed by the raw IP text; IP normalisation is applied
afterwards to the far smaller aggregates. `co_window` keeps only windows
that two or more accounts share on one artifact within the batch (a lone
account in a window is no lockstep evidence, and keeping it would make the
table as large as the request log).
"""

from __future__ import annotations

import logging
import time

import duckdb
import pyarrow as pa
import xxhash

from linkage.store.tables import TABLES

log = logging.getLogger("linkage.ingest")

def to_spec(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> pa.Table:
    """Run `sql` and cast its columns to the spec of graph table `table`."""
    spec = TABLES[table]
    cols = ", ".join(f"CAST({c.name} AS {c.sql_type}) AS {c.name}" for c in spec.columns)
    return con.sql(f"SELECT {cols} FROM ({sql})").to_arrow_table()


def aggregate_requests(con: duckdb.DuckDBPyConnection, window_minutes: int) -> None:
    """Request aggregates keyed by raw IP text into temp tables `_agg_*`.

    One GROUP BY per aggregate: in DuckDB that is faster than one GROUPING SETS
    pass (measured: 7 s vs 10 s on 3M rows), and each reads only its columns.
    """
    win = f"time_bucket(INTERVAL '{int(window_minutes)} minutes', ts)"
    # Validate and cast once; every aggregate below then scans this compact table.
    con.execute("CREATE OR REPLACE TEMP TABLE _requests AS SELECT account_id, ip, ts, prompt,"
                " prompt_fingerprint, user_agent, model, tokens_in, tokens_out FROM clean_requests")
    # The prompt join only where fingerprints are needed; raw text wins over a precomputed one.
    con.execute("""CREATE OR REPLACE TEMP VIEW _req_fp AS
        SELECT r.account_id, r.ts, coalesce(p.fingerprint, lower(r.prompt_fingerprint)) AS fp
        FROM _requests r LEFT JOIN _promptmap p ON r.prompt = p.text
        WHERE r.prompt IS NOT NULL OR r.prompt_fingerprint IS NOT NULL""")
    seen = "count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen"
    queries = {
        "_agg_ip": f"SELECT account_id, ip, {seen} FROM _requests GROUP BY account_id, ip",
        "_agg_fp": f"SELECT account_id, fp, {seen} FROM _req_fp GROUP BY account_id, fp",
        "_agg_ua": f"SELECT account_id, user_agent AS ua, {seen} FROM _requests"
                   " WHERE user_agent IS NOT NULL GROUP BY account_id, user_agent",
        "_agg_activity": "SELECT account_id, date_trunc('hour', ts) AS hour, coalesce(model, '') AS model,"
                         " count(*) AS n, sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out"
                         " FROM _requests GROUP BY ALL",
        # Lockstep windows: only an (artifact, window) that two or more accounts share is evidence.
        "_agg_co_ip": f"SELECT ip, {win} AS win, account_id, count(*) AS n FROM _requests GROUP BY ALL",
        "_agg_co_fp": f"""SELECT fp, win, account_id, n FROM (
                SELECT *, count(*) OVER (PARTITION BY fp, win) AS accounts FROM (
                    SELECT fp, {win} AS win, account_id, count(*) AS n FROM _req_fp GROUP BY ALL))
                WHERE accounts >= 2""",
    }
    for name, sql in queries.items():
        t0 = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        log.debug("%s took %.2fs", name, time.perf_counter() - t0)
    con.execute("DROP TABLE _requests")
    # User agents: hash the distinct strings in Python, join back on the small aggregate.
    uas = [r[0] for r in con.execute("SELECT DISTINCT ua FROM _agg_ua").fetchall()]
    con.register("_uamap_arrow", pa.table({
        "user_agent": pa.array(uas, pa.string()),
        "ua_id": pa.array([xxhash.xxh3_64_hexdigest(u.encode()) for u in uas], pa.string()),
    }))
    con.execute("CREATE OR REPLACE TEMP TABLE _uamap AS SELECT * FROM _uamap_arrow")
    con.unregister("_uamap_arrow")


def request_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """Edge and node tables that come from requests (needs `_agg_*` and the maps)."""
    seen = "sum(n) AS requests, min(first_seen) AS first_seen, max(last_seen) AS last_seen"
    out = {
        "used_ip": to_spec(con, "used_ip", f"""
            SELECT a.account_id, m.ip, {seen} FROM _agg_ip a JOIN _ipmap m ON a.ip = m.raw
            WHERE m.ip IS NOT NULL GROUP BY a.account_id, m.ip"""),
        "sent": to_spec(con, "sent", """
            SELECT account_id, fp AS fingerprint, n AS count, first_seen, last_seen FROM _agg_fp"""),
        "used_agent": to_spec(con, "used_agent", f"""
            SELECT a.account_id, u.ua_id, {seen} FROM _agg_ua a JOIN _uamap u ON a.ua = u.user_agent
            GROUP BY a.account_id, u.ua_id"""),
        "activity": to_spec(con, "activity", """
            SELECT account_id, hour, model, n AS requests, coalesce(tokens_in, 0) AS tokens_in,
                   coalesce(tokens_out, 0) AS tokens_out FROM _agg_activity"""),
        "ip": to_spec(con, "ip", """
            SELECT m.ip, any_value(m.version) AS version FROM (SELECT DISTINCT ip FROM _agg_ip) a
            JOIN _ipmap m ON a.ip = m.raw WHERE m.ip IS NOT NULL GROUP BY m.ip"""),
        "user_agent": to_spec(con, "user_agent", "SELECT ua_id, any_value(user_agent) AS user_agent"
                                                 " FROM _uamap GROUP BY ua_id"),
        "prompt_fingerprint": to_spec(con, "prompt_fingerprint", """
            SELECT a.fp AS fingerprint, any_value(p.simhash) AS simhash, any_value(p.capability) AS capability
            FROM (SELECT DISTINCT fp FROM _agg_fp) a
            LEFT JOIN (SELECT DISTINCT fingerprint, simhash, capability FROM _promptmap) p
              ON a.fp = p.fingerprint
            GROUP BY a.fp"""),
    }
    co_ip = """
        SELECT 'ip' AS kind, artifact, window_start, account_id, requests FROM (
            SELECT *, count(*) OVER (PARTITION BY artifact, window_start) AS accounts FROM (
                SELECT m.ip AS artifact, a.win AS window_start, a.account_id, sum(a.n) AS requests
                FROM _agg_co_ip a JOIN _ipmap m ON a.ip = m.raw WHERE m.ip IS NOT NULL
                GROUP BY m.ip, a.win, a.account_id)) WHERE accounts >= 2"""
    co_prompt = """
        SELECT 'prompt' AS kind, fp AS artifact, win AS window_start, account_id, n AS requests
        FROM _agg_co_fp"""
    out["co_window"] = to_spec(con, "co_window", f"{co_ip} UNION ALL {co_prompt}")
    return out


def account_table(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Accounts from the accounts files, plus ids seen only in requests or payments."""
    return to_spec(con, "account", """
        SELECT account_id, min(created_at) AS created_at,
               arg_max(email_hash, created_at) FILTER (WHERE email_hash IS NOT NULL) AS email_hash,
               arg_max(email_domain, created_at) FILTER (WHERE email_domain IS NOT NULL) AS email_domain,
               arg_max(country, created_at) FILTER (WHERE country IS NOT NULL) AS country,
               arg_max(org_id, created_at) FILTER (WHERE org_id IS NOT NULL) AS org_id
        FROM (
            SELECT a.account_id, a.created_at, e.email_hash, e.email_domain, a.country, a.org_id
            FROM clean_accounts a LEFT JOIN _emailmap e ON a.email = e.raw
            UNION ALL
            SELECT DISTINCT account_id, NULL, NULL, NULL, NULL, NULL FROM _agg_activity
            UNION ALL
            SELECT DISTINCT account_id, NULL, NULL, NULL, NULL, NULL FROM clean_payments
        ) GROUP BY account_id""")


def payment_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    base = "FROM clean_payments p JOIN _instmap i ON p.instrument_fingerprint = i.raw"
    return {
        "paid_with": to_spec(con, "paid_with", f"""
            SELECT p.account_id, i.instrument_id, count(*) AS payments, min(p.ts) AS first_seen,
                   max(p.ts) AS last_seen {base} GROUP BY p.account_id, i.instrument_id"""),
        "payment_instrument": to_spec(con, "payment_instrument", f"""
            SELECT i.instrument_id,
                   arg_max(lower(p.instrument_type), p.ts) FILTER (WHERE p.instrument_type IS NOT NULL)
                     AS instrument_type,
                   arg_max(p.bin, p.ts) FILTER (WHERE p.bin IS NOT NULL) AS bin,
                   arg_max(p.country, p.ts) FILTER (WHERE p.country IS NOT NULL) AS country
            {base} GROUP BY i.instrument_id"""),
    }


def proxy_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    rows = """
        SELECT n.network, n.version, p.provider, lower(p.kind) AS kind,
               p.provider || '|' || coalesce(lower(p.kind), '') AS proxy_id
        FROM clean_proxies p JOIN _netmap n ON p.network_raw = n.raw WHERE n.network IS NOT NULL"""
    return {
        "proxy": to_spec(con, "proxy", f"SELECT DISTINCT proxy_id, provider, kind FROM ({rows})"),
        # A network listed twice keeps one owner (the greatest id): deterministic across reruns.
        "proxy_range": to_spec(con, "proxy_range", f"""
            SELECT network, max(proxy_id) AS proxy_id, any_value(version) AS version
            FROM ({rows}) GROUP BY network"""),
    }
