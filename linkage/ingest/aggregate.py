"""The SQL that turns the staged input into the graph's aggregated tables.

Input (staging DuckDB): the hash-encoded request table `_rq` with its `_d_*`
dictionaries (see `encode`), views `clean_accounts`, `clean_payments`,
`clean_proxies`, and the small maps built in Python over distinct values
(`_families`, `_promptfp`, `_emailmap`, `_instmap`, `_netmap`; the prompt map itself is dropped once encoded).
Output: one query per graph table, in the column names and types of
`linkage.store.tables` (`spec_select`), one row per key, for `store.merge_batch`.

Request aggregates group by 64-bit keys and decode strings only on the
aggregated result. `co_window` keeps only windows
that two or more accounts share on one artifact within the batch (a lone
account in a window is no lockstep evidence, and keeping it would make the
table as large as the request log).
"""

from __future__ import annotations

import logging
import time

import duckdb

from linkage.ingest.encode import REQUESTS
from linkage.store.tables import TABLES

log = logging.getLogger("linkage.ingest")


def spec_select(table: str, sql: str) -> str:
    """`sql` with its columns cast to the spec of graph table `table`."""
    cols = ", ".join(f"CAST({c.name} AS {c.sql_type}) AS {c.name}" for c in TABLES[table].columns)
    return f"SELECT {cols} FROM ({sql})"


_SEEN = "count(*) AS n, make_timestamp(min(us)) AS first_seen, make_timestamp(max(us)) AS last_seen"
HOUR_US = 3_600_000_000


def bucket(width_us: int) -> str:
    """Start (epoch µs) of the `width_us` bucket holding `us`; floor, also before 1970.

    Equal to date_trunc('hour') / time_bucket() in UTC for widths dividing a day
    (time_bucket's default origin, 2000-01-03, is a multiple of any such width).
    """
    return f"(us - ((us % {width_us}) + {width_us}) % {width_us})"


# Per-artifact edge aggregates, grouped once and kept (undecoded) for the edges, the node
# lists, and the set of artifacts two or more accounts share (the only ones lockstep can use).
_EDGE_GROUPS = {"_g_ip": "iid", "_g_fp": "fid", "_g_ua": "uid", "_g_fam": "famid"}
_SHARED = ("ip", "fp", "fam")  # kinds whose artifacts two or more accounts share can be lockstep evidence
_WINDOW_KIND = {"ip": "ip", "fp": "prompt", "fam": "prompt_family"}  # co_window.kind per short name


def group_requests(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Temp tables `_g_ip/_g_fp/_g_ua/_g_fam` (aid, key, n, first_seen, last_seen), `_shared_ip/_fp/_fam`
    (keys of artifacts used by two or more accounts) and `_req_accounts` (ids with a clean request).

    Returns the batch's first and last request time (epoch µs; 0, 0 when it has none).
    """
    for table, key in _EDGE_GROUPS.items():
        t0 = time.perf_counter()
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT aid, {key} AS k, {_SEEN}
            FROM {REQUESTS} WHERE {key} IS NOT NULL GROUP BY aid, {key}""")
        log.debug("%s took %.2fs", table, time.perf_counter() - t0)
    for kind in _SHARED:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _shared_{kind} AS SELECT k FROM _g_{kind} GROUP BY k"
                    " HAVING count(*) >= 2")
    # Every clean request has an IP, so the accounts of _g_ip are all accounts with one.
    con.execute("""CREATE OR REPLACE TEMP TABLE _req_accounts AS
        SELECT s AS account_id FROM _d_acct WHERE h IN (SELECT DISTINCT aid FROM _g_ip)""")
    lo, hi = con.execute(f"SELECT coalesce(min(us), 0), coalesce(max(us), 0) FROM {REQUESTS}").fetchall()[0]
    return int(lo), int(hi)


def _co_window(kind: str, key: str, dictionary: str, window_minutes: int, span: tuple[int, int]) -> str:
    """Lockstep windows of one artifact kind: an (artifact, window) two or more accounts share.

    Rows on an artifact only one account used in this batch cannot be in such a window and
    are left out before grouping (a quarter to a third of a realistic log) — except in the
    batch's first and last window: there the previous or next batch may hold the other
    account, so those windows are kept even with one account, and the store's merge adds
    them up. (Lockstep reads only windows with two or more accounts.)
    """
    width = int(window_minutes) * 60_000_000
    edges = tuple(us - us % width for us in span)  # Python's % floors, also before 1970
    return f"""
        WITH g AS MATERIALIZED (
            SELECT k, win, aid, count(*) AS n FROM (
                SELECT {key} AS k, {bucket(width)} AS win, aid FROM {REQUESTS} WHERE {key} IS NOT NULL)
            WHERE k IN (SELECT k FROM _shared_{kind}) OR win IN {edges} GROUP BY ALL),
        kept AS (SELECT k, win FROM g GROUP BY k, win HAVING count(*) >= 2 OR win IN {edges})
        SELECT '{_WINDOW_KIND[kind]}' AS kind, d.s AS artifact,
               make_timestamp(g.win) AS window_start, a.s AS account_id, g.n AS requests
        FROM g JOIN kept ON g.k = kept.k AND g.win = kept.win
        JOIN {dictionary} d ON d.h = g.k JOIN _d_acct a ON a.h = g.aid"""


def request_queries(window_minutes: int, span: tuple[int, int], tick_seconds: int = 1) -> dict[str, str]:
    """SQL per graph table that comes from requests (after `group_requests`, which gives `span`).

    `tick` counts each account's requests per `tick_seconds` bucket (synchrony evidence).

    Each groups by the integer keys and decodes strings only on the result.
    """
    def edge(group: str, dictionary: str, artifact: str, count: str) -> str:
        return f"""
            SELECT a.s AS account_id, d.{artifact}, g.n AS {count}, g.first_seen, g.last_seen
            FROM {group} g JOIN _d_acct a ON a.h = g.aid JOIN {dictionary} d ON d.h = g.k"""

    return {
        "used_ip": edge("_g_ip", "(SELECT h, s AS ip FROM _d_ip)", "ip", "requests"),
        "sent": edge("_g_fp", "(SELECT h, s AS fingerprint FROM _d_fp)", "fingerprint", "count"),
        "sent_family": edge("_g_fam", "(SELECT h, s AS family_id FROM _d_fam)", "family_id", "count"),
        "used_agent": edge("_g_ua", "_d_ua", "ua_id", "requests"),
        "activity": f"""
            SELECT a.s AS account_id, make_timestamp(g.hour) AS hour, m.s AS model, g.n AS requests,
                   coalesce(g.tokens_in, 0) AS tokens_in, coalesce(g.tokens_out, 0) AS tokens_out
            FROM (SELECT aid, {bucket(HOUR_US)} AS hour, mid, count(*) AS n,
                         sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
                  FROM {REQUESTS} GROUP BY ALL) g
            JOIN _d_acct a ON a.h = g.aid JOIN _d_model m ON m.h = g.mid""",
        "tick": f"""
            SELECT a.s AS account_id, make_timestamp(g.t) AS tick_start, g.n AS requests
            FROM (SELECT aid, {bucket(int(tick_seconds) * 1_000_000)} AS t, count(*) AS n
                  FROM {REQUESTS} GROUP BY ALL) g JOIN _d_acct a ON a.h = g.aid""",
        "co_window": f"({_co_window('ip', 'iid', '_d_ip', window_minutes, span)}) UNION ALL"
                     f" ({_co_window('fp', 'fid', '_d_fp', window_minutes, span)}) UNION ALL"
                     f" ({_co_window('fam', 'famid', '_d_fam', window_minutes, span)})",
        "ip": "SELECT s AS ip, version FROM _d_ip WHERE h IN (SELECT DISTINCT k FROM _g_ip)",
        "user_agent": "SELECT ua_id, s AS user_agent FROM _d_ua WHERE h IN (SELECT DISTINCT k FROM _g_ua)",
        # one row per fingerprint already (`_d_fp` and `_promptfp` are distinct): a join on the hash, no grouping
        "prompt_fingerprint": """
            SELECT f.s AS fingerprint, p.simhash, p.capability
            FROM _d_fp f LEFT JOIN _promptfp p ON p.h = f.h
            WHERE f.h IN (SELECT k FROM _g_fp)""",
    }


def account_query() -> str:
    """Accounts from the accounts files, plus ids seen only in requests or payments."""
    return """
        SELECT account_id, min(created_at) AS created_at,
               arg_max(email_hash, created_at) FILTER (WHERE email_hash IS NOT NULL) AS email_hash,
               arg_max(email_domain, created_at) FILTER (WHERE email_domain IS NOT NULL) AS email_domain,
               arg_max(country, created_at) FILTER (WHERE country IS NOT NULL) AS country,
               arg_max(org_id, created_at) FILTER (WHERE org_id IS NOT NULL) AS org_id
        FROM (
            SELECT a.account_id, a.created_at, e.email_hash, e.email_domain, a.country, a.org_id
            FROM clean_accounts a LEFT JOIN _emailmap e ON a.email = e.raw
            UNION ALL
            SELECT account_id, NULL, NULL, NULL, NULL, NULL FROM _req_accounts
            UNION ALL
            SELECT DISTINCT account_id, NULL, NULL, NULL, NULL, NULL FROM clean_payments
        ) GROUP BY account_id"""


def payment_queries() -> dict[str, str]:
    base = "FROM clean_payments p JOIN _instmap i ON p.instrument_fingerprint = i.raw"
    return {
        "paid_with": f"""
            SELECT p.account_id, i.instrument_id, count(*) AS payments, min(p.ts) AS first_seen,
                   max(p.ts) AS last_seen {base} GROUP BY p.account_id, i.instrument_id""",
        "payment_instrument": f"""
            SELECT i.instrument_id,
                   arg_max(lower(p.instrument_type), p.ts) FILTER (WHERE p.instrument_type IS NOT NULL)
                     AS instrument_type,
                   arg_max(p.bin, p.ts) FILTER (WHERE p.bin IS NOT NULL) AS bin,
                   arg_max(p.country, p.ts) FILTER (WHERE p.country IS NOT NULL) AS country
            {base} GROUP BY i.instrument_id""",
    }


def proxy_queries() -> dict[str, str]:
    rows = """
        SELECT n.network, n.version, p.provider, lower(p.kind) AS kind,
               p.provider || '|' || coalesce(lower(p.kind), '') AS proxy_id
        FROM clean_proxies p JOIN _netmap n ON p.network_raw = n.raw WHERE n.network IS NOT NULL"""
    return {
        "proxy": f"SELECT DISTINCT proxy_id, provider, kind FROM ({rows})",
        # A network listed twice keeps one owner (the greatest id): deterministic across reruns.
        "proxy_range": f"""
            SELECT network, max(proxy_id) AS proxy_id, any_value(version) AS version
            FROM ({rows}) GROUP BY network""",
    }
