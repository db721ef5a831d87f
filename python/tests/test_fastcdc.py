"""Chunk ids cut in Python equal the server's (store/fastcdc.cc)."""

import hashlib
import io
import os
import random

import numpy as np

from strata import _fastcdc


def reference_cuts(data: bytes):
    """FastCdc::NextCut, byte by byte, as store/fastcdc.cc runs it."""
    gear = [int(g) for g in _fastcdc.GEAR]
    out, s = [], 0
    while s < len(data):
        n = len(data) - s
        if n <= _fastcdc.MIN_SIZE:
            out.append(n)
            break
        n = min(n, _fastcdc.MAX_SIZE)
        normal = min(n, _fastcdc.AVG_SIZE)
        fp, i, cut = 0, _fastcdc.MIN_SIZE, n
        while i < n:
            fp = ((fp << 1) + gear[data[s + i]]) & ((1 << 64) - 1)
            mask = _fastcdc.MASK_SMALL if i < normal else _fastcdc.MASK_LARGE
            if fp & mask == 0:
                cut = i + 1
                break
            i += 1
        out.append(cut)
        s += cut
    return out


def test_gear_table_and_masks_match_the_cc_constants():
    # kGear[0] and the masks of store/fastcdc.cc for avg 64 KiB (16 + 2, 16 - 2 bits).
    assert int(_fastcdc.GEAR[0]) == 0xFD2B3B0E100360B2
    assert bin(_fastcdc.MASK_SMALL).count("1") == 18
    assert bin(_fastcdc.MASK_LARGE).count("1") == 14


def test_numpy_cuts_equal_the_byte_loop_on_random_and_repetitive_data():
    rng = random.Random(16)
    print("seed 16")
    samples = [
        rng.randbytes(3 << 20),
        b"".join(b"%d,%d,row\n" % (i, i * 7) for i in range(150_000)),
        bytes(700_000),  # no candidate at all: every cut at max_size
        rng.randbytes(20_000),
    ]
    for data in samples:
        expected = reference_cuts(data)
        # Small blocks make chunks straddle the refills.
        got = [len(c) for _, c in _fastcdc.chunks(io.BytesIO(data), block=300_000)]
        assert got == expected
        got = [len(c) for _, c in _fastcdc.chunks(io.BytesIO(data))]
        assert got == expected


def test_window_hash_equals_the_rolling_hash_after_64_bytes():
    data = os.urandom(5000)
    h = _fastcdc.window_hashes(data)
    fp = 0
    gear = [int(g) for g in _fastcdc.GEAR]
    for j, b in enumerate(data):
        fp = ((fp << 1) + gear[b]) & ((1 << 64) - 1)
        if j >= 63:
            assert int(h[j]) == fp


def test_ids_equal_the_servers(client):
    # The server cuts a plain upload itself; every id cut here must then be present.
    data = b"".join(b"%08d,%s\n" % (i, hashlib.md5(b"%d" % i).hexdigest().encode())
                    for i in range(400_000))
    r = client._t.json("POST", "/v1/artifacts/dataset/cdc-server-cut", body=data)
    ids = [d for d, _ in _fastcdc.chunks(io.BytesIO(data))]
    assert len(ids) == r["chunks"] > 100
    missing = client._t.request("POST", "/v1/chunks/missing", body=b"".join(ids)).data
    assert missing == b""
    # And committing those ids names the same content.
    commit = client._t.json("POST", "/v1/artifacts/dataset/cdc-python-cut", body=b"".join(ids),
                            headers={"Content-Type": "application/x-strata-chunk-ids"})
    assert commit["version"]["content_id"] == r["version"]["content_id"]
    assert commit["new_chunks"] == 0
