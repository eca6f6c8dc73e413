"""The request log as a compact table of 64-bit keys: the one pass over the big input.

Grouping tens of millions of rows by long strings (account ids, IPs, 16-hex
fingerprints, 100-character user agents) is what made ingest slow. So every
request file is read once, validated in the same pass, and written to `_rq`
with each string replaced by `hash()` of its canonical form:

    _rq(aid, iid, fid, uid, mid UBIGINT, us BIGINT, tokens_in, tokens_out BIGINT)

(`us`: the timestamp in epoch microseconds; hour and window buckets are then
integer arithmetic instead of calendar functions.)

All aggregates then group by integers; dictionaries `_d_<kind>(h, s)` built
over DISTINCT values turn the keys back into strings on the (far smaller)
aggregated output. A dictionary in which two strings share a hash would merge
two entities, so every dictionary is checked and the load stops on a collision
(odds below one in a million at a few million distinct values per kind).

Canonical forms are the ones the rest of the pipeline uses: trimmed text with
empty meaning absent, lower-case fingerprints, normalised IPs, '' for a
missing model. When a column's distinct values are already canonical (the
common case) the pass hashes the raw value and skips the string functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import xxhash

from linkage.ingest.prompt_map import PROMPT_FINGERPRINTS
from linkage.ingest.readers import MISSING
from linkage.ingest.validate import RAW_IP, FileRules, account_canon, account_id, prompt_text, text

REQUESTS = "_rq"
_TRIMMED = "NULLIF(trim(raw), '')"  # canonical text of a dictionary's raw (VARCHAR) value


@dataclass(frozen=True)
class Encoding:
    """What the dictionaries found out about the request files' columns."""

    raw_ok: dict[str, bool]  # column -> its raw text can be hashed as is
    ip_fix: bool  # some raw IPs are not their own normal form: look them up in `_ip_fix`
    no_blanks: frozenset[str]  # required columns holding no blank text (see `validate.missing`)


class HashCollision(RuntimeError):
    """Two distinct values of one kind hash alike: the load stops rather than merge them."""


def _h(expr: str) -> str:
    """hash() of a value, NULL for NULL (DuckDB hashes NULL to a constant)."""
    return f"CASE WHEN ({expr}) IS NOT NULL THEN hash({expr}) END"


def raw_union(files: list[tuple[str, dict[str, str]]], col: str) -> str:
    """SQL: every value of `col` in `files` as text (no rows if no file has the column)."""
    parts = [f"SELECT CAST({col} AS VARCHAR) AS raw FROM {rel}" for rel, types in files if types[col] != MISSING]
    return " UNION ALL ".join(parts) or "SELECT NULL::VARCHAR AS raw WHERE FALSE"


def _check_unique(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Stop if two values of dictionary `table` (h, s; s distinct) share a hash."""
    distinct_h, distinct_s = con.execute(f"SELECT count(DISTINCT h), count(*) FROM {table}").fetchone()
    if distinct_h != distinct_s:
        raise HashCollision(f"{table}: {distinct_s} distinct values but {distinct_h} distinct hashes")


def _text_dictionary(con: duckdb.DuckDBPyConnection, name: str, files: list[tuple[str, dict[str, str]]],
                     col: str, canon: str) -> bool:
    """Build `_d_<name>(h, s)` from the distinct raw values of `col`; True if raw == canonical throughout.

    `canon` is an SQL expression over `raw` giving the canonical text (or NULL).
    Only text columns are hashed raw; a typed column (a parquet integer id) always goes through `canon`.
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE _raw_{name} AS SELECT DISTINCT raw FROM ({raw_union(files, col)})"
                " WHERE raw IS NOT NULL")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _d_{name} AS SELECT hash(s) AS h, s FROM ("
                f" SELECT DISTINCT {canon} AS s FROM _raw_{name}) WHERE s IS NOT NULL")
    _check_unique(con, f"_d_{name}")
    canonical = con.execute(f"SELECT coalesce(bool_and(coalesce(raw = {canon}, FALSE)), TRUE) FROM _raw_{name}").fetchone()[0]
    con.execute(f"DROP TABLE _raw_{name}")
    typed = any(types[col] not in ("VARCHAR", MISSING) for _, types in files)
    return bool(canonical) and not typed


def build_dictionaries(con: duckdb.DuckDBPyConnection, files: list[tuple[str, dict[str, str]]],
                       ip_map: str, prompt_map: str) -> Encoding:
    """Dictionaries for every hashed kind, and how each column is to be encoded.

    Needs the IP map (trimmed raw text -> normal IP, version) and the prompt map
    (hash of the raw prompt text -> fingerprint, simhash, capability, family) and its distinct fingerprints
    (`PROMPT_FINGERPRINTS`) built earlier over distinct values.
    """
    raw_ok = {
        "account_id": _text_dictionary(con, "acct", files, "account_id", account_canon("raw")),
        "user_agent": _text_dictionary(con, "ua", files, "user_agent", _TRIMMED),
        "model": _text_dictionary(con, "model", files, "model", _TRIMMED),
        "prompt_fingerprint": _text_dictionary(con, "pf", files, "prompt_fingerprint", f"lower({_TRIMMED})"),
    }
    # Missing model is '' (the activity key); fingerprints from raw prompts join the fingerprint dictionary.
    con.execute(f"INSERT INTO _d_model SELECT hash(''), '' WHERE NOT EXISTS (SELECT 1 FROM _d_model WHERE s = '')")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _d_fp AS SELECT h, fingerprint AS s FROM {PROMPT_FINGERPRINTS}
        UNION ALL SELECT h, s FROM _d_pf p WHERE NOT EXISTS (SELECT 1 FROM {PROMPT_FINGERPRINTS} f
                                                         WHERE f.fingerprint = p.s)""")
    con.execute("DROP TABLE _d_pf")
    _check_unique(con, "_d_fp")
    # Raw prompt text -> fingerprint key, joined only on the rows that carry a prompt.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _d_prompt AS SELECT ph, hash(fingerprint) AS fh,"
                f" CASE WHEN family IS NULL THEN NULL ELSE hash(family) END AS famh FROM {prompt_map}")
    # Prompt families (near-duplicate templates) from raw prompts only; NULL family -> no key.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _d_fam AS SELECT hash(s) AS h, s FROM (
        SELECT DISTINCT family AS s FROM {prompt_map} WHERE family IS NOT NULL)""")
    _check_unique(con, "_d_fam")
    # IPs: the map already holds the normal form of every distinct trimmed raw text.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _d_ip AS SELECT hash(ip) AS h, ip AS s, any_value(version) AS version
        FROM {ip_map} WHERE ip IS NOT NULL GROUP BY ip""")
    _check_unique(con, "_d_ip")
    # Raw IP text is hashed as is; the few raw values that are not their own normal form
    # (IPv4-mapped IPv6, upper-case or expanded IPv6, padding) are looked up in `_ip_fix`.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _ip_fix AS SELECT r.raw, hash(m.ip) AS h
        FROM {RAW_IP} r JOIN {ip_map} m ON m.raw = NULLIF(trim(r.raw), '')
        WHERE m.ip IS NOT NULL AND r.raw <> m.ip""")
    raw_ok["ip"] = all(types["ip"] == "VARCHAR" for _, types in files)
    ip_fix = con.execute("SELECT count(*) FROM _ip_fix").fetchall()[0][0] > 0
    ip_no_blanks = con.execute(f"SELECT coalesce(bool_and(trim(raw) <> ''), TRUE) FROM {RAW_IP}").fetchall()[0][0]
    # A raw-canonical text column holds no blanks (blank is not canonical); nor may an IP column say so.
    no_blanks = frozenset([*(["account_id"] if raw_ok["account_id"] else []), *(["ip"] if ip_no_blanks else [])])
    uas = con.sql("SELECT h, s FROM _d_ua").to_arrow_table()
    con.register("_ua_ids", pa.table({
        "h": uas["h"], "s": uas["s"],
        "ua_id": pa.array([xxhash.xxh3_64_hexdigest(s.encode()) for s in uas["s"].to_pylist()], pa.string()),
    }))
    con.execute("CREATE OR REPLACE TEMP TABLE _d_ua AS SELECT * FROM _ua_ids")
    con.unregister("_ua_ids")
    return Encoding(raw_ok, ip_fix, no_blanks)


def drop_prompt_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Free what only `encode_file` reads: the prompt keys, one row per distinct prompt."""
    con.execute("DROP TABLE IF EXISTS _d_prompt")


def create_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {REQUESTS} (aid UBIGINT, iid UBIGINT, fid UBIGINT, uid UBIGINT,
        mid UBIGINT, us BIGINT, tokens_in BIGINT, tokens_out BIGINT, famid UBIGINT)""")


def encode_file(con: duckdb.DuckDBPyConnection, rel: str, types: dict[str, str], rules: FileRules,
                encoding: Encoding, ip_map: str) -> int:
    """Append the clean rows of request file `rel` to `_rq`; return how many were clean."""
    raw_ok = encoding.raw_ok
    def key(col: str, canon: str) -> str:
        if types[col] == MISSING:
            return "NULL::UBIGINT"
        return _h(col) if raw_ok[col] else _h(canon)

    joins = ""
    if raw_ok["ip"] and not encoding.ip_fix:
        iid = key("ip", "ip")
    elif raw_ok["ip"]:
        joins += " LEFT JOIN (SELECT raw AS _fraw, h AS _fh_ip FROM _ip_fix) _x ON _x._fraw = ip"
        iid = f"coalesce(_fh_ip, {_h('ip')})"
    else:  # a typed (non-text) IP column: every value through the map
        # (the map's columns renamed: the file has its own `ip`)
        joins += (f" LEFT JOIN (SELECT raw AS _mraw, ip AS _mip FROM {ip_map}) _m"
                  f" ON _m._mraw = {text('ip', types['ip'])}")
        iid = _h("_mip")
    pf = key("prompt_fingerprint", f"lower({text('prompt_fingerprint', types['prompt_fingerprint'])})")
    if types["prompt"] != MISSING:
        # Raw text wins over a precomputed fingerprint (the ingest computed it from the text itself).
        joins += (f" LEFT JOIN (SELECT ph AS _ph, fh AS _fh, famh AS _famh FROM _d_prompt) _p"
                  f" ON _ph = {_h(prompt_text('prompt', types['prompt']))}")
        fid = f"coalesce(_fh, {pf})"
        famid = "_famh"
    else:
        fid = pf
        famid = "NULL::UBIGINT"
    model = "hash('')" if types["model"] == MISSING else (
        f"hash(coalesce({'model' if raw_ok['model'] else text('model', types['model'])}, ''))")
    sql = f"""INSERT INTO {REQUESTS}
        SELECT {key('account_id', account_id('account_id', types['account_id']))}, {iid}, {fid},
               {key('user_agent', text('user_agent', types['user_agent']))}, {model},
               epoch_us({rules.clean['ts']}), {rules.clean['tokens_in']}, {rules.clean['tokens_out']}, {famid}
        FROM {rel} {joins} WHERE NOT ({rules.any_bad})"""
    return int(con.execute(sql).fetchone()[0])
