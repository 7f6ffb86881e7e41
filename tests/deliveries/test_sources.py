"""ZIP deliveries: escaping paths and ZIP bombs are refused while streaming."""

from __future__ import annotations

import zipfile

import pytest

from ingest.deliveries.sources import EntryError, Limits, SourceError, ZipSource, safe_name


@pytest.mark.parametrize(
    "name", ["../evil.pdf", "a/../../evil.pdf", "/etc/passwd", "C:\\Windows\\x.pdf", "..\\x.pdf"]
)
def test_escaping_paths_are_refused(name):
    with pytest.raises(EntryError) as info:
        safe_name(name)
    assert info.value.code == "unsafe_path"


def test_safe_paths_are_normalised():
    assert safe_name("./scans\\box1//a.pdf") == "scans/box1/a.pdf"


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_unsafe_entries_are_listed_not_served(tmp_path):
    source = ZipSource(
        _zip(tmp_path / "d.zip", {"../up.pdf": b"x", "/abs.pdf": b"y", "ok.pdf": b"z"}), Limits()
    )
    assert list(source.names()) == ["ok.pdf"]
    assert sorted(n for n, _ in source.unsafe_names()) == ["../up.pdf", "/abs.pdf"]


def test_compression_ratio_is_checked_while_streaming(tmp_path):
    bomb = b"\0" * (8 * 1024 * 1024)  # deflates ~1000:1
    source = ZipSource(
        _zip(tmp_path / "b.zip", {"bomb.pdf": bomb, "ok.pdf": b"%PDF-1.4"}),
        Limits(max_ratio=50, ratio_floor_bytes=1024 * 1024),
    )
    with pytest.raises(EntryError) as info, source.open_local("bomb.pdf", tmp_path):
        pass
    assert info.value.code == "zip_bomb"
    assert list(tmp_path.glob("*.part")) == []  # the partial extract is removed
    with source.open_local("ok.pdf", tmp_path) as local:
        assert local.read_bytes() == b"%PDF-1.4"


def test_declared_total_size_and_entry_count_limits(tmp_path):
    path = _zip(tmp_path / "t.zip", {f"f{i}.pdf": b"a" * 1000 for i in range(5)})
    with pytest.raises(SourceError, match="uncompressed"):
        ZipSource(path, Limits(max_total_bytes=4000))
    with pytest.raises(SourceError, match="entries"):
        ZipSource(path, Limits(max_entries=4))


def test_total_size_counted_while_extracting(tmp_path):
    path = _zip(tmp_path / "t.zip", {f"f{i}.pdf": b"a" * 3000 for i in range(3)})
    source = ZipSource(path, Limits(max_total_bytes=9000))
    source.limits = Limits(max_total_bytes=5000)  # as if the headers had understated sizes
    with source.open_local("f0.pdf", tmp_path):
        pass
    with pytest.raises(SourceError, match="total size"), source.open_local("f1.pdf", tmp_path):
        pass


def test_entry_inflating_beyond_its_declared_size_is_refused(tmp_path):
    path = _zip(tmp_path / "l.zip", {"lie.pdf": b"b" * 500_000})
    source = ZipSource(path, Limits())
    source.locate("lie.pdf").file_size = 1000  # a header that lies about the size
    with pytest.raises(EntryError) as info, source.open_local("lie.pdf", tmp_path):
        pass
    # zipfile stops at the declared size and the CRC no longer matches: refused either way
    assert info.value.code in {"zip_bomb", "unreadable"}
