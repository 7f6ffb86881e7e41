"""Hand-over folders: a local directory or an S3 prefix that another program polls.

The archive's transfer tools (x-man and the like) read xdomea packages from a folder and
drop their answers into another. Two guarantees matter to them:

* **A file appears whole or not at all.** Locally it is written under a hidden temporary
  name (``.<name>.partial-<random>``) in the same directory, flushed to disk and renamed
  (``os.replace`` is atomic within one file system). On S3 an object becomes visible only
  when its upload is complete (single PUT or completed multipart upload), so the key is
  written directly.
* **Names are the standard's** (``<ProzessID>_<Nachricht>.zip``): nothing else is listed
  at the top level except those files; ``done/`` and ``rejected/`` are sub-folders, and
  hidden names (a transfer in progress on either side) are never listed.

A location is ``/path`` or ``s3://bucket/prefix`` (on the S3 server of ``AKTE_S3_*``);
:func:`open_folder` adds the tenant's short name, so each tenant has its own folder.

Errors: an unreachable S3 server or an unwritable disk raises :class:`FolderUnavailable`
(a ``ServiceUnavailable``: the job is retried, nothing is lost).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error

from akte.core.errors import ServiceUnavailable
from akte.core.settings import Settings


class FolderUnavailable(ServiceUnavailable):
    """The hand-over folder cannot be read or written now."""


class Folder(Protocol):
    location: str

    def put(self, name: str, source: Path) -> None: ...
    def write(self, name: str, data: bytes) -> None: ...
    def names(self) -> list[str]: ...
    def read(self, name: str, limit: int) -> bytes: ...
    def move(self, name: str, subfolder: str) -> None: ...


def _visible(name: str) -> bool:
    return bool(name) and not name.startswith(".") and not name.endswith(".reason.txt")


class LocalFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _atomic(self, target: Path, write_into: Callable[[BinaryIO], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".{target.name}.partial-{uuid.uuid4().hex}"
        try:
            with temp.open("wb") as out:
                write_into(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise FolderUnavailable(f"cannot write {target}: {exc.strerror}") from exc

    def put(self, name: str, source: Path) -> None:
        def copy(out: BinaryIO) -> None:
            with source.open("rb") as src:
                while chunk := src.read(1 << 20):
                    out.write(chunk)

        self._atomic(self.root / name, copy)

    def write(self, name: str, data: bytes) -> None:
        self._atomic(self.root / name, lambda out: out.write(data))

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_file() and _visible(p.name))

    def read(self, name: str, limit: int) -> bytes:
        with (self.root / name).open("rb") as src:
            return src.read(limit + 1)

    def move(self, name: str, subfolder: str) -> None:
        target = self.root / subfolder
        target.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / name, target / name)


class S3Folder:
    def __init__(self, client: Minio, bucket: str, prefix: str) -> None:
        self.client, self.bucket = client, bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.location = f"s3://{bucket}/{self.prefix}"

    def _key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def put(self, name: str, source: Path) -> None:
        try:
            self.client.fput_object(self.bucket, self._key(name), str(source))
        except (S3Error, OSError) as exc:
            raise FolderUnavailable(f"cannot write {self.location}{name}: {exc}") from exc

    def write(self, name: str, data: bytes) -> None:
        import io

        try:
            self.client.put_object(self.bucket, self._key(name), io.BytesIO(data), len(data))
        except (S3Error, OSError) as exc:
            raise FolderUnavailable(f"cannot write {self.location}{name}: {exc}") from exc

    def names(self) -> list[str]:
        try:
            found = self.client.list_objects(self.bucket, prefix=self.prefix, recursive=False)
            names = [(o.object_name or "")[len(self.prefix) :] for o in found if not o.is_dir]
        except (S3Error, OSError) as exc:
            raise FolderUnavailable(f"cannot list {self.location}: {exc}") from exc
        return sorted(n for n in names if "/" not in n and _visible(n))

    def read(self, name: str, limit: int) -> bytes:
        try:
            response = self.client.get_object(self.bucket, self._key(name))
            try:
                return response.read(limit + 1)
            finally:
                response.close()
                response.release_conn()
        except (S3Error, OSError) as exc:
            raise FolderUnavailable(f"cannot read {self.location}{name}: {exc}") from exc

    def move(self, name: str, subfolder: str) -> None:
        source = self._key(name)
        try:
            self.client.copy_object(
                self.bucket, self._key(f"{subfolder}/{name}"), CopySource(self.bucket, source)
            )
            self.client.remove_object(self.bucket, source)
        except (S3Error, OSError) as exc:
            raise FolderUnavailable(f"cannot move {self.location}{name}: {exc}") from exc


def open_folder(location: str, settings: Settings, tenant_slug: str) -> Folder:
    """The tenant's folder under ``location`` (``/path`` or ``s3://bucket/prefix``)."""
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        return S3Folder(client, bucket, f"{prefix.strip('/')}/{tenant_slug}")
    return LocalFolder(Path(location) / tenant_slug)
