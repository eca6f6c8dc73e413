"""Prompt fingerprints: raw prompt text in, fingerprints out; the text itself is never kept.

Two keys per prompt:
- `template`: a hash of the prompt with its variable parts masked (numbers,
  quoted strings, names, code identifiers, whitespace), so one template filled
  with different values gives one fingerprint;
- `simhash`: a 64-bit SimHash of word shingles of that masked text, so a
  lightly edited template lands a few bits away (the near-duplicate key).

The simulator and the ingest both call `fingerprint_prompt`, which is why a
precomputed `prompt_fingerprint` column and a raw `prompt` column agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import xxhash

from linkage.ingest.capability import classify_capability

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_QUOTED = re.compile(r"\"[^\"\n]{0,200}\"|'[^'\n]{0,200}'|“[^”\n]{0,200}”")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_NUMBER = re.compile(r"(?<![\w])[-+]?(?:0x[0-9a-f]+|\d[\d,_]*(?:\.\d+)?(?:e[-+]?\d+)?)(?![\w])", re.I)
# code-ish identifiers in prose: snake_case, camelCase, dotted.paths, names with digits
_IDENT = re.compile(r"\b(?:[A-Za-z_]+[0-9_][A-Za-z0-9_]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Za-z_]\w*(?:\.\w+)+)\b")
# a capitalised word that does not start a sentence: a name
_NAME = re.compile(r"(?<=[^.!?\n\s]\s)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_WORD = re.compile(r"<\w+>|[a-z]+")
_SPACE = re.compile(r"\s+")
_BLANKS = re.compile(r"[^\S\n]+")
_LINE_SPACE = re.compile(r" ?\n[\s]*")


@dataclass(frozen=True)
class PromptFingerprint:
    template: str  # 16 hex chars
    simhash: int  # unsigned 64-bit
    capability: str  # reasoning | coding | tool_use | other


def _mask_code(block: str) -> str:
    # Keep the block's shape (its punctuation), not its names or literals.
    inner = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", "i", block)
    inner = re.sub(r"\d+", "0", inner)
    return " <code> " + _SPACE.sub(" ", inner) + " </code> "


def normalise(text: str) -> str:
    """The prompt with every variable part masked: the template it was filled from."""
    text = unicodedata.normalize("NFKC", text)
    # Whitespace first, so that name detection (which looks at the preceding
    # character) does not depend on how many spaces a template was filled with.
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


def template_fingerprint(text: str) -> str:
    return xxhash.xxh3_64_hexdigest(normalise(text).encode())


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


def fingerprint_prompt(text: str) -> PromptFingerprint:
    norm = normalise(text)
    return PromptFingerprint(
        template=xxhash.xxh3_64_hexdigest(norm.encode()),
        simhash=simhash(norm),
        capability=classify_capability(text),
    )


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
