"""Streaming blob responses with ``ETag``, ``Content-Disposition`` and HTTP ``Range``.

Large scans are fetched in pieces and resumed after a broken connection: a single
``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` range gets ``206``; an unsatisfiable one gets
``416``; ``If-Range`` with a stale ETag falls back to the whole file; ``If-None-Match``
with the current ETag gets ``304``. Multi-range requests are answered with the whole file,
which RFC 9110 allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from akte.core.textsafe import strip_controls

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(filename: str, inline: bool = False) -> str:
    """``attachment``/``inline`` with an ASCII fallback and the UTF-8 name. Control and bidi
    characters are dropped whatever the name's origin (an old row, an Aktenzeichen in a
    receipt's name): CR/LF in a header value would break or split the response."""
    filename = strip_controls(filename) or "download"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    ascii_name = ascii_name.replace("\\", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    match = _RANGE.match(header.strip())
    if not match:
        return None  # malformed or multi-range: serve the whole representation
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def ranged_response(
    request: Request,
    *,
    size: int,
    etag: str,
    media_type: str,
    filename: str,
    open_range: Callable[[int, int | None], Iterator[bytes]],
    inline: bool = False,
) -> Response:
    quoted_etag = f'"{etag}"'
    headers = {
        "ETag": quoted_etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(filename, inline),
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    if quoted_etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    byte_range = None
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if range_header and (if_range is None or if_range.strip() == quoted_etag):
        byte_range = _parse_range(range_header, size)
    if byte_range == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    if isinstance(byte_range, tuple):
        start, end = byte_range
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        return StreamingResponse(
            open_range(start, end), status_code=206, media_type=media_type, headers=headers
        )
    headers["Content-Length"] = str(size)
    return StreamingResponse(open_range(0, None), media_type=media_type, headers=headers)
