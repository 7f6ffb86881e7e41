"""The blob store contract, on the local folder and on a real S3 server."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from akte.core.storage import blob_key


def test_content_addressed_write_is_stored_once(ctx):
    data = os.urandom(4096)
    sha = hashlib.sha256(data).hexdigest()
    assert ctx.storage.put_file(io.BytesIO(data), sha256=sha, size=len(data)) is True
    assert ctx.storage.put_file(io.BytesIO(data), sha256=sha, size=len(data)) is False
    assert ctx.storage.stat(sha).size == len(data)
    assert ctx.storage.read_bytes(sha) == data
    assert sha in set(ctx.storage.iter_blobs())


def test_a_write_whose_bytes_do_not_match_the_hash_is_refused(ctx):
    data = os.urandom(1000)
    claimed = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ValueError, match="changed while storing"):
        ctx.storage.put_file(io.BytesIO(data), sha256=claimed, size=len(data))
    assert ctx.storage.stat(claimed) is None or ctx.storage.read_bytes(claimed) != data


def test_ranges_and_delete(ctx):
    info = ctx.storage.put_bytes(os.urandom(3 * 1024 * 1024 + 17))
    whole = ctx.storage.read_bytes(info.sha256)
    assert b"".join(ctx.storage.iter_range(info.sha256, 5, 1_048_580)) == whole[5:1_048_581]
    assert b"".join(ctx.storage.iter_range(info.sha256, info.size - 3)) == whole[-3:]
    ctx.storage.delete(info.sha256)
    assert not ctx.storage.exists(info.sha256)


def test_large_blob_streams_in_parts(ctx, tmp_path):
    path = tmp_path / "big.bin"
    with path.open("wb") as fh:
        for _ in range(40):
            fh.write(os.urandom(1024 * 1024))
    info = ctx.storage.put_path(path)
    assert ctx.storage.stat(info.sha256).size == 40 * 1024 * 1024
    digest = hashlib.sha256()
    for chunk in ctx.storage.iter_range(info.sha256):
        digest.update(chunk)
    assert digest.hexdigest() == info.sha256


def test_keys_are_fanned_out_by_hash():
    sha = "ab" * 32
    assert blob_key(sha) == f"sha256/ab/ab/{sha}"
    with pytest.raises(ValueError):
        blob_key("../../etc/passwd")
