"""The capability heuristic as it was before the compiled cues (for bench/fingerprint_v1.py).

Original docstring follows.


Distillation campaigns aim at what is expensive to learn: reasoning traces
(chain-of-thought elicitation), coding, and tool use / agentic behaviour.
Each class has a list of cue patterns; a prompt scores one point per cue
matched, the best class wins, ties go to the more specific class
(tool_use > coding > reasoning), and no cue at all means `other`.

Speed: every cue regex is matched case-insensitively against the raw text, as
documented, but only when the literal it cannot match without (derived from
the pattern, see `_required_literal`) occurs in a case-folded copy of the text.
Most prompts contain few cue words, so most of the 51 searches are skipped.
"""

from __future__ import annotations

import re
from itertools import compress

import re._constants as _sre_c
import re._parser as _sre_parse

# The cue list itself is unchanged since then: the one the compiled matcher is built from.
from linkage.ingest.capability import _PRIORITY, CAPABILITIES, CUES  # noqa: E402,F401

# The non-ASCII characters that re.IGNORECASE lets match an ASCII character,
# and the (lower-case) ASCII character they match. Derived by brute force over
# every code point (tests/test_fingerprint_speedup.py re-derives and compares),
# so that folding the text with this table plus str.lower on ASCII can only
# keep, never hide, a literal the regex would match.
FOLD_TO_ASCII = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_FOLD = {ord(c): a for c, a in FOLD_TO_ASCII.items()} | {ord(c): c.lower() for c in map(chr, range(65, 91))}


def _required_literal(pattern: str) -> str:
    """The longest run of plain characters that every match of `pattern` contains, lower-cased.

    Only top-level literal items count: anything under a group, a repeat or an
    alternation breaks the run, so the run is present in every match (in
    order, contiguous). '' means no such literal: the cue is always searched.
    """
    best, run = "", ""
    for op, arg in _sre_parse.parse(pattern, re.I):
        if op is _sre_c.LITERAL and chr(arg).isascii():
            run += chr(arg).lower()
            best = max(best, run, key=len)
        else:
            run = ""
    return best


_CLASS_INDEX = {k: i for i, k in enumerate(CUES)}
# One entry per cue, flat, so the literal checks run as one C-level pass (map + compress).
_LITERALS = [_required_literal(p) for pats in CUES.values() for p in pats]
_PATTERNS = [(re.compile(p, re.I), _CLASS_INDEX[k]) for k, pats in CUES.items() for p in pats]


def _any_literal_regex(literals: list[str]) -> re.Pattern[str] | None:
    """A case-sensitive regex that matches where any of `literals` starts (a trie, so one pass is cheap).

    None when some literal is '' (that cue must always be searched).
    """
    if not all(literals):
        return None
    trie: dict = {}
    for lit in literals:
        node = trie
        for ch in lit:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        if "" in node:  # a literal ends here: its longer extensions add nothing to "any is present"
            return ""
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(emit(trie))


_ANY_LITERAL = _any_literal_regex(_LITERALS)


def _folded(text: str) -> str:
    # ASCII text: lower() is exact; otherwise map only the characters re.I
    # equates with an ASCII letter (length-preserving, unlike lower()).
    return text.lower() if text.isascii() else text.translate(_FOLD)


def classify_capability(text: str) -> str:
    """`tool_use`, `coding`, `reasoning` or `other` for one raw prompt."""
    hay = _folded(text)
    if _ANY_LITERAL is not None and _ANY_LITERAL.search(hay) is None:
        return "other"  # no cue's literal, so no cue can match (most prompts)
    scores = [0] * len(CUES)
    for pattern, k in compress(_PATTERNS, map(hay.__contains__, _LITERALS)):
        if pattern.search(text):
            scores[k] += 1
    best = max(scores)
    if best == 0:
        return "other"
    return next(k for k in _PRIORITY if scores[_CLASS_INDEX[k]] == best)
