"""The prompt map keys raw text and trims it itself: exactly what DuckDB's trim() gives, on any text."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from linkage.ingest.prompt_map import SPACE_SEPARATORS, trim_spaces

pytestmark = pytest.mark.embedded

# Separators, their near neighbours in UTF-8 (same lead bytes, other code points), other whitespace that
# trim() keeps, and plain text.
ALPHABET = [*SPACE_SEPARATORS, "\u200b", "\u200c", "\u2028", "\u2030", "\u2060", "\u3001", "\u1681", "\u00a1",
            "\u00c2", "\t", "\n", "a", "é", "。", "🙂"]


def test_trim_spaces_equals_duckdb_trim_on_random_texts() -> None:
    rng = random.Random(20261203)
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 7))) for _ in range(30_000)]
    con = duckdb.connect()
    con.register("t", pa.table({"i": range(len(texts)), "v": texts}))
    want = [r[0] for r in con.execute("SELECT trim(v) FROM t ORDER BY i").fetchall()]
    assert trim_spaces(pa.array(texts)).to_pylist() == want


def test_space_separators_are_every_code_point_duckdb_trims() -> None:
    trimmed = duckdb.execute("SELECT list(i ORDER BY i) FROM range(1, 196608) t(i) WHERE (i < 55296 OR i > 57343)"
                             " AND trim(chr(i::INT) || 'x' || chr(i::INT)) = 'x'").fetchone()[0]
    assert "".join(map(chr, trimmed)) == SPACE_SEPARATORS


def test_a_sliced_array_is_trimmed_row_for_row() -> None:
    arr = pa.array(["  a", "b  ", "\u3000c\u3000", "d"]).slice(1)
    assert trim_spaces(arr).to_pylist() == ["b", "c", "d"]
