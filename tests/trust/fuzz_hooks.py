"""Schemathesis hooks for ``fuzzing.py`` (loaded through ``SCHEMATHESIS_HOOKS``).

The upload routes publish which file types they take (``encoding.contentType``); akte
checks the first bytes, so the fuzzer must send real files of those types, not random
bytes labelled as one. These are the smallest well-formed files of each accepted type.
"""

from __future__ import annotations

import io

import schemathesis
from hypothesis import strategies as st
from PIL import Image
from schemathesis.core.file_samples import FILE_SAMPLES


def _tiff() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "TIFF")
    return buffer.getvalue()


schemathesis.openapi.media_type("application/pdf", st.just(FILE_SAMPLES["pdf"]))
schemathesis.openapi.media_type("image/tiff", st.just(_tiff()))
schemathesis.openapi.media_type("image/jpeg", st.just(FILE_SAMPLES["jpg"]))
schemathesis.openapi.media_type("image/png", st.just(FILE_SAMPLES["png"]))
