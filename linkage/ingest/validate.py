"""The quarantine rules, as SQL over one staged file.

For each file the rules give two queries over the same relation: the rows that
break the contract (with field and reason), and the clean rows cast to
canonical types. Both are plain DuckDB SQL, so a 16-million-row file is
checked in the database, never row by row in Python.

Reasons (first match wins, in this order):
  malformed JSON · missing required field · UTC offset beyond ±23:59 · unparseable timestamp ·
  unparseable IP · unparseable IP or CIDR · bad email · negative or non-integer tokens
(`unknown table` is decided per file, in the pipeline.)

Timestamps (text): RFC 3339, read by DuckDB. A value ending in `Z` is accepted when
DuckDB parses it (the bulk of any log; one cheap test per row). Any other value must
also match `TIMESTAMP_GRAMMAR`: a date, optionally a time with any number of
fractional digits (kept to the microsecond, the store's resolution: nanoseconds
are truncated), then an offset `±HH:MM` (also `±HHMM`, `±HH`) with HH <= 23 and
MM <= 59, or an IANA zone name (`Europe/Paris`, DST-aware), or nothing at all —
a timestamp without a zone is UTC. An offset past ±23:59 (`+25:00`, `+99:99`,
which DuckDB would silently shift by days) has its own reason; words DuckDB
takes for timestamps (`infinity`, `-infinity`, `epoch`, `now`) are unparseable.

Account ids are trimmed of surrounding whitespace (Unicode spaces, tabs, line
breaks) and put in Unicode NFC: `josé` typed with a combining accent (NFD), and
` josé` followed by a tab, are the one account `josé`. Case is kept: ids are
case-sensitive.
"""

from __future__ import annotations

from dataclasses import dataclass

from linkage.ingest.contract import CONTRACTS, NON_SENSITIVE
from linkage.ingest.readers import MISSING

TIMESTAMP_COLUMNS = ("ts", "created_at")
TOKEN_COLUMNS = ("tokens_in", "tokens_out")
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_ZONE = r"( ?([+-][0-9]{2}(:?[0-9]{2})?)| ?[A-Za-z_]+(/[A-Za-z0-9_+-]+)*)?"
TIMESTAMP_GRAMMAR = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?" + _ZONE + ")?")
# An offset after the time whose hours pass 23 or minutes 59 (matched at the end of the text).
BAD_OFFSET = r":[0-9]{2}(\.[0-9]+)? ?[+-](([2][4-9]|[3-9][0-9])(:?[0-9]{2})?|[0-9]{2}:?[6-9][0-9])$"
# Surrounding whitespace of an account id: Unicode spaces and the ASCII controls (tab, line breaks).
_EDGE_SPACE = r"^[\s\p{Z}]+|[\s\p{Z}]+$"
IP_MAP = "_ipmap"  # staging table: raw text, normal form (NULL when unparseable), version
RAW_IP = "_raw_ip"  # staging table: every distinct raw IP value of the request files, as text
BAD_IP = "_bad_ip"  # staging table: the raw IP texts that do not parse (small)
NET_MAP = "_netmap"  # staging table: raw ip/cidr text of proxies, normal network or NULL


@dataclass(frozen=True)
class Check:
    field: str | None
    reason: str
    bad: str  # SQL condition, never NULL


@dataclass(frozen=True)
class FileRules:
    checks: list[Check]
    clean: dict[str, str]  # column -> SQL expression in canonical type

    @property
    def any_bad(self) -> str:
        return " OR ".join(f"({c.bad})" for c in self.checks) or "FALSE"


def text(col: str, sql_type: str) -> str:
    """The column as trimmed text, NULL when absent or empty."""
    if sql_type == MISSING:
        return "NULL::VARCHAR"
    if sql_type == "VARCHAR":
        return f"NULLIF(trim({col}), '')"
    return f"CAST({col} AS VARCHAR)"


def prompt_text(col: str, sql_type: str) -> str:
    """The prompt column as the prompt map keys it (`hash()` of this): the raw text, which the map trims
    itself (`prompt_map.trim_spaces`; trim() in SQL cost a minute per pass at full scale); NULL when absent."""
    return col if sql_type == "VARCHAR" else text(col, sql_type)


def account_canon(expr: str) -> str:
    """SQL: the canonical account id of text `expr` (trimmed, NFC), NULL when nothing is left."""
    return f"NULLIF(nfc_normalize(regexp_replace({expr}, '{_EDGE_SPACE}', '', 'g')), '')"


def account_id(col: str, sql_type: str) -> str:
    """The column as a canonical account id (see the module docstring), NULL when absent or blank."""
    if sql_type == MISSING:
        return "NULL::VARCHAR"
    return account_canon(f"CAST({col} AS VARCHAR)")


def missing(col: str, sql_type: str, no_blanks: bool = False) -> str:
    """SQL that is TRUE when the column has no value (typed columns are never cast to text for it).

    `no_blanks`: the column's distinct values are known to hold no blank text, so
    NULL is the only way to be missing (spares trimming every row of a big file).
    """
    if sql_type == MISSING:
        return "TRUE"
    if col == "account_id" and not no_blanks:
        return f"({account_id(col, sql_type)} IS NULL)"
    if sql_type == "VARCHAR" and not no_blanks:
        return f"({col} IS NULL OR trim({col}) = '')"
    return f"({col} IS NULL)"


def timestamp(col: str, sql_type: str) -> str:
    if sql_type.startswith("TIMESTAMP") or sql_type == "DATE":
        return f"CAST({col} AS TIMESTAMPTZ)"
    return f"try_cast({text(col, sql_type)} AS TIMESTAMPTZ)"


def _timestamp_checks(col: str, sql_type: str) -> list[Check]:
    """The offset and parse checks of a text timestamp column (see the module docstring)."""
    t, ts = text(col, sql_type), timestamp(col, sql_type)
    not_zulu = f"NOT suffix({t}, 'Z')"
    return [
        Check(col, "UTC offset beyond ±23:59",
              f"coalesce({not_zulu} AND regexp_matches({t}, '{BAD_OFFSET}'), FALSE)"),
        Check(col, "unparseable timestamp",
              f"(NOT {missing(col, sql_type)} AND ({ts} IS NULL"
              f" OR coalesce({not_zulu} AND NOT regexp_full_match({t}, '{TIMESTAMP_GRAMMAR}'), FALSE)))"),
    ]


def _tokens(col: str, sql_type: str) -> tuple[str, str]:
    """(bad condition, clean BIGINT expression) for a token counter."""
    if sql_type == MISSING:
        return "FALSE", "NULL::BIGINT"
    if sql_type in _INT_TYPES:
        return f"coalesce({col} < 0, FALSE)", f"CAST({col} AS BIGINT)"
    if sql_type in _FLOAT_TYPES:
        return f"coalesce({col} < 0 OR {col} <> trunc({col}), FALSE)", f"CAST({col} AS BIGINT)"
    t = text(col, sql_type)
    return (f"({t} IS NOT NULL AND NOT regexp_full_match({t}, '\\+?[0-9]{{1,18}}'))",
            f"try_cast({t} AS BIGINT)")


def rules_for(table: str, types: dict[str, str], bad_ips: bool = True, bad_nets: bool = True,
              no_blanks: frozenset[str] = frozenset()) -> FileRules:
    """Checks and clean expressions for one staged file of `table` with column `types`.

    `bad_ips`/`bad_nets`: whether any unparseable IP/network text exists at all;
    if not, the (per-row) lookup is left out. `no_blanks`: columns whose distinct
    values hold no blank text (see `missing`).
    """
    contract = CONTRACTS[table]
    checks = [Check(None, "malformed JSON", "NOT _json_ok")]
    for col in contract.required:
        checks.append(Check(col, "missing required field", missing(col, types[col], col in no_blanks)))
    for group in contract.one_of:
        cond = " AND ".join(missing(c, types[c]) for c in group)
        checks.append(Check("|".join(group), "missing required field", cond))
    clean = {c: text(c, types[c]) for c in contract.columns}
    if "account_id" in clean:
        clean["account_id"] = account_id("account_id", types["account_id"])
    for col in TIMESTAMP_COLUMNS:
        if col in types:
            if types[col] in ("VARCHAR", MISSING):
                checks.extend(_timestamp_checks(col, types[col]))
            clean[col] = timestamp(col, types[col])
    if table == "requests" and bad_ips:
        ip = text("ip", types["ip"])
        checks.append(Check("ip", "unparseable IP",
                            f"coalesce({ip} IN (SELECT raw FROM {BAD_IP}), FALSE)"))
    if table == "proxies":
        net = f"coalesce({text('cidr', types['cidr'])}, {text('ip', types['ip'])})"
        field = "cidr" if types["cidr"] != MISSING else "ip"
        if bad_nets:
            checks.append(Check(field, "unparseable IP or CIDR",
                                f"coalesce({net} IN (SELECT raw FROM {NET_MAP} WHERE network IS NULL), FALSE)"))
        clean["network_raw"] = net
    if "email" in types:
        e = text("email", types["email"])
        checks.append(Check("email", "bad email",
                            f"({e} IS NOT NULL AND NOT regexp_full_match({e}, '{EMAIL_PATTERN}'))"))
    for col in TOKEN_COLUMNS:
        if col in types:
            bad, expr = _tokens(col, types[col])
            checks.append(Check(col, "negative or non-integer tokens", bad))
            clean[col] = expr
    return FileRules(checks, clean)


def quarantine_sql(rules: FileRules, relation: str, file: str, table: str,
                   types: dict[str, str]) -> str:
    """SELECT file, line, table, field, reason, value for every row that breaks a rule."""
    def lit(s: str | None) -> str:
        return "NULL" if s is None else "'" + s.replace("'", "''") + "'"

    field = " ".join(f"WHEN {c.bad} THEN {lit(c.field)}" for c in rules.checks)
    reason = " ".join(f"WHEN {c.bad} THEN {lit(c.reason)}" for c in rules.checks)
    # Only non-sensitive values are echoed, truncated; never a prompt, e-mail or instrument.
    # Every check has its branch (NULL when not echoed), so the value is the reported field's.
    values = []
    for c in rules.checks:
        echo = c.field in NON_SENSITIVE and types.get(c.field, MISSING) != MISSING
        values.append(f"WHEN {c.bad} THEN {f'left(CAST({c.field} AS VARCHAR), 80)' if echo else 'NULL'}")
    value = f"CASE {' '.join(values)} END"
    return (f"SELECT {lit(file)} AS file, _line AS line, {lit(table)} AS \"table\","
            f" CASE {field} END AS field, CASE {reason} END AS reason, {value} AS value"
            f" FROM {relation} WHERE {rules.any_bad}")


def clean_sql(rules: FileRules, relation: str) -> str:
    """SELECT the clean rows in canonical types (text, TIMESTAMPTZ, BIGINT)."""
    cols = ", ".join(f"{expr} AS {col}" for col, expr in rules.clean.items())
    return f"SELECT {cols} FROM {relation} WHERE NOT ({rules.any_bad})"
