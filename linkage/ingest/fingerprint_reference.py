"""The fingerprint specification in plain, slow Python: what the compiled pass must compute.

Written independently of the kernel (a regex tokenizer, Python integers, `re`
for the cues), so that a slip in either shows up as a difference; the tests
compare the two on thousands of generated prompts. The rules are stated in
`normaliser`'s docstring; here they are the alternatives of `_TOKEN`, tried in
order at each position. Far too slow for the ingest (~100 µs per prompt).
"""

from __future__ import annotations

import re
import unicodedata

from linkage.ingest.capability import _PRIORITY, CUES
from linkage.ingest.normaliser import FNV_OFFSET, FNV_PRIME, PAIR, PUNCT_RANGES, QUOTE_LIMIT

_M = (1 << 64) - 1
_NON_ASCII_WORD = "".join(f"\\u{lo:04x}-\\u{hi:04x}" if hi <= 0xFFFF else "" for lo, hi in PUNCT_RANGES)
W = f"(?:[0-9A-Za-z_]|(?![\\x00-\\x7f{_NON_ASCII_WORD}]).)"  # a word character
_SP = "[\\t\\n\\x0b\\x0c\\r ]"
_TOKEN = re.compile(
    f"(?P<code>```(?P<inner>.*?)(?:```|\\Z))"
    f"|(?P<inline>`[^`\\n]+`)"
    f"|(?P<str>\"[^\"\\n]{{0,{QUOTE_LIMIT}}}\"|“[^”\\n]{{0,{QUOTE_LIMIT}}}”|(?<!{W})'[^'\\n]{{0,{QUOTE_LIMIT}}}'(?!{W}))"
    f"|(?P<url>(?i:https?://|www\\.)(?:(?!{_SP}).)*)"
    f"|(?P<email>{W}(?:{W}|[.+-])*@(?:{W}|-)+\\.(?:(?:{W}|[.-])*{W}))"
    f"|(?P<num>[0-9]{W}*(?:[.,][0-9]{W}*)*)"
    f"|(?P<word>{W}+(?:\\.{W}+)*)"
    f"|(?P<space>{_SP}+)"
    f"|(?P<other>.)", re.S)
_CAMEL = re.compile(r"[a-z].*[A-Z]", re.S)
_NAME = re.compile(r"[A-Z][a-z]+")
_SHAPE = re.compile(f"(?P<word>{W}+)|(?P<space>{_SP}+)|(?P<other>.)", re.S)
_SIM_WORD = re.compile(f"<[a-z]+>|(?:[a-z]|(?![\\x00-\\x7f]){W})+")
_CUES = [(re.compile(p, re.I | re.A), k) for k, pats in CUES.items() for p in pats]


def _lower_ascii(s: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def _shape(inner: str) -> list[str]:
    out = []
    for m in _SHAPE.finditer(inner):
        if m.lastgroup == "word":
            out.append("0" if "0" <= m.group()[0] <= "9" else "i")
        elif m.lastgroup == "space":
            out.append(" ")
        else:
            out.append(m.group())
    return out


def normalise(text: str) -> str:
    """The masked text of a raw prompt."""
    text = unicodedata.normalize("NFKC", text)
    pieces: list[str] = []  # output pieces; " " marks a separation
    tokens: list[tuple[str, str]] = []  # (kind, raw text) of every token so far
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "word":
            if "." in tok or "_" in tok or any("0" <= c <= "9" for c in tok) or _CAMEL.match(tok):
                kind = "id"
            elif _NAME.fullmatch(tok) and _after_a_word_space(tokens):
                kind = "name"
        tokens.append((kind, tok))
        if kind == "space":
            pieces.append(" ")
        elif kind == "code":
            pieces += [" ", "<code>", " ", *_shape(m.group("inner")), " ", "</code>", " "]
        elif kind == "name" and _last_piece(pieces) == "<name>":
            pieces.append(" ")  # Bob Smith: one name
        elif kind in ("inline", "id"):
            pieces += [" ", "<id>", " "]
        elif kind in ("str", "url", "email", "num", "name"):
            pieces += [" ", f"<{kind}>", " "]
        else:
            pieces.append(_lower_ascii(tok))
    return re.sub(" +", " ", "".join(pieces)).strip(" ")


def _after_a_word_space(tokens: list[tuple[str, str]]) -> bool:
    """The next token follows one line's whitespace after something that does not end a sentence."""
    return (len(tokens) >= 2 and tokens[-1][0] == "space" and "\n" not in tokens[-1][1]
            and not (tokens[-2][0] == "other" and tokens[-2][1] in ".!?"))


def _last_piece(pieces: list[str]) -> str | None:
    return next((p for p in reversed(pieces) if p != " "), None)


def _mix(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M
    return x ^ (x >> 31)


def _fnv(b: bytes) -> int:
    h = FNV_OFFSET
    for c in b:
        h = ((h ^ c) * FNV_PRIME) & _M
    return h


def _chain(hashes: list[int]) -> int:
    g = PAIR
    for h in hashes:
        g = _mix(((g * PAIR) & _M) ^ h)
    return g


def simhash_of_masked(masked: str) -> int:
    words = [_mix(_fnv(w.encode())) for w in _SIM_WORD.findall(masked)]
    shingles = [_chain(words[i:i + 3]) for i in range(len(words) - 2)] or [_chain(words)]
    return sum(1 << b for b in range(64) if 2 * sum((h >> b) & 1 for h in shingles) > len(shingles))


def capability(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    scores = dict.fromkeys(CUES, 0)
    for pattern, k in _CUES:
        if pattern.search(text):
            scores[k] += 1
    best = max(scores.values())
    return "other" if best == 0 else next(k for k in _PRIORITY if scores[k] == best)


def fingerprint(text: str) -> tuple[str, int, str]:
    """(template, simhash, capability) of one raw prompt."""
    masked = normalise(text)
    return f"{_mix(_fnv(masked.encode())):016x}", simhash_of_masked(masked), capability(text)
