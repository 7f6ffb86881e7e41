"""The OCR readiness check names what an operator must fix: a missing or too old Tesseract,
or a missing language, and says ``ok`` for the Tesseract this machine has."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ingest import health


def _fake_tesseract(folder: Path, version: str) -> None:
    """A ``tesseract`` that only answers ``--version`` (Tesseract 3 cannot be installed here)."""
    script = folder / "tesseract"
    script.write_text(f"#!/bin/sh\necho 'tesseract {version}'\necho ' leptonica-1.74'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_the_installed_tesseract_is_ready():
    assert health._probe() == "ok"


@pytest.mark.parametrize("version", ["3.05.01", "3.02.02"])
def test_a_tesseract_older_than_4_is_named(tmp_path, monkeypatch, version):
    _fake_tesseract(tmp_path, version)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    verdict = health._probe()
    assert "too old" in verdict and "4 or newer" in verdict


def test_no_tesseract_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert health._probe() == "tesseract not installed: scans cannot be recognised"
