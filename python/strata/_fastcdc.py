"""FastCDC chunk boundaries, equal to the server's (store/fastcdc.cc), with numpy.

The Gear hash of the C++ chunker, fp = (fp << 1) + gear[byte], restarts at 0 at
each chunk's min_size. After 64 bytes it depends on those 64 bytes only, so for
most positions it equals the windowed hash H(j) = sum_k gear[b[j-k]] << k (mod
2^64), which numpy computes for a whole block by doubling the window six times.
The first 64 positions after a chunk's min_size hold a partial hash: those few
are computed here in Python.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO, Iterator, List, Tuple

import numpy as np

MIN_SIZE = 16 * 1024
AVG_SIZE = 64 * 1024
MAX_SIZE = 256 * 1024
_M64 = (1 << 64) - 1


def _gear_table() -> np.ndarray:
    table = []
    state = 0x5354524154414344  # "STRATACD"
    for _ in range(256):
        state = (state + 0x9E3779B97F4A7C15) & _M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        table.append(z ^ (z >> 31))
    return np.array(table, dtype=np.uint64)


def _spread_mask(bits: int) -> int:
    mask = 0
    for i in range(bits):
        mask |= 1 << (63 - (i * 48) // bits)
    return mask


GEAR = _gear_table()
_GEAR_PY = [int(g) for g in GEAR]
_BITS = AVG_SIZE.bit_length() - 1
MASK_SMALL = _spread_mask(_BITS + 2)
MASK_LARGE = _spread_mask(_BITS - 2)


def window_hashes(buf: bytes) -> np.ndarray:
    """H(j) for every position of `buf` (bytes before buf[0] count as absent)."""
    h = GEAR[np.frombuffer(buf, dtype=np.uint8)]
    tmp = np.empty_like(h)
    w = 1
    while w < 64:  # windows of 2, 4, ..., 64 bytes
        np.left_shift(h[:-w], np.uint64(w), out=tmp[w:])
        tmp[:w] = 0
        h += tmp
        w *= 2
    return h


def cut_points(buf: bytes, eof: bool) -> List[int]:
    """Chunk lengths cut from the start of `buf`, as FastCdc::NextCut cuts them.

    Without `eof`, stops once fewer than MAX_SIZE bytes are left (the rest is cut
    with the bytes that follow); with it, cuts `buf` to its end.
    """
    n_total = len(buf)
    if n_total == 0:
        return []
    h = window_hashes(buf)
    small = np.flatnonzero((h & np.uint64(MASK_SMALL)) == 0)
    large = np.flatnonzero((h & np.uint64(MASK_LARGE)) == 0)
    del h
    lengths: List[int] = []
    s = 0
    while s < n_total:
        rest = n_total - s
        if not eof and rest < MAX_SIZE:
            break
        if rest <= MIN_SIZE:
            lengths.append(rest)
            break
        n = min(rest, MAX_SIZE)
        normal = min(n, AVG_SIZE)
        cut = _partial_cut(buf, s, n, normal)
        if cut is None:
            lo = s + MIN_SIZE + 64
            cut = _first(small, lo, s + normal)
            if cut is None:
                cut = _first(large, max(lo, s + normal), s + n)
            cut = n if cut is None else cut - s + 1
        lengths.append(cut)
        s += cut
    return lengths


def _first(cands: np.ndarray, lo: int, hi: int):
    if lo >= hi:
        return None
    k = int(np.searchsorted(cands, lo))
    if k < len(cands) and cands[k] < hi:
        return int(cands[k])
    return None


def _partial_cut(buf: bytes, s: int, n: int, normal: int):
    """The cut among the first 64 tested positions (the hash not yet full)."""
    fp = 0
    start = s + MIN_SIZE
    for i in range(start, min(start + 64, s + n)):
        fp = ((fp << 1) + _GEAR_PY[buf[i]]) & _M64
        mask = MASK_SMALL if i < s + normal else MASK_LARGE
        if fp & mask == 0:
            return i - s + 1
    return None


BLOCK = 4 << 20


def chunks(stream: BinaryIO, block: int = BLOCK) -> Iterator[Tuple[bytes, bytes]]:
    """Yields (sha256 digest, chunk bytes) for `stream`, reading `block` at a time."""
    buf = b""
    eof = False
    while not eof:
        data = stream.read(block)
        if not data:
            eof = True
        else:
            buf = buf + data if buf else data
            if len(buf) < MAX_SIZE:
                continue
        pos = 0
        for n in cut_points(buf, eof):
            piece = buf[pos:pos + n]
            yield hashlib.sha256(piece).digest(), piece
            pos += n
        buf = buf[pos:]
