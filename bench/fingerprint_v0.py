"""The original prompt fingerprinting (main before the speed-up), kept verbatim as the reference.

bench/bench_fingerprint.py checks the fast implementation in
linkage/ingest/fingerprint.py and linkage/ingest/capability.py against this one,
prompt by prompt, and writes the frozen fixture the unit test compares with.
Not imported by the package.
"""

from __future__ import annotations

import re
import unicodedata

import xxhash

# --- linkage/ingest/capability.py (original) ---
CUES: dict[str, tuple[str, ...]] = {
    "tool_use": (
        r"\btools?\b", r"function[ _]call", r"\bjson schema\b", r"\bapi call", r"\bagent(ic)?\b",
        r"\bbrowse\b", r"\bexecute\b", r"<tool", r"\baction:", r"\bobservation:", r"\bplan and act\b",
        r"\bcall the \w+ (tool|function|api)\b", r"\btool_call", r"\bavailable (tools|functions)\b",
        r"\bshell command", r"\bweb search\b",
    ),
    "coding": (
        r"```", r"\bdef \w+\(", r"\bfunction\b", r"\bcode\b", r"\bimplement", r"\bbug\b", r"\bdebug",
        r"\bpython\b", r"\bjavascript\b", r"\btypescript\b", r"\brust\b", r"\bjava\b", r"\bc\+\+",
        r"\bsql\b", r"\brefactor", r"\bcompile", r"\bunit tests?\b", r"\bclass \w+", r"\bstack trace\b",
        r"\balgorithm\b", r"\bregex\b",
    ),
    "reasoning": (
        r"step[- ]by[- ]step", r"\bthink\b", r"\breason(ing)?\b", r"chain[- ]of[- ]thought", r"\bshow your work\b",
        r"\bprove\b", r"\bderive\b", r"\bexplain (your|the) (reasoning|logic|steps)\b", r"\brationale\b",
        r"\bsolve\b", r"\bwhy\b", r"\bjustify\b", r"\bthought process\b", r"\bfirst principles\b",
    ),
}
_PRIORITY = ("tool_use", "coding", "reasoning")
_COMPILED = {k: [re.compile(p, re.I) for p in v] for k, v in CUES.items()}


def classify_capability(text: str) -> str:
    scores = {k: sum(1 for p in pats if p.search(text)) for k, pats in _COMPILED.items()}
    best = max(scores.values())
    if best == 0:
        return "other"
    return next(k for k in _PRIORITY if scores[k] == best)


# --- linkage/ingest/fingerprint.py (original) ---
_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_QUOTED = re.compile(r"\"[^\"\n]{0,200}\"|'[^'\n]{0,200}'|“[^”\n]{0,200}”")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_NUMBER = re.compile(r"(?<![\w])[-+]?(?:0x[0-9a-f]+|\d[\d,_]*(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w])", re.I)
_IDENT = re.compile(r"\b(?:[A-Za-z_]+[0-9_][A-Za-z0-9_]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Za-z_]\w*(?:\.\w+)+)\b")
_NAME = re.compile(r"(?<=[^.!?\n\s]\s)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_WORD = re.compile(r"<\w+>|[a-z]+")
_SPACE = re.compile(r"\s+")
_BLANKS = re.compile(r"[^\S\n]+")
_LINE_SPACE = re.compile(r" ?\n[\s]*")


def _mask_code(block: str) -> str:
    inner = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", "i", block)
    inner = re.sub(r"\d+", "0", inner)
    return " <code> " + _SPACE.sub(" ", inner) + " </code> "


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _LINE_SPACE.sub("\n", _BLANKS.sub(" ", text)).strip()
    text = _CODE_BLOCK.sub(lambda m: _mask_code(m.group(0)), text)
    text = _INLINE_CODE.sub(" <id> ", text)
    text = _URL.sub(" <url> ", text)
    text = _EMAIL.sub(" <email> ", text)
    text = _QUOTED.sub(" <str> ", text)
    text = _NAME.sub(" <name> ", text)
    text = _IDENT.sub(" <id> ", text)
    text = _NUMBER.sub(" <num> ", text)
    text = text.lower()
    return _SPACE.sub(" ", text).strip()


def simhash(normalised: str, shingle: int = 3) -> int:
    words = _WORD.findall(normalised)
    if len(words) < shingle:
        grams = [" ".join(words)] if words else [""]
    else:
        grams = [" ".join(words[i:i + shingle]) for i in range(len(words) - shingle + 1)]
    weights = [0] * 64
    for g in grams:
        h = xxhash.xxh3_64_intdigest(g.encode())
        for bit in range(64):
            weights[bit] += 1 if (h >> bit) & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def fingerprint_prompt(text: str) -> tuple[str, int, str]:
    """(template, simhash, capability), as the original `fingerprint_prompt` computed them."""
    norm = normalise(text)
    return xxhash.xxh3_64_hexdigest(norm.encode()), simhash(norm), classify_capability(text)
