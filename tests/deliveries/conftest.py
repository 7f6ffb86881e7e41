"""Builders for deliveries: small generated PDFs and TIFFs, manifests, Transfervermerke."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from akte.core.context import AppContext
from akte.core.database import session_scope
from tests.builders import make_case_file, make_org_unit, make_tenant, unique

PROJECT = Path(__file__).resolve().parents[2]

TRANSFERVERMERK = {
    "lieferung": "L-TEST",
    "dienstleister": "Scan & Archiv GmbH",
    "scan_operator": "M. Müller",
    "scanner_model": "Fujitsu fi-7900",
    "scanner_settings": {"mode": "bitonal", "duplex": True},
    "resolution_dpi": 300,
    "captured_at": "2026-11-02T08:00:00+01:00",
    "qc_result": "bestanden",
    "qc_sample_rate": 0.05,
    "anomalies": [],
}


def pdf_bytes(pages: int = 1, label: str = "Dokument", separators: tuple[int, ...] = ()) -> bytes:
    """A born-digital PDF; pages listed in ``separators`` carry a PATCHT barcode."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    c.setCreator("akte tests")
    for page in range(1, pages + 1):
        if page in separators:
            png = io.BytesIO()
            barcode_image("PATCHT").save(png, "PNG")
            png.seek(0)
            from reportlab.lib.utils import ImageReader

            c.drawImage(ImageReader(png), 100, 500, width=380, height=160)
        else:
            c.drawString(72, 760, f"{label} Seite {page}")
        c.showPage()
    c.save()
    return buffer.getvalue()


def barcode_image(text: str) -> Image.Image:
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_image(scale=4)
    view = memoryview(code)
    return Image.frombytes("L", (view.shape[1], view.shape[0]), view.tobytes())


def tiff_bytes(pages: int = 1, separators: tuple[int, ...] = ()) -> bytes:
    frames = []
    for page in range(1, pages + 1):
        image = Image.new("L", (850, 1100), 255)
        if page in separators:
            image.paste(barcode_image("PATCHT"), (150, 300))
        else:
            ImageDraw.Draw(image).text((80, 80), f"Seite {page}", fill=0)
        frames.append(image.convert("1"))
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "TIFF",
        save_all=True,
        append_images=frames[1:],
        compression="group4",
        dpi=(100, 100),
    )
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FIELDS = [
    "external_id",
    "aktenzeichen",
    "bg_nummer",
    "dokumentart",
    "titel",
    "dokumentdatum",
    "scandatum",
    "seitenzahl",
    "sha256",
    "dateiname",
    "trennblatt",
    "teil",
]


def write_delivery(
    root: Path,
    rows: list[dict[str, Any]],
    files: dict[str, bytes],
    *,
    transfervermerk: dict[str, Any] | None = None,
    delimiter: str = ";",
    fields_extra: tuple[str, ...] = (),
) -> Path:
    """A delivery folder: files, ``manifest.csv`` and ``transfervermerk.json``."""
    fields = FIELDS + list(fields_extra)
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    with (root / "manifest.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, delimiter=delimiter)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in fields})
    tv = dict(transfervermerk or TRANSFERVERMERK)
    tv.setdefault("lieferung", unique("L"))
    (root / "transfervermerk.json").write_text(json.dumps(tv, ensure_ascii=False))
    return root


def row_for(
    external_id: str, filename: str, data: bytes, pages: int, aktenzeichen: str, **extra: Any
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "aktenzeichen": aktenzeichen,
        "dokumentart": "Antrag",
        "titel": f"Titel {external_id}",
        "dokumentdatum": "01.03.2019",
        "scandatum": "2026-11-02",
        "seitenzahl": pages,
        "sha256": sha(data),
        "dateiname": filename,
        **extra,
    }


@pytest.fixture
def tenant_env(ctx: AppContext):
    """A tenant with one org unit and one Akte; returns (slug, tenant id, unit, Akte)."""
    with session_scope(ctx.session_factory) as session:
        tenant = make_tenant(session)
        unit = make_org_unit(session, tenant)
        case_file = make_case_file(
            session, tenant, unit, bg_nummer="11111BG0000001", bg_nummer_norm="11111BG0000001"
        )
        return tenant.slug, tenant.id, unit, case_file


def cli_env(ctx: AppContext) -> dict[str, str]:
    """Environment for a subprocess ``akte`` on the same database and storage as ``ctx``."""
    s = ctx.settings
    env = {
        **os.environ,
        "AKTE_ENV": "test",
        "AKTE_DATA_DIR": str(s.data_dir),
        "AKTE_SECRET_KEY": s.secret_key,
        "AKTE_INPROCESS_WORKER": "false",
        "AKTE_DATABASE_URL": s.effective_database_url,
        "AKTE_STORAGE_BACKEND": s.storage_backend,
    }
    if s.storage_backend == "s3":
        env.update(
            AKTE_S3_ENDPOINT=s.s3_endpoint,
            AKTE_S3_ACCESS_KEY=s.s3_access_key,
            AKTE_S3_SECRET_KEY=s.s3_secret_key,
            AKTE_S3_BUCKET=s.s3_bucket,
        )
    return env


def akte_cli(ctx: AppContext, *args: str, **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from akte.cli import main; main()", *args],
        env=cli_env(ctx),
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
