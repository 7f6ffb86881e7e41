"""Where a delivery's files come from: a folder or a ZIP on the server, read safely.

Nothing from a delivery is trusted to stay inside it. Names are checked before anything is
opened: ``..`` components, absolute paths (``/etc/x``, ``C:\\x``) and, in folders, symlinks
that lead out of the delivery are refused (:class:`EntryError` ``unsafe_path``).

A ZIP is refused as a whole (:class:`SourceError`) when its directory already shows a bomb
(more entries than allowed, declared sizes over the total limit). Each entry is then
extracted by streaming and counted while it is read, because the sizes in a ZIP's headers
are the attacker's to choose: an entry that inflates beyond its declared size, or beyond
``max_ratio`` times its compressed size, is cut off and refused (``zip_bomb``), and the
running total of everything extracted is held to ``max_total_bytes``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
MANIFEST_NAMES = ("manifest.csv", "manifest.json", "index.csv", "index.json")
TRANSFERVERMERK_NAMES = ("transfervermerk.json", "transfer.json", "scanprotokoll.json")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Limits:
    """Limits for ZIP deliveries; the defaults suit scans (already compressed)."""

    max_entries: int = 500_000
    max_total_bytes: int = 500 * 1024**3
    max_ratio: float = 100.0
    #: Entries smaller than this may compress as well as they like (tiny files are harmless).
    ratio_floor_bytes: int = 1024 * 1024
    max_file_bytes: int = 512 * 1024 * 1024


class SourceError(Exception):
    """The delivery as a whole cannot be read (not found, no manifest, a ZIP bomb)."""


class EntryError(Exception):
    """One file of the delivery is refused; ``code`` goes into the report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def safe_name(name: str) -> str:
    """The normalised relative path, or :class:`EntryError` if it could escape."""
    cleaned = name.replace("\\", "/")
    parts = cleaned.split("/")
    if cleaned.startswith("/") or _DRIVE.match(cleaned) or ".." in parts:
        raise EntryError("unsafe_path", f"the path {name!r} points outside the delivery")
    kept = [p for p in parts if p not in ("", ".")]
    if not kept:
        raise EntryError("unsafe_path", f"the path {name!r} names no file")
    return "/".join(kept)


class FolderSource:
    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root.resolve()
        self.limits = limits
        self.prefix = ""

    def locate(self, name: str) -> Path | None:
        path = self.root / safe_name(self.prefix + name)
        if not path.exists() and not path.is_symlink():
            return None
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise EntryError("unsafe_path", f"{name} is a link that points outside the delivery")
        return resolved if resolved.is_file() else None

    def names(self) -> Iterator[str]:
        """Every regular file, as a relative POSIX path (streamed, never listed at once)."""
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for filename in sorted(filenames):
                name = (Path(dirpath) / filename).relative_to(self.root).as_posix()
                if name.startswith(self.prefix):
                    yield name[len(self.prefix) :]

    def unsafe_names(self) -> Iterator[tuple[str, str]]:
        return iter(())

    def outside_names(self) -> Iterator[str]:
        """Files outside the manifest's folder (full paths): never imported, but reported."""
        if self.prefix:
            saved, self.prefix = self.prefix, ""
            try:
                yield from (n for n in self.names() if not n.startswith(saved))
            finally:
                self.prefix = saved

    @contextlib.contextmanager
    def open_local(self, name: str, work_dir: Path) -> Iterator[Path]:
        path = self.locate(name)
        if path is None:
            raise EntryError("missing_file", f"the delivery has no file {name}")
        yield path

    def close(self) -> None:
        pass


class ZipSource:
    def __init__(self, path: Path, limits: Limits) -> None:
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{path} is not a readable ZIP: {exc}") from None
        infos = self.zip.infolist()
        if len(infos) > limits.max_entries:
            raise SourceError(
                f"the ZIP has {len(infos)} entries, more than the limit of {limits.max_entries}"
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_total_bytes:
            raise SourceError(
                f"the ZIP declares {declared} bytes uncompressed, more than the limit of "
                f"{limits.max_total_bytes}"
            )
        self._by_name: dict[str, zipfile.ZipInfo] = {}
        self._unsafe: list[tuple[str, str]] = []
        for info in infos:
            if info.is_dir():
                continue
            try:
                self._by_name[safe_name(info.filename)] = info
            except EntryError as exc:
                self._unsafe.append((info.filename[:300], exc.message))
        self.extracted = 0
        self.prefix = ""

    def locate(self, name: str) -> zipfile.ZipInfo | None:
        return self._by_name.get(safe_name(self.prefix + name))

    def names(self) -> Iterator[str]:
        for name in self._by_name:
            if name.startswith(self.prefix):
                yield name[len(self.prefix) :]

    def unsafe_names(self) -> Iterator[tuple[str, str]]:
        return iter(self._unsafe)

    def outside_names(self) -> Iterator[str]:
        """Entries outside the manifest's folder (full paths): never imported, but reported."""
        return (n for n in self._by_name if not n.startswith(self.prefix))

    @contextlib.contextmanager
    def open_local(self, name: str, work_dir: Path) -> Iterator[Path]:
        """The entry extracted to a temporary file under ``work_dir`` (removed afterwards)."""
        info = self.locate(name)
        if info is None:
            raise EntryError("missing_file", f"the delivery has no file {name}")
        fd, tmp = tempfile.mkstemp(dir=work_dir, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                self._extract(info, out)
            yield Path(tmp)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def _extract(self, info: zipfile.ZipInfo, out: BinaryIO) -> None:
        limits = self.limits
        ratio_cap = max(
            limits.ratio_floor_bytes, int(limits.max_ratio * max(info.compress_size, 1))
        )
        written = 0
        try:
            with self.zip.open(info) as src:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    self.extracted += len(chunk)
                    if written > info.file_size:
                        raise EntryError(
                            "zip_bomb", f"{info.filename} inflates beyond its declared size"
                        )
                    if written > ratio_cap:
                        raise EntryError(
                            "zip_bomb",
                            f"{info.filename} expands more than {limits.max_ratio:g}:1 "
                            "(compression ratio limit)",
                        )
                    if written > limits.max_file_bytes:
                        raise EntryError(
                            "too_large", f"{info.filename} is larger than the file size limit"
                        )
                    if self.extracted > limits.max_total_bytes:
                        raise SourceError(
                            "the ZIP expands beyond the total size limit of "
                            f"{limits.max_total_bytes} bytes; import stopped"
                        )
                    out.write(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
            raise EntryError("unreadable", f"{info.filename} cannot be extracted: {exc}") from None

    def close(self) -> None:
        self.zip.close()


Source = FolderSource | ZipSource


def open_source(path: Path, limits: Limits) -> Source:
    if path.is_dir():
        source: Source = FolderSource(path, limits)
    elif path.is_file() and zipfile.is_zipfile(path):
        source = ZipSource(path, limits)
    else:
        raise SourceError(f"{path} is neither a folder nor a ZIP file")
    return source


def find_control_file(source: Source, candidates: tuple[str, ...]) -> str | None:
    """The manifest or Transfervermerk, at the top or in the one folder a ZIP was made of."""
    lowered = {c.lower() for c in candidates}
    best: str | None = None
    for name in source.names():
        parts = name.split("/")
        if (
            parts[-1].lower() in lowered
            and len(parts) <= 2
            and (best is None or len(parts) < len(best.split("/")))
        ):
            best = name
    return best


def copy_to(source: Source, name: str, work_dir: Path, target: Path) -> None:
    with source.open_local(name, work_dir) as local:
        shutil.copyfile(local, target)
