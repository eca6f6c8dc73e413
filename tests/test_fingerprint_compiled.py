"""The compiled fingerprint pass computes exactly what the plain-Python specification says.

`linkage.ingest.fingerprint_reference` states the masking rules as one regex
tokenizer, the hashes with Python integers and the cues with Python's `re`
(`re.ASCII | re.IGNORECASE`); the compiled pass (`normaliser`, `cues`, numba)
must agree on every prompt: masked text, template, SimHash and capability.

Frozen values: tests/data/fingerprint_golden.json holds diverse prompts (code
blocks, unicode, e-mails, URLs, cue words, empty and blank) with the outputs of
the compiled pass, re-pinned when it replaced the regex implementation
(`python bench/bench_fingerprint.py --write-fixture tests/data/fingerprint_golden.json`,
which refuses to write unless the reference agrees). What changed then, and
why, is in bench/RESULTS.md ("compiled fingerprint pass").
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from linkage.ingest import cues
from linkage.ingest import fingerprint as fp
from linkage.ingest import fingerprint_reference as ref
from linkage.ingest.capability import CAPABILITIES, CUES

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((ROOT / "tests" / "data" / "fingerprint_golden.json").read_text())

_PIECES = [
    "Alice", "Bob Smith", "x@y.io", "a.b+c@mail.example.co.uk.", "bad@x", "https://a.b/c?d=1", "HTTP://X.Y",
    "www.q.org", "wwwx", "```py\nx=1\n```", "```", "`a_b`", "``", "`x\ny`", "\"q\"", "\"\"", "'s'", "don't",
    "Bob's", "“curly”", "“open", "0x1F", "3.5e2", "1,000.50", "3rd", "x86", "snake_case", "camelCase",
    "PascalCase", "ACME", "a.b.c", "e.g.", "\u0661\u0662", "\u0130", "\u0131", "\u017f", "\u212a", "\u00e9",
    "caf\u00e9", "\u65e5\u672c\u8a9e", "\U0001f600", "\u2014", "\u2019", "\u00a0", "\u3000", "\t", "\n", "\r\n",
    "  ", ".", "?", "!", "_", "-", ":", "(", ")", "<tool>", "<num>", "</code>", "<x", "ﬁ", "Ｋ", "e\u0301",
    "step-by-step", "step by step", "call the weather tool", "def f(", "class Foo", "c++", "unit tests",
    "explain your reasoning", "available functions", "json schema", "why", "Why", "WHY", "tool_call",
]


def generated_prompts(n: int, seed: int) -> list[str]:
    """Random mixtures of the masking rules' and the cues' edge cases, with words and case changes."""
    rng = random.Random(seed)
    cue_text = [re.sub(r"\\[bw]\+?|[()?|\\]", "", p) for pats in CUES.values() for p in pats]
    words = "the a of to is in please write explain summarise this that code tool reason".split()
    out = []
    for _ in range(n):
        parts = [rng.choice(_PIECES + cue_text + words) for _ in range(rng.randint(0, 18))]
        text = "".join(rng.choice([" ", " ", "", "\n", "  ", ". ", ", "]) + p for p in parts)
        if rng.random() < 0.3:
            text = "".join(c.upper() if rng.random() < 0.3 else c for c in text)
        if rng.random() < 0.05:  # long: more than 255 shingles (wider than a SWAR byte counter)
            text = " ".join(rng.choice(words) for _ in range(rng.randint(260, 700)))
        if rng.random() < 0.05:  # raw bytes of any code point
            text += "".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(rng.randint(1, 30)))
        out.append(text.replace("\ud800", ""))
    return [t for t in out if not any(0xD800 <= ord(c) < 0xE000 for c in t)]


def simulator_prompts(n: int) -> list[str]:
    """Prompts as the simulator renders them: operator templates, pasted documents and code, everyday text."""
    from linkage.simulate.prompts import build_prompts

    rng = np.random.default_rng(3)
    bank, _ = build_prompts(rng, [4, 6], n_free=2_000, n_popular=200, n_integrators=200)
    ids = np.concatenate([rng.choice(ids, n // len(bank.segments)) for ids in bank.segments.values()])
    return bank.render(ids, rng).to_pylist()


def _agree(texts: list[str]) -> None:
    got = fp.fingerprint_prompts(texts)
    masked = fp.normalise_many(texts)
    for text, g, m in zip(texts, got, masked):
        assert m == ref.normalise(text), repr(text)
        assert (g.template, g.simhash, g.capability) == ref.fingerprint(text), repr(text)


def test_generated_prompts_agree_with_the_reference() -> None:
    _agree(generated_prompts(2500, seed=11))


def test_simulator_prompts_agree_with_the_reference() -> None:
    texts = simulator_prompts(1200)
    assert max(map(len, texts)) > 2000 and any("```" in t for t in texts)
    _agree(texts)


def test_golden_fixture_is_diverse_and_matches() -> None:
    prompts = [r["prompt"] for r in GOLDEN]
    assert len(prompts) >= 300 and "" in prompts and any(p.isspace() for p in prompts)
    assert any("```" in p for p in prompts) and any("@" in p for p in prompts) and any("://" in p for p in prompts)
    assert any(not p.isascii() for p in prompts) and any(len(p.split()) > 256 for p in prompts)
    assert {r["capability"] for r in GOLDEN} == set(CAPABILITIES)
    got = fp.fingerprint_prompts(prompts)
    assert [(g.template, f"{g.simhash:016x}", g.capability) for g in got] == [
        (r["template"], r["simhash"], r["capability"]) for r in GOLDEN]
    assert [fp.fingerprint_prompt(p) for p in prompts[:50]] == got[:50]


@pytest.mark.parametrize("text,masked", [
    ("Think step by step:   Carol has 7 apples and gives 3 to Dave.\nHow many are left?",
     "think step by step: <name> has <num> apples and gives <num> to <name> . how many are left?"),
    ("Fix this code:\n```python\ndef add(a, b):\n    return a - b\n```", "fix this code: <code> i i i(i, i): i i - i </code>"),
    ("It's Bob's turn; don't 'stop'", "it's <name> 's turn; don't <str>"),
    ("Mail john.doe+tag@example.co.uk. See https://x.y/z?q=1 ok", "mail <email> . see <url> ok"),
    ("Ask Mary Jones about New York", "ask <name> about <name>"),
    ("the parse_config function, loadUserPrefs, os.path.join, v2", "the <id> function, <id> , <id> , <id>"),
    ("Numbers: 42, -17, 1,000,000 and 0x1F", "numbers: <num> , - <num> , <num> and <num>"),
    ("  ", ""),
    ('say "' + "é" * 200 + '"', "say <str>"),  # at most 200 characters (not bytes) inside quotes
    ('say "' + "a" * 201 + '"', 'say "' + "a" * 201 + '"'),
    ("x ```a1 = b(2)``` y ```", "x <code> i = i(0) </code> y <code> </code>"),
])
def test_masking_examples(text: str, masked: str) -> None:
    assert fp.normalise(text) == masked == ref.normalise(text)


def test_null_and_empty_prompts() -> None:
    import pyarrow as pa

    table = fp.fingerprint_table(pa.array([None, "", "why?"], pa.string()))
    assert table["template"][0] == table["template"][1] and table["capability"].to_pylist() == [
        "other", "other", "reasoning"]
    assert fp.fingerprint_prompts([]) == []


def test_cue_variants_are_every_spelling() -> None:
    as_text = lambda seqs: sorted("".join("|" if a == cues.BOUNDARY else "+" if a == cues.WORDS else chr(a)
                                          for a in s) for s in seqs)
    assert as_text(cues.variants(r"\bagent(ic)?\b")) == sorted(["|agent|", "|agentic|"])
    assert as_text(cues.variants(r"step[- ]by[- ]step")) == sorted(
        ["step-by-step", "step-by step", "step by-step", "step by step"])
    assert as_text(cues.variants(r"\bcall the \w+ (tool|function|api)\b")) == sorted(
        f"|call the + {x}|" for x in ("tool", "function", "api"))
    with pytest.raises(ValueError):
        cues.variants(r"\bfoo\d")
    with pytest.raises(ValueError):
        cues.variants(r"ab\w+x")  # greedy \w+ before a word character would not be exact
