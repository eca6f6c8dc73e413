"""Build the graph's aggregated Arrow tables from the clean staging views.

Input (staging DuckDB): views `clean_accounts`, `clean_requests`,
`clean_payments`, `clean_proxies` and the small maps built in Python over
distinct values (`_ipmap`, `_promptmap`, `_emailmap`, `_instmap`, `_netmap`).
Output: `{graph table: pa.Table}` in the column names and types of
`linkage.store.tables`, one row per key, ready for `store.merge_batch`.

All request aggregates come from ONE pass over the request rows (GROUPING
SETS), keyed by the raw IP text; IP normalisation is applied afterwards to
the far smaller aggregates.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import xxhash

from linkage.store.tables import TABLES

# Column order of the request grouping sets; a set's GROUPING() id follows from it.
_GROUP_COLS = ("account_id", "ip", "fp", "ua", "hour", "model", "win")
_SETS = {
    "used_ip": ("account_id", "ip"),
    "sent": ("account_id", "fp"),
    "used_agent": ("account_id", "ua"),
    "activity": ("account_id", "hour", "model"),
    "co_ip": ("ip", "win", "account_id"),
    "co_prompt": ("fp", "win", "account_id"),
}


def _gid(cols: tuple[str, ...]) -> int:
    n = len(_GROUP_COLS)
    return sum(1 << (n - 1 - i) for i, c in enumerate(_GROUP_COLS) if c not in cols)


def to_spec(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> pa.Table:
    """Run `sql` and cast its columns to the spec of graph table `table`."""
    spec = TABLES[table]
    cols = ", ".join(f"CAST({c.name} AS {c.sql_type}) AS {c.name}" for c in spec.columns)
    return con.sql(f"SELECT {cols} FROM ({sql})").to_arrow_table()


def aggregate_requests(con: duckdb.DuckDBPyConnection, window_minutes: int) -> None:
    """One pass over `clean_requests` into temp table `_agg` (all grouping sets)."""
    sets = ", ".join("(" + ", ".join(cols) + ")" for cols in _SETS.values())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _agg AS
        SELECT GROUPING({', '.join(_GROUP_COLS)}) AS g, {', '.join(_GROUP_COLS)},
               count(*) AS n, min(ts) AS first_seen, max(ts) AS last_seen,
               sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
        FROM (
            SELECT r.account_id, r.ip, coalesce(p.fingerprint, lower(r.prompt_fingerprint)) AS fp,
                   r.user_agent AS ua, date_trunc('hour', r.ts) AS hour, coalesce(r.model, '') AS model,
                   time_bucket(INTERVAL '{int(window_minutes)} minutes', r.ts) AS win,
                   r.ts, r.tokens_in, r.tokens_out
            FROM clean_requests r LEFT JOIN _promptmap p ON r.prompt = p.text
        )
        GROUP BY GROUPING SETS ({sets})
    """)
    # User agents: hash the distinct strings in Python, join back on the small aggregate.
    uas = [r[0] for r in con.execute(
        f"SELECT DISTINCT ua FROM _agg WHERE g = {_gid(_SETS['used_agent'])} AND ua IS NOT NULL").fetchall()]
    con.register("_uamap_arrow", pa.table({
        "user_agent": pa.array(uas, pa.string()),
        "ua_id": pa.array([xxhash.xxh3_64_hexdigest(u.encode()) for u in uas], pa.string()),
    }))
    con.execute("CREATE OR REPLACE TEMP TABLE _uamap AS SELECT * FROM _uamap_arrow")
    con.unregister("_uamap_arrow")


def request_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pa.Table]:
    """Edge and node tables that come from requests (needs `_agg` and the maps)."""
    g = {name: _gid(cols) for name, cols in _SETS.items()}
    seen = "sum(n) AS requests, min(first_seen) AS first_seen, max(last_seen) AS last_seen"
    out = {
        "used_ip": to_spec(con, "used_ip", f"""
            SELECT a.account_id, m.ip, {seen} FROM _agg a JOIN _ipmap m ON a.ip = m.raw
            WHERE a.g = {g['used_ip']} AND m.ip IS NOT NULL GROUP BY a.account_id, m.ip"""),
        "sent": to_spec(con, "sent", f"""
            SELECT account_id, fp AS fingerprint, n AS count, first_seen, last_seen FROM _agg
            WHERE g = {g['sent']} AND fp IS NOT NULL"""),
        "used_agent": to_spec(con, "used_agent", f"""
            SELECT a.account_id, u.ua_id, {seen} FROM _agg a JOIN _uamap u ON a.ua = u.user_agent
            WHERE a.g = {g['used_agent']} GROUP BY a.account_id, u.ua_id"""),
        "activity": to_spec(con, "activity", f"""
            SELECT account_id, hour, model, n AS requests, coalesce(tokens_in, 0) AS tokens_in,
                   coalesce(tokens_out, 0) AS tokens_out FROM _agg WHERE g = {g['activity']}"""),
        "ip": to_spec(con, "ip", f"""
            SELECT DISTINCT m.ip, m.version FROM _agg a JOIN _ipmap m ON a.ip = m.raw
            WHERE a.g = {g['used_ip']} AND m.ip IS NOT NULL"""),
        "user_agent": to_spec(con, "user_agent", "SELECT ua_id, any_value(user_agent) AS user_agent"
                                                 " FROM _uamap GROUP BY ua_id"),
        "prompt_fingerprint": to_spec(con, "prompt_fingerprint", f"""
            SELECT a.fp AS fingerprint, any_value(p.simhash) AS simhash, any_value(p.capability) AS capability
            FROM (SELECT DISTINCT fp FROM _agg WHERE g = {g['sent']} AND fp IS NOT NULL) a
            LEFT JOIN (SELECT DISTINCT fingerprint, simhash, capability FROM _promptmap) p
              ON a.fp = p.fingerprint
            GROUP BY a.fp"""),
    }
    co_ip = f"""
        SELECT 'ip' AS kind, m.ip AS artifact, a.win AS window_start, a.account_id, sum(a.n) AS requests
        FROM _agg a JOIN _ipmap m ON a.ip = m.raw WHERE a.g = {g['co_ip']} AND m.ip IS NOT NULL
        GROUP BY m.ip, a.win, a.account_id"""
    co_prompt = f"""
        SELECT 'prompt' AS kind, fp AS artifact, win AS window_start, account_id, n AS requests
        FROM _agg WHERE g = {g['co_prompt']} AND fp IS NOT NULL"""
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
            SELECT DISTINCT account_id, NULL, NULL, NULL, NULL, NULL FROM _agg WHERE account_id IS NOT NULL
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
