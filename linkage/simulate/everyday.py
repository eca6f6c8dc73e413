"""Everyday prompts, a column at a time: nearly all distinct, from a few words to thousands of characters.

Four shapes, mixed like a consumer API's traffic: short questions (a few words),
longer requests (a sentence or three), pasted documents (an instruction and up
to sixty sentences) and pasted code (an instruction and up to forty lines in a
fence). Words come from the same vocabulary operators fill their slots from, so
an everyday prompt shares plenty of words with the templates: only their
wording as a whole tells them apart. Built with Arrow kernels (take + join with
nulls skipped), no Python per row. `personalise` adds the same kind of
sentences to the common everyday templates, so that they too are nearly all
distinct, as in real logs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.simulate import templates as T

SHAPES = ("short", "request", "document", "code")
SHAPE_P = (0.45, 0.30, 0.15, 0.10)
_MAX_WORDS = {"short": 8, "request": 40}
_MAX_SENTENCES = 60
_MAX_LINES = 40

INSTRUCTIONS = ["Summarise this:", "Translate the following into French:", "Proofread my text below.",
                "What are the key points here?", "Turn this into a table:", "Make this sound friendlier:",
                "Is this contract fair to me?", "Explain this email from my landlord:",
                "Shorten this to one paragraph:", "Write a reply to this:", "Find the errors in this essay:",
                "Give me feedback on my cover letter:", "TL;DR please", "Rewrite for a ten year old:"]
CODE_ASKS = ["Why does this crash?", "Can you speed this up?", "What does this do?", "Add comments please:",
             "Convert this to JavaScript:", "This gives the wrong answer, why?", "Review my code:",
             "How do I test this?", "my homework, what is wrong", "Fix the indentation:"]


def _sentences(rng: np.random.Generator, n: int) -> list[str]:
    vocab = T.VOCAB
    out = []
    for _ in range(n):
        words = [vocab[i] for i in rng.integers(0, len(vocab), int(rng.integers(6, 21)))]
        out.append(words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice([".", ".", ".", "?", "!"]))
    return out


def _code_lines(rng: np.random.Generator, n: int) -> list[str]:
    names = T.IDENTS + [w for w in T.VOCAB[:200]]
    shapes = ["{a} = {b}({c})", "for {a} in {b}:", "    {a} += {c}", "if {a} > {b}:", "    return {a}",
              "def {a}({b}, {c}):", "{a}.append({b})", "print({a}, {b})", "import {a}", "    {a} = {b}[{c}]"]
    out = []
    for _ in range(n):
        a, b, c = (names[i] for i in rng.integers(0, len(names), 3))
        out.append(shapes[int(rng.integers(len(shapes)))].format(a=a, b=b, c=c))
    return out


class Everyday:
    """A generator of everyday prompts over fixed banks (words, sentences, code lines)."""

    def __init__(self, seed: int = 17) -> None:
        rng = np.random.default_rng(seed)
        self.openers = pa.array([o.capitalize() if i % 3 == 0 else o for i, o in enumerate(T.OPENERS)])
        self.words = pa.array(T.VOCAB)
        self.sentences = pa.array(_sentences(rng, 6000))
        self.lines = pa.array(_code_lines(rng, 4000))
        self.instructions = pa.array(INSTRUCTIONS)
        self.code_asks = pa.array(CODE_ASKS)

    @staticmethod
    def _take(values: pa.Array, rng: np.random.Generator, n: int, present: np.ndarray | None = None) -> pa.Array:
        idx = rng.integers(0, len(values), n)
        return pc.take(values, pa.array(idx, mask=None if present is None else ~present))

    def _words(self, rng: np.random.Generator, n: int, lo: int, hi: int) -> list[pa.Array]:
        count = rng.integers(lo, hi + 1, n)
        return [self._take(self.words, rng, n, count > j) for j in range(hi)]

    def _join(self, cols: list[pa.Array], sep: str) -> pa.Array:
        return pc.binary_join_element_wise(*cols, sep, null_handling="skip")

    def personalise(self, texts: pa.Array, rng: np.random.Generator) -> pa.StringArray:
        """Each text with the sender's own context: one or two sentences of their situation, before or
        after it (people rarely send a common request bare: "We are moving in May. What is ...")."""
        n = len(texts)
        two = rng.random(n) < 0.4
        context = self._join([self._take(self.sentences, rng, n), self._take(self.sentences, rng, n, two)], " ")
        before = rng.random(n) < 0.5
        first = pc.if_else(pa.array(before), context, texts)
        second = pc.if_else(pa.array(before), texts, context)
        return pc.binary_join_element_wise(first, second, " ").cast(pa.string())

    def generate(self, rng: np.random.Generator, n: int) -> pa.StringArray:
        """n everyday prompts (shapes drawn with SHAPE_P)."""
        if n == 0:
            return pa.array([], pa.string())
        shape = rng.choice(len(SHAPES), size=n, p=SHAPE_P)
        parts: list[pa.Array] = []
        order: list[np.ndarray] = []
        for s, name in enumerate(SHAPES):
            rows = np.flatnonzero(shape == s)
            k = len(rows)
            if not k:
                continue
            if name in _MAX_WORDS:
                cols = [self._take(self.openers, rng, k), *self._words(rng, k, 1 if name == "short" else 8,
                                                                        _MAX_WORDS[name])]
                text = self._join(cols, " ")
                ends = pa.array(np.array(["?", "", ".", " please"])[rng.integers(0, 4, k)])
                text = pc.binary_join_element_wise(text, ends, "")
            elif name == "document":
                count = np.minimum(rng.geometric(1 / 12, k) + 2, _MAX_SENTENCES)
                body = self._join([self._take(self.sentences, rng, k, count > j) for j in range(_MAX_SENTENCES)], " ")
                text = self._join([self._take(self.instructions, rng, k), body], "\n\n")
            else:
                count = np.minimum(rng.geometric(1 / 10, k) + 2, _MAX_LINES)
                body = self._join([self._take(self.lines, rng, k, count > j) for j in range(_MAX_LINES)], "\n")
                fence = pa.array(["```python"] * k)
                text = self._join([self._take(self.code_asks, rng, k), fence, body, pa.array(["```"] * k)], "\n")
            parts.append(text.cast(pa.string()))
            order.append(rows)
        combined = pa.concat_arrays(parts)
        inverse = np.empty(n, np.int64)
        inverse[np.concatenate(order)] = np.arange(n)
        return pc.take(combined, pa.array(inverse))
