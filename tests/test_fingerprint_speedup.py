"""The fast fingerprinting gives exactly the original outputs.

Frozen values: tests/data/fingerprint_golden.json holds diverse prompts (code
blocks, unicode, e-mails, URLs, cue words, empty and blank) with the template,
SimHash and capability the ORIGINAL implementation computed (written by
`python bench/bench_fingerprint.py --write-fixture tests/data/fingerprint_golden.json`).
The speed-up's shortcuts rest on facts about Python's `re` and `str`; those are
re-derived here by brute force over every code point.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest

from linkage.ingest import capability as cap
from linkage.ingest import fingerprint as fp

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = json.loads((ROOT / "tests" / "data" / "fingerprint_golden.json").read_text())
ALL_CHARS = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)


def _expected(row: dict) -> fp.PromptFingerprint:
    return fp.PromptFingerprint(row["template"], int(row["simhash"], 16), row["capability"])


def test_golden_fixture_is_diverse() -> None:
    prompts = [r["prompt"] for r in GOLDEN]
    assert len(prompts) >= 300 and "" in prompts and any(p.isspace() for p in prompts)
    assert any("```" in p for p in prompts) and any("@" in p for p in prompts) and any("://" in p for p in prompts)
    assert any(not p.isascii() for p in prompts) and any(len(p.split()) > 256 for p in prompts)
    assert {r["capability"] for r in GOLDEN} == set(cap.CAPABILITIES)


def test_each_prompt_matches_the_original() -> None:
    wrong = [r["prompt"] for r in GOLDEN if fp.fingerprint_prompt(r["prompt"]) != _expected(r)]
    assert wrong == []


def test_batch_matches_the_original_and_single(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [_expected(r) for r in GOLDEN]
    prompts = [r["prompt"] for r in GOLDEN]
    assert fp.fingerprint_prompts(prompts) == expected
    monkeypatch.setattr(fp, "_SIMHASH_CHUNK", 50)  # many chunks, and texts longer than a chunk
    assert fp.fingerprint_prompts(prompts) == expected
    assert fp.fingerprint_prompts([]) == []
    assert [fp.simhash(fp.normalise(p)) for p in prompts] == [e.simhash for e in expected]


def test_simhash_majority_rule_on_ties_and_extremes() -> None:
    ones, zero = 2 ** 64 - 1, 0
    assert fp._majority_bits([ones, zero], [2]) == [0]  # a tie is not a majority
    assert fp._majority_bits([ones, zero, ones], [3]) == [ones]
    assert fp._majority_bits([5] * 300 + [ones, 1, 2, 3], [300, 1, 3]) == [5, ones, 3]


def test_ignorecase_fold_table_is_complete() -> None:
    # Every non-ASCII character that re.IGNORECASE lets match an ASCII character
    # must be in FOLD_TO_ASCII, or a literal pre-check could hide a cue match.
    found: dict[str, set[str]] = {}
    for a in map(chr, range(32, 127)):
        for m in re.finditer(re.escape(a), ALL_CHARS, re.I):
            if not m.group(0).isascii():
                found.setdefault(m.group(0), set()).add(a.lower())
    assert {c: {a} for c, a in cap.FOLD_TO_ASCII.items()} == found


def test_every_whitespace_but_space_is_unprintable() -> None:
    # normalise skips its whitespace regexes on printable text without "  ".
    assert [c for c in re.findall(r"\s", ALL_CHARS) if c.isprintable()] == [" "]


@pytest.mark.parametrize("pattern,literal", [
    (r"\btools?\b", "tool"), (r"\bagent(ic)?\b", "agent"), (r"step[- ]by[- ]step", "step"),
    (r"\bc\+\+", "c++"), (r"\bcall the \w+ (tool|function|api)\b", "call the "), (r"(a|b)", ""),
    (r"\bAction:", "action:"), (r"x*", ""),
])
def test_required_literal(pattern: str, literal: str) -> None:
    assert cap._required_literal(pattern) == literal


def test_any_literal_regex_matches_exactly_where_a_literal_occurs() -> None:
    rx = cap._any_literal_regex(["tool", "tool_call", "c++", "why", "def "])
    assert rx is not None and cap._any_literal_regex(["a", ""]) is None
    for text in ["a tool_call", "c++", "def f", "somewhy", "nothing here", "c+", "de f", "toolbox", ""]:
        assert bool(rx.search(text)) == any(lit in text for lit in ["tool", "c++", "why", "def "])


def test_every_cue_has_one_literal_and_one_pattern() -> None:
    assert sum(map(len, cap.CUES.values())) == len(cap._LITERALS) == len(cap._PATTERNS) > 0
    assert all(lit for lit in cap._LITERALS)


def _fuzz_prompts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    cue_text = [re.sub(r"\\[bw]\+?|[()?|\\]", "", p) for pats in cap.CUES.values() for p in pats]
    pieces = cue_text + ["Alice", "Bob Smith", "x@y.io", "https://a.b/c", "www.q.org", "```py\nx=1\n```", "`a_b`",
                         "\"q\"", "'s'", "0x1F", "3.5e2", "snake_case", "camelCase", "a.b.c", "\u0661\u0662",
                         "\u0130", "\u0131", "\u017f", "\u212a", "\u00e9", "\u00a0", "\t", "\n", "  ", ".", "?",
                         "_", "-", ":", "<tool>", "<x>"]
    out = []
    for _ in range(n):
        words = [rng.choice(pieces) for _ in range(rng.randint(0, 14))]
        text = rng.choice([" ", "", "\n", "  "]).join(words)
        if rng.random() < 0.5:  # case and fold variants of cue words
            text = "".join(c.upper() if rng.random() < 0.3 else c for c in text)
            text = text.replace("i", rng.choice("i\u0130\u0131I")).replace("s", rng.choice("s\u017fS"))
            text = text.replace("k", rng.choice("k\u212aK"))
        out.append(text)
    return out


def test_random_prompts_match_the_reference_implementation() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import fingerprint_v0 as reference
    finally:
        sys.path.remove(str(ROOT / "bench"))
    prompts = _fuzz_prompts(3000, seed=11)
    new = fp.fingerprint_prompts(prompts)
    for text, got in zip(prompts, new):
        assert (got.template, got.simhash, got.capability) == reference.fingerprint_prompt(text), repr(text)
        assert fp.normalise(text) == reference.normalise(text), repr(text)
