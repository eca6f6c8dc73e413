"""The quarantine rules, as SQL over one staged file.

For each file the rules give two queries over the same relation: the rows that
break the contract (with field and reason), and the clean rows cast to
canonical types. Both are plain DuckDB SQL, so a 16-million-row file is
checked in the database, never row by row in Python.

Reasons (first match wins, in this order):
  malformed JSON · missing required field · unparseable timestamp ·
  unparseable IP · unparseable IP or CIDR · bad email · negative or non-integer tokens
(`unknown table` is decided per file, in the pipeline.)
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


def missing(col: str, sql_type: str, no_blanks: bool = False) -> str:
    """SQL that is TRUE when the column has no value (typed columns are never cast to text for it).

    `no_blanks`: the column's distinct values are known to hold no blank text, so
    NULL is the only way to be missing (spares trimming every row of a big file).
    """
    if sql_type == MISSING:
        return "TRUE"
    if sql_type == "VARCHAR" and not no_blanks:
        return f"({col} IS NULL OR trim({col}) = '')"
    return f"({col} IS NULL)"


def timestamp(col: str, sql_type: str) -> str:
    if sql_type.startswith("TIMESTAMP") or sql_type == "DATE":
        return f"CAST({col} AS TIMESTAMPTZ)"
    return f"try_cast({text(col, sql_type)} AS TIMESTAMPTZ)"


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
    for col in TIMESTAMP_COLUMNS:
        if col in types:
            ts = timestamp(col, types[col])
            if types[col] in ("VARCHAR", MISSING):
                checks.append(Check(col, "unparseable timestamp",
                                    f"(NOT {missing(col, types[col])} AND {ts} IS NULL)"))
            clean[col] = ts
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
    values = []
    for c in rules.checks:
        if c.field in NON_SENSITIVE and types.get(c.field, MISSING) != MISSING:
            values.append(f"WHEN {c.bad} THEN left(CAST({c.field} AS VARCHAR), 80)")
    value = f"CASE {' '.join(values)} END" if values else "NULL::VARCHAR"
    return (f"SELECT {lit(file)} AS file, _line AS line, {lit(table)} AS \"table\","
            f" CASE {field} END AS field, CASE {reason} END AS reason, {value} AS value"
            f" FROM {relation} WHERE {rules.any_bad}")


def clean_sql(rules: FileRules, relation: str) -> str:
    """SELECT the clean rows in canonical types (text, TIMESTAMPTZ, BIGINT)."""
    cols = ", ".join(f"{expr} AS {col}" for col, expr in rules.clean.items())
    return f"SELECT {cols} FROM {relation} WHERE NOT ({rules.any_bad})"
