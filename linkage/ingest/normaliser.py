"""The template normaliser, compiled: one scan of a prompt's UTF-8 bytes masks its variable parts.

The rules (the pure-Python `fingerprint_reference` states them as one regex and
must agree byte for byte; tests compare the two on generated prompts). The text
is NFKC-normalised first (by Arrow, before this kernel). Word characters `W` are
ASCII letters, digits and '_' and every non-ASCII character outside the
punctuation blocks (`_PUNCT_RANGES`); whitespace is ASCII whitespace. Scanning
left to right, the first rule that matches at a position consumes its span:

1. "```" up to the next "```" (or the end): a code block, kept as its shape —
   " <code> ", each W run as "i" (or "0" if it starts with a digit), other
   characters as they are, " </code> ";
2. "`" + no backtick or newline + "`": inline code -> <id>;
3. a double-quoted (or “curly”) string of at most 200 characters on one line -> <str>;
   a single-quoted one only if the opening quote does not follow a W character
   and the closing one (the next "'") is not followed by one (so "don't" is no quote);
4. at a W character: "http://", "https://" or "www." (any case) up to the next
   whitespace -> <url>; an e-mail address (W then W . + -, '@', W -, '.', W . -,
   ending on W) -> <email>; a run starting with a digit (W run, then "." or ","
   + digit + W run, repeated) -> <num>; otherwise a word (W run, then "." + W
   run, repeated) which is <id> if it holds a '.', a digit or '_' or is camelCase
   (a-z first, then some A-Z), <name> if it is Capitalised (A-Z then a-z only)
   and follows a single-line whitespace run that follows something other than
   '.', '!', '?' (a name, not a sentence start; consecutive names give one <name>),
   else the word itself;
5. whitespace -> one space; anything else is kept.
ASCII is lower-cased (other characters are kept as they are), masks are
separated from their neighbours by one space, the result has no leading or
trailing space.

From the masked text (`template_and_simhash`): `template` = a 64-bit hash of its
bytes; `simhash` = SimHash of its 3-word shingles, words being the mask tags and
the runs of a-z and non-ASCII W characters. The capability cues (`cues` builds their tables)
are matched on the prompt's bytes in the same per-prompt loop.

Speed: the batch's arrays are passed to the helpers `_borrowed` (numba would otherwise
count references around every call that takes an array, an atomic add on a line
both threads share); rows go to the threads in chunks of `CHUNK` with one scratch
buffer each; the template hash is computed in the SimHash scan; cues are tried only
where their first two bytes are.

All compiled code of the pass lives in this one file on purpose: numba's disk
cache notices a change to the file that defines a function, not to the files its
callees come from, so a kernel split over modules could run stale code.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic
from numba.np.arrayobj import make_array

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
PAIR = 0x9E3779B97F4A7C15
QUOTE_LIMIT = 200  # characters a quoted string may hold
# non-ASCII code points that are punctuation, not word characters (inclusive ranges)
PUNCT_RANGES = ((0x80, 0xBF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFE30, 0xFE4F), (0xFF00, 0xFF0F))
BOUNDARY, WORDS = 256, 257  # cue atoms besides a literal byte (0..255), see `cues`
PREFIX = 4  # leading literal bytes of a cue variant compared as one integer (`_window`) before a full match
WORD_BYTE = 1  # a byte's kind in the cue tables: an ASCII word character
BOUNDED_ROW, FREE_ROW = 1, 2  # the cue tables' rows of variants with and without a leading word boundary, as bits
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
EXPANSION = 7  # masked bytes per input byte at most ("1 1" -> "<num> <num>"), see `capacity`

_U = np.uint64
_I = np.uintp  # an index that is not negative: numba then skips the wrap-around of negative ones (hot loops)
_TAG_ID, _TAG_STR, _TAG_URL, _TAG_EMAIL, _TAG_NUM, _TAG_NAME = (
    np.frombuffer(t.encode(), np.uint8) for t in ("<id>", "<str>", "<url>", "<email>", "<num>", "<name>"))
_TAG_CODE, _TAG_CODE_END = np.frombuffer(b"<code>", np.uint8), np.frombuffer(b"</code>", np.uint8)


CHUNK = 256  # prompts per task of the threaded loop: they share one scratch buffer


@njit(cache=True)
def capacity(n_bytes: int) -> int:
    """Bytes the masked text of an `n_bytes` prompt can take."""
    return EXPANSION * n_bytes + 32


@intrinsic
def _borrowed(typingctx, arrays):
    """The same array(s) (an array or a tuple of arrays) without a reference count (a null meminfo), for
    the caller to use while it holds the originals. Numba increments and decrements the count of an array
    around most calls that take it, an atomic operation on a cache line that both threads share for the
    batch's arrays: it cost more than the scan itself. On a null meminfo those calls return at once."""
    def one(context, builder, ty, value):
        view = make_array(ty)(context, builder, value)
        view.meminfo = context.get_constant_null(types.MemInfoPointer(ty.dtype))
        return view._getvalue()

    if isinstance(arrays, types.BaseTuple):
        def codegen(context, builder, sig, args):
            items = [one(context, builder, ty, builder.extract_value(args[0], k)) for k, ty in enumerate(arrays)]
            return context.make_tuple(builder, sig.return_type, items)
    else:
        def codegen(context, builder, sig, args):
            return one(context, builder, arrays, args[0])
    return arrays(arrays), codegen


@njit(cache=True, inline="always")
def mix(x):
    # splitmix64 finaliser
    x = (x ^ (x >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U(27))) * _U(0x94D049BB133111EB)
    return x ^ (x >> _U(31))


@njit(cache=True, inline="always")
def _cp(data, p, end):
    """(code point, byte length) of the UTF-8 character at p."""
    b = np.int64(data[p])
    if b < 0x80:
        return b, 1
    if b >= 0xF0 and p + 3 < end:
        return ((b & 7) << 18) | ((np.int64(data[p + 1]) & 63) << 12) | ((np.int64(data[p + 2]) & 63) << 6) \
            | (np.int64(data[p + 3]) & 63), 4
    if b >= 0xE0 and p + 2 < end:
        return ((b & 15) << 12) | ((np.int64(data[p + 1]) & 63) << 6) | (np.int64(data[p + 2]) & 63), 3
    if b >= 0xC0 and p + 1 < end:
        return ((b & 31) << 6) | (np.int64(data[p + 1]) & 63), 2
    return b, 1


@njit(cache=True, inline="always")
def _is_word_cp(c) -> bool:
    if c < 0x80:
        return (c >= 97 and c <= 122) or (c >= 65 and c <= 90) or (c >= 48 and c <= 57) or c == 95
    return not (c <= 0xBF or (0x2000 <= c <= 0x206F) or (0x3000 <= c <= 0x303F)
                or (0xFE30 <= c <= 0xFE4F) or (0xFF00 <= c <= 0xFF0F))


@njit(cache=True, inline="always")
def _is_space(b) -> bool:
    return (b >= 9 and b <= 13) or b == 32


@njit(cache=True, inline="always")
def _word_at(data, p, end) -> bool:
    return p < end and _is_word_cp(_cp(data, p, end)[0])


@njit(cache=True, inline="always")
def _word_before(data, start, p) -> bool:
    if p <= start:
        return False
    q = p - 1
    while q > start and (data[q] & 0xC0) == 0x80:
        q -= 1
    return _is_word_cp(_cp(data, q, p)[0])


@njit(cache=True, inline="always")
def _word_run(data, p, end):
    while p < end:
        b = data[_I(p)]
        if b < 0x80:  # the common case, without decoding
            if (97 <= b <= 122) or (65 <= b <= 90) or (48 <= b <= 57) or b == 95:
                p += 1
                continue
            break
        c, n = _cp(data, p, end)
        if not _is_word_cp(c):
            break
        p += n
    return p


@njit(cache=True)
def _quote_end(data, p, end, close0, close1, close2, width) -> int:
    """Index after the closing quote (bytes close0..close2[:width]) of a quote opening at p, or -1."""
    q = p + width
    chars = 0
    while q < end and chars <= QUOTE_LIMIT:
        b = data[q]
        if b == 10:
            return -1
        if b == close0 and (width == 1 or (q + 2 < end and data[q + 1] == close1 and data[q + 2] == close2)):
            return q + width
        q += 1
        chars += 1
        while q < end and (data[q] & 0xC0) == 0x80:
            q += 1
    return -1


@njit(cache=True)
def _email_end(data, p, end) -> int:
    """End of an e-mail address starting at the W character at p, or -1."""
    q = p
    while q < end:
        c, n = _cp(data, q, end)
        if not (_is_word_cp(c) or c == 46 or c == 43 or c == 45):
            break
        q += n
    if q >= end or data[q] != 64:
        return -1
    q += 1
    d = q
    while q < end:
        c, n = _cp(data, q, end)
        if not (_is_word_cp(c) or c == 45):
            break
        q += n
    if q == d or q >= end or data[q] != 46:
        return -1
    q += 1
    last = -1
    while q < end:
        c, n = _cp(data, q, end)
        if _is_word_cp(c):
            last = q + n
        elif not (c == 46 or c == 45):
            break
        q += n
    return last


@njit(cache=True, inline="always")
def _lower(b):
    return b + 32 if 65 <= b <= 90 else b


@njit(cache=True)
def _url_at(data, p, end) -> bool:
    """"http://", "https://" or "www." (any case) at p."""
    if p + 4 <= end and _lower(data[p]) == 119 and _lower(data[p + 1]) == 119 and _lower(data[p + 2]) == 119 \
            and data[p + 3] == 46:
        return True
    if p + 7 > end or not (_lower(data[p]) == 104 and _lower(data[p + 1]) == 116 and _lower(data[p + 2]) == 116
                           and _lower(data[p + 3]) == 112):
        return False
    q = p + 4
    if _lower(data[q]) == 115:
        q += 1
    return q + 3 <= end and data[q] == 58 and data[q + 1] == 47 and data[q + 2] == 47


@njit(cache=True, inline="always")
def _put(out, m, b, pending):
    """Append byte b (after a pending space, unless at the start). Returns the new length."""
    if pending and m > 0:
        out[m] = 32
        m += 1
    out[m] = b
    return m + 1


@njit(cache=True)
def _put_tag(out, m, tag):
    if m > 0:
        out[m] = 32
        m += 1
    for k in range(len(tag)):
        out[m + k] = tag[k]
    return m + len(tag)


@njit(cache=True)
def _shape(data, p, q, out, m):
    """A code block's inner bytes [p, q) as its shape; returns (length, pending space)."""
    pending = True
    while p < q:
        b = data[p]
        if _is_space(b):
            pending = True
            p += 1
            continue
        c, n = _cp(data, p, q)
        if _is_word_cp(c):
            m = _put(out, m, 48 if (b >= 48 and b <= 57) else 105, pending)
            p = _word_run(data, p, q)
        else:
            for k in range(n):
                m = _put(out, m, data[p + k], pending and k == 0)
            p += n
        pending = False
    return m, pending


_NONE, _SPACE, _STOP, _OTHER = 0, 1, 2, 3  # what the previous token was, for the name rule


@njit(cache=True)
def mask(data, start, end, out, tags) -> int:
    """Masked text of data[start:end] into out; returns its length. `tags` = (id, str, url, email, num,
    name, code, /code) byte arrays."""
    m = 0
    pending = False
    last = _NONE  # kind of the previous token
    before_space = _NONE  # kind of the token before the current whitespace run
    space_newline = False
    last_name = False  # the last token written was <name>
    p = start
    while p < end:
        b = data[p]
        if _is_space(b):
            if last != _SPACE:
                before_space = last
                space_newline = False
            while p < end and _is_space(data[p]):
                space_newline = space_newline or data[p] == 10
                p += 1
            last = _SPACE
            pending = True
            continue
        tag = -1
        q = -1
        if b == 96:  # backtick
            if p + 2 < end and data[p + 1] == 96 and data[p + 2] == 96:
                c = p + 3
                while c + 2 < end and not (data[c] == 96 and data[c + 1] == 96 and data[c + 2] == 96):
                    c += 1
                inner_end = c if c + 2 < end else end
                m = _put_tag(out, m, tags[6])
                m, pend = _shape(data, p + 3, inner_end, out, m)
                m = _put_tag(out, m, tags[7])
                p = inner_end + 3 if inner_end < end else end
                pending, last, last_name = True, _OTHER, False
                continue
            c = p + 1
            while c < end and data[c] != 96 and data[c] != 10:
                c += 1
            if c < end and data[c] == 96 and c > p + 1:
                tag, q = 0, c + 1
        elif b == 34:  # "
            q = _quote_end(data, p, end, 34, 0, 0, 1)
            tag = 1 if q >= 0 else -1
        elif b == 0xE2 and p + 2 < end and data[p + 1] == 0x80 and data[p + 2] == 0x9C:  # “ ... ”
            q = _quote_end(data, p, end, 0xE2, 0x80, 0x9D, 3)
            tag = 1 if q >= 0 else -1
        elif b == 39:  # '
            if not _word_before(data, start, p):
                q = _quote_end(data, p, end, 39, 0, 0, 1)
                if q >= 0 and not _word_at(data, q, end):
                    tag = 1
        if tag < 0:
            c, n = _cp(data, p, end)
            if _is_word_cp(c):
                if (b == 104 or b == 72 or b == 119 or b == 87) and _url_at(data, p, end):
                    q = p
                    while q < end and not _is_space(data[q]):
                        q += 1
                    tag = 2
                run = _word_run(data, p, end)
                after = data[run] if run < end else 0
                if tag < 0 and (after == 64 or after == 46 or after == 43 or after == 45):  # @ . + -: maybe an e-mail
                    q = _email_end(data, p, end)
                    if q >= 0:
                        tag = 3
                if tag < 0 and b >= 48 and b <= 57:
                    q = run
                    while q + 1 < end and (data[q] == 46 or data[q] == 44) and 48 <= data[q + 1] <= 57:
                        q = _word_run(data, q + 1, end)
                    tag = 4
                if tag < 0:
                    q = run
                    while q + 1 < end and data[q] == 46 and _word_at(data, q + 1, end):
                        q = _word_run(data, q + 1, end)
                    # copy the word lower-cased while classifying it; undone if it is masked
                    m0 = m
                    if pending and m > 0:
                        out[m] = 32
                        m += 1
                    ident = False
                    lower_first = 97 <= b <= 122
                    capital = 65 <= b <= 90 and q - p >= 2
                    for k in range(p, q):
                        x = data[_I(k)]
                        if 65 <= x <= 90:
                            ident = ident or lower_first
                            x += 32
                            capital = capital and k == p
                        elif not (97 <= x <= 122):
                            ident = ident or x == 46 or x == 95 or (48 <= x <= 57)
                            capital = False
                        out[m] = x
                        m += 1
                    if ident:
                        tag, m = 0, m0
                    elif capital and last == _SPACE and not space_newline and before_space != _NONE \
                            and before_space != _STOP:
                        m = m0
                        if last_name:
                            p, last, pending = q, _OTHER, True
                            continue
                        tag = 5
                    else:
                        p, last, pending, last_name = q, _OTHER, False, False
                        continue
            else:
                for k in range(n):
                    m = _put(out, m, data[p + k], pending and k == 0)
                last = _STOP if (b == 46 or b == 33 or b == 63) else _OTHER
                p += n
                pending, last_name = False, False
                continue
        m = _put_tag(out, m, tags[tag])
        p, last, pending, last_name = q, _OTHER, True, tag == 5
    return m


@njit(cache=True, inline="always")
def _fnv_step(h, b):
    return (h ^ _U(b)) * _U(FNV_PRIME)


@njit(cache=True, inline="always")
def _add_shingle(lanes, h):
    """SWAR counting: lane j holds the 8-bit counters of bits j, j+8, ..., j+56 (a tuple: in registers)."""
    k = _U(0x0101010101010101)
    return (lanes[0] + (h & k), lanes[1] + ((h >> _U(1)) & k), lanes[2] + ((h >> _U(2)) & k),
            lanes[3] + ((h >> _U(3)) & k), lanes[4] + ((h >> _U(4)) & k), lanes[5] + ((h >> _U(5)) & k),
            lanes[6] + ((h >> _U(6)) & k), lanes[7] + ((h >> _U(7)) & k))


@njit(cache=True)
def _flush(lanes, counts):
    for j in range(8):
        v = lanes[j]
        for k in range(8):
            counts[j + 8 * k] += np.int64((v >> _U(8 * k)) & _U(0xFF))
    z = _U(0)
    return (z, z, z, z, z, z, z, z)


@njit(cache=True)
def template_and_simhash(out, m, counts):
    """(template, simhash) of the masked text out[:m]: a hash of all its bytes, and the SimHash of its 3-word
    shingles (one shingle if it has fewer words). One scan: the template's FNV chain and a word's run side by
    side. `counts` is scratch for 64 counters."""
    z = _U(0)
    lanes = (z, z, z, z, z, z, z, z)
    counts[:] = 0
    t = _U(FNV_OFFSET)
    w0, w1 = z, z
    words = 0
    shingles = 0
    p = 0
    while p < m:
        b = out[p]
        q = p
        if b == 60:  # '<': a tag if '<' a-z+ '>'
            q = p + 1
            while q < m and 97 <= out[q] <= 122:
                q += 1
            if q > p + 1 and q < m and out[q] == 62:
                q += 1
            else:
                t = _fnv_step(t, b)
                p += 1
                continue
            h = _U(FNV_OFFSET)
            for k in range(p, q):
                t = _fnv_step(t, out[k])
                h = _fnv_step(h, out[k])
        else:  # a word: hashed (into both) while it is scanned
            h = _U(FNV_OFFSET)
            while q < m:
                c = out[_I(q)]
                if c < 0x80:  # the common case, without decoding
                    if 97 <= c <= 122:
                        t = _fnv_step(t, c)
                        h = _fnv_step(h, c)
                        q += 1
                        continue
                    break
                c, n = _cp(out, q, m)
                if not _is_word_cp(c):
                    break
                for k in range(q, q + n):
                    t = _fnv_step(t, out[k])
                    h = _fnv_step(h, out[k])
                q += n
            if q == p:  # not a word character: only in the template
                for k in range(p, p + _cp(out, p, m)[1]):
                    t = _fnv_step(t, out[k])
                    p += 1
                continue
        w = mix(h)
        words += 1
        if words >= 3:
            lanes = _add_shingle(lanes, mix(mix(mix(_U(PAIR) * _U(PAIR) ^ w0) * _U(PAIR) ^ w1) * _U(PAIR) ^ w))
            shingles += 1
            if shingles % 255 == 0:
                lanes = _flush(lanes, counts)
        w0, w1 = w1, w
        p = q
    if words < 3:
        g = _U(PAIR)
        if words >= 2:
            g = mix(g * _U(PAIR) ^ w0)
        if words >= 1:
            g = mix(g * _U(PAIR) ^ w1)
        lanes = _add_shingle(lanes, g)
        shingles = 1
    _flush(lanes, counts)
    h = _U(0)
    for j in range(64):  # without a branch: a bit is a coin toss
        h |= _U(2 * counts[j] > shingles) << _U(j)
    return mix(t), h


# Capability cues (tables built by `cues`), matched on the prompt's bytes.

@njit(cache=True, inline="always")
def _fold(b):
    return b + 32 if 65 <= b <= 90 else b


@njit(cache=True, inline="always")
def _ascii_word(data, p, start, end) -> bool:
    if p < start or p >= end:
        return False
    b = data[p]
    return (97 <= b <= 122) or (65 <= b <= 90) or (48 <= b <= 57) or b == 95


@njit(cache=True)
def _matches(data, p, start, end, atoms, lo, hi) -> bool:
    q = p
    for k in range(lo, hi):
        a = atoms[k]
        if a == BOUNDARY:
            if _ascii_word(data, q - 1, start, end) == _ascii_word(data, q, start, end):
                return False
        elif a == WORDS:
            if not _ascii_word(data, q, start, end):
                return False
            while _ascii_word(data, q, start, end):
                q += 1
        else:
            if q >= end or _fold(np.int64(data[q])) != a:
                return False
            q += 1
    return True


@njit(cache=True, inline="always")
def _window(b0, b1, b2, b3):
    """The `PREFIX` bytes at a position, ASCII-folded, byte k at bits 8k (0 past the end: no cue literal is 0)."""
    return _fold(np.int64(b0)) | (_fold(np.int64(b1)) << 8) | (_fold(np.int64(b2)) << 16) \
        | (_fold(np.int64(b3)) << 24)


@njit(cache=True)
def capability_code(data, start, end, atoms, offsets, cue_of, first, count, prefix, prefix_mask, kinds, pairs,
                    class_masks) -> int:
    """Index into CAPABILITIES of the prompt data[start:end]: the class with most cues matched, ties to the
    earlier class of `class_masks` (tool_use, coding, reasoning); `other` when no cue matches. Cues are only
    tried where one can start (`pairs`): the bounded ones (`first`/`count` row 0) at a word start, the others
    (row 1) anywhere; a variant is matched in full only if its prefix is there and its cue is not found yet."""
    found = np.uint64(0)
    word = 0  # is data[p - 1] a word character
    for p in range(start, end - 1):  # every variant has two literals at least
        b = data[_I(p)]
        here = kinds[b]
        rows = pairs[(np.int64(b) << 8) | data[_I(p + 1)]] & ((here > word) | FREE_ROW)  # bit k: try row k
        word = here
        if rows == 0:
            continue
        window = _window(data[p], data[p + 1], data[p + 2] if p + 2 < end else 0,
                         data[p + 3] if p + 3 < end else 0)
        key = _fold(np.int64(data[p]))
        for row in range(2):
            if not (rows >> row) & 1:
                continue
            lo = first[row, key]
            for v in range(lo, lo + count[row, key]):
                bit = np.uint64(1) << np.uint64(cue_of[v])
                if (window & prefix_mask[v]) == prefix[v] and not (found & bit) \
                        and _matches(data, p, start, end, atoms, offsets[v] + 1 - row, offsets[v + 1]):
                    found |= bit
    best, code = 0, len(class_masks)
    for k in range(len(class_masks)):
        x = found & class_masks[k]
        score = 0
        while x:
            x &= x - np.uint64(1)
            score += 1
        if score > best:
            best, code = score, k
    return code


@njit(cache=True)
def _fingerprint_rows(lo, hi, data, offsets, tags, cue_tables, template_hex, simhashes, caps, keep, kept,
                      kept_len) -> None:
    """Rows lo..hi of `fingerprint_kernel`, with one scratch buffer and every array borrowed (`_borrowed`)."""
    longest = 0
    for i in range(lo, hi):
        longest = max(longest, offsets[i + 1] - offsets[i])
    size = (capacity(longest) + 7) // 8 * 8  # the counters after it are 8-byte aligned
    scratch = np.empty(size + 8 * 64, np.uint8)  # the masked text, then 64 SimHash counters
    out, counts = _borrowed(scratch[:size]), _borrowed(scratch[size:].view(np.int64))
    data, offsets, tags, cue_tables = _borrowed(data), _borrowed(offsets), _borrowed(tags), _borrowed(cue_tables)
    template_hex, simhashes, caps = _borrowed(template_hex), _borrowed(simhashes), _borrowed(caps)
    for i in range(lo, hi):
        start, end = offsets[i], offsets[i + 1]
        m = mask(data, start, end, out, tags)
        t, simhashes[i] = template_and_simhash(out, m, counts)
        for k in range(16):
            template_hex[16 * i + k] = HEX[(t >> np.uint64(60 - 4 * k)) & np.uint64(15)]
        caps[i] = capability_code(data, start, end, *cue_tables)
        if keep:
            base = EXPANSION * start + 32 * i
            kept[base:base + m] = out[:m]
            kept_len[i] = m
    scratch[0] = 0  # holds the scratch buffer (its borrowed views are not counted) until here


@njit(cache=True, parallel=True, nogil=True)
def fingerprint_kernel(data, offsets, tags, atoms, voff, cue_of, first, count, prefix, prefix_mask, kinds, pairs,
                       masks, template_hex, simhashes, caps, keep, kept, kept_len):
    n = len(offsets) - 1
    cue_tables = (atoms, voff, cue_of, first, count, prefix, prefix_mask, kinds, pairs, masks)
    for c in prange((n + CHUNK - 1) // CHUNK):
        _fingerprint_rows(c * CHUNK, min(n, (c + 1) * CHUNK), data, offsets, tags, cue_tables, template_hex,
                          simhashes, caps, keep, kept, kept_len)
