"""The input contract: which tables exist, which columns they carry, which formats we read.

See DESIGN.md ("Input contract"). A column not listed here is ignored; a
required column that is absent or empty quarantines the row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FORMATS: dict[str, str] = {  # file suffix -> format name
    ".jsonl.gz": "jsonl",
    ".jsonl": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
}


@dataclass(frozen=True)
class TableContract:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # Groups of which at least one column must be present (proxies: ip or cidr).
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        extra = tuple(c for group in self.one_of for c in group)
        return self.required + extra + self.optional


CONTRACTS: dict[str, TableContract] = {
    "accounts": TableContract("accounts", ("account_id", "created_at"), ("email", "country", "org_id")),
    "requests": TableContract(
        "requests", ("ts", "account_id", "ip"),
        ("prompt", "prompt_fingerprint", "user_agent", "model", "tokens_in", "tokens_out"),
    ),
    "payments": TableContract(
        "payments", ("account_id", "instrument_fingerprint", "ts"), ("instrument_type", "bin", "country"),
    ),
    "proxies": TableContract("proxies", ("provider",), ("kind",), one_of=(("ip", "cidr"),)),
}

# Columns whose values may be echoed (truncated) into the quarantine file to help
# whoever fixes the feed. Prompts, e-mails and instrument fingerprints never are.
NON_SENSITIVE = frozenset({"ts", "created_at", "ip", "cidr", "tokens_in", "tokens_out", "model", "kind"})


def canonical_account_id(raw: str | None) -> str | None:
    """An account id as ingest stores it: surrounding whitespace trimmed, Unicode NFC, case kept;
    None when nothing is left (the SQL of `validate.account_canon`, for ids that come from elsewhere:
    a truth file, a command line)."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFC", raw.strip())
    return text or None
