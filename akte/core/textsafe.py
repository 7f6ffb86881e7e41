"""Identifiers and names without control characters.

An Aktenzeichen, a name, a title or a filename ends up in HTTP headers
(``Content-Disposition``), CSV exports, PDFs and log lines. CR/LF there splits a header or
a log line, NUL truncates, C1 controls and bidi overrides make ``rechnung‮fdp.exe`` look
like a PDF. Such input is refused at the API edge with a 422 naming the field
(:data:`SafeStr`); what reaches an output anyway is cleaned by :func:`strip_controls`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

#: Bidi embeddings/overrides/isolates and marks, line/paragraph separators, BOM.
_INVISIBLE = (
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff"
)
_FORBIDDEN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_INVISIBLE}]")


def has_controls(value: str) -> bool:
    return _FORBIDDEN.search(value) is not None


def strip_controls(value: str) -> str:
    """``value`` without control, bidi-override and separator characters."""
    cleaned = _FORBIDDEN.sub("", value)
    return "".join(ch for ch in cleaned if unicodedata.category(ch) != "Cc")


def reject_controls(value: str) -> str:
    if has_controls(value):
        raise ValueError(
            "must not contain control characters (line breaks, tabs, NUL, bidi overrides)"
        )
    return value


_CLASS = "\\x00-\\x1f\\x7f-\\x9f" + "".join(f"\\u{ord(c):04x}" for c in _INVISIBLE)
#: The published form of :data:`SafeStr` (JSON Schema ``pattern``, ECMA and Python alike),
#: so clients and schema-driven tests know what the validator refuses.
SAFE_PATTERN = f"^[^{_CLASS}]*$"
#: :data:`SAFE_PATTERN` with at least one character that is not white space.
NONBLANK_SAFE_PATTERN = f"^[^{_CLASS}]*[^\\s{_CLASS}][^{_CLASS}]*$"


class PublishedPattern:
    """Adds a ``pattern`` to the JSON Schema of a field and leaves validation alone (the
    validator's message names the problem better than "should match pattern")."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


#: A one-line text field: refused (422, naming the field) if it holds control characters.
SafeStr = Annotated[str, AfterValidator(reject_controls), PublishedPattern(SAFE_PATTERN)]
#: A :data:`SafeStr` that must hold more than white space (the validator strips it).
NonBlankSafeStr = Annotated[
    str, AfterValidator(reject_controls), PublishedPattern(NONBLANK_SAFE_PATTERN)
]
